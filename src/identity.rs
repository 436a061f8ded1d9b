//! The one normalisation of paths and test ids that every reader and runner
//! shares, so that `./tests/a.py`, `tests\a.py` and `tests/a.py` are one file
//! whichever report or listing they came from.

/// Normalises a relative path as reports and runners write it: backslashes
/// become slashes, `./` segments and repeated slashes disappear, and `a/../b`
/// collapses to `b`. Absolute paths keep their leading `/`; making them
/// relative to a root is the caller's job.
pub fn normalize_path(raw: &str) -> String {
    let raw = raw.trim();
    let unified = raw.replace('\\', "/");
    let absolute = unified.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for segment in unified.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(last) if *last != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `path` relative to the directory `base` when it lies under it, else
/// `None`. Both are normalised first, so `/repo/./a.js` under `/repo/` is
/// `a.js`. Used to turn runners' absolute listings into the relative paths
/// reports hold.
pub fn relative_to(path: &str, base: &str) -> Option<String> {
    let path = normalize_path(path);
    let base = normalize_path(base);
    let rest = if base == "/" {
        path.strip_prefix('/')?
    } else {
        path.strip_prefix(base.as_str())?.strip_prefix('/')?
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::{normalize_path, relative_to};

    #[test]
    fn relative_to_strips_a_base_directory() {
        assert_eq!(
            relative_to("/repo/src/a.test.js", "/repo").as_deref(),
            Some("src/a.test.js")
        );
        assert_eq!(
            relative_to("/repo/./src/a.js", "/repo/").as_deref(),
            Some("src/a.js")
        );
        assert_eq!(relative_to("/a.js", "/").as_deref(), Some("a.js"));
        assert_eq!(relative_to("/repository/a.js", "/repo"), None);
        assert_eq!(relative_to("/repo", "/repo"), None);
        assert_eq!(relative_to("/elsewhere/a.js", "/repo"), None);
    }

    #[test]
    fn strips_dot_slash_and_backslashes() {
        assert_eq!(normalize_path("./tests/a.py"), "tests/a.py");
        assert_eq!(normalize_path("tests\\unit\\a.py"), "tests/unit/a.py");
        assert_eq!(normalize_path("tests//a.py"), "tests/a.py");
        assert_eq!(normalize_path("  tests/./a.py "), "tests/a.py");
    }

    #[test]
    fn collapses_parent_segments() {
        assert_eq!(normalize_path("a/b/../c.py"), "a/c.py");
        assert_eq!(normalize_path("../x/a.py"), "../x/a.py");
        assert_eq!(normalize_path("/repo/./a/../b.py"), "/repo/b.py");
    }
}
