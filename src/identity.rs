//! The one normalisation of paths and test ids that every reader and runner
//! shares, so that `./tests/a.py`, `tests\a.py` and `tests/a.py` are one file
//! whichever report or listing they came from.

/// Normalises a relative path as reports and runners write it: backslashes
/// become slashes, `./` segments and repeated slashes disappear, and `a/../b`
/// collapses to `b`. Absolute paths keep their leading `/`, or their drive
/// (`C:/`, the letter in upper case: `c:\x` and `C:/x` are one path);
/// making them relative to a root is [`relative_to_root`]'s job.
pub fn normalize_path(raw: &str) -> String {
    if is_normal_relative(raw) {
        // Most report paths are already normal: one copy, no splitting.
        return raw.to_string();
    }
    let raw = raw.trim();
    let unified = raw.replace('\\', "/");
    let (root, rest) = match unified.as_bytes() {
        [letter, b':', b'/', ..] if letter.is_ascii_alphabetic() => (
            format!("{}:/", letter.to_ascii_uppercase() as char),
            &unified[3..],
        ),
        [letter, b':'] if letter.is_ascii_alphabetic() => {
            (format!("{}:/", letter.to_ascii_uppercase() as char), "")
        }
        [b'/', ..] => ("/".to_string(), &unified[1..]),
        _ => (String::new(), unified.as_str()),
    };
    let absolute = !root.is_empty();
    let mut parts: Vec<&str> = Vec::new();
    for segment in rest.split('/') {
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
    root + &parts.join("/")
}

/// Whether `path` is a relative path that [`normalize_path`] leaves as it
/// is: no surrounding whitespace, no backslash, no drive or leading `/`,
/// and no empty, `.` or `..` segment. A cheap test that spares the common
/// case any allocation.
pub fn is_normal_relative(path: &str) -> bool {
    let bytes = path.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    // Any whitespace `trim` would remove starts or ends with one of these
    // bytes: ASCII whitespace, or the lead/continuation byte of a Unicode
    // space (all of them are above 0x7f).
    let untrimmed = |b: u8| b.is_ascii_whitespace() || b >= 0x80;
    !untrimmed(first)
        && !untrimmed(last)
        && first != b'/'
        && bytes.get(1) != Some(&b':')
        && !bytes.contains(&b'\\')
        && bytes
            .split(|&b| b == b'/')
            .all(|segment| !matches!(segment, b"" | b"." | b".."))
}

/// Whether a normalised path is absolute (`/…` or `C:/…`).
pub fn is_absolute(normalized: &str) -> bool {
    normalized.starts_with('/')
        || matches!(normalized.as_bytes(), [letter, b':', b'/', ..] if letter.is_ascii_alphabetic())
}

/// A path from a report as the suite names it: normalised, and relative to
/// `root` (the `--root` directory, normalised) when it is absolute and under
/// it. Absolute paths elsewhere are kept: they cannot be made relative, and
/// the match report will show them.
pub fn relative_to_root(path: &str, root: &str) -> String {
    let normal = normalize_path(path);
    if is_absolute(&normal) {
        relative_to(&normal, root).unwrap_or(normal)
    } else {
        normal
    }
}

/// A JVM class name with nested classes joined by `.`: JUnit 5 and Surefire
/// write `Outer$Inner`, source-based listings `Outer.Inner`.
pub fn jvm_class_name(name: &str) -> String {
    name.replace('$', ".")
}

/// `path` relative to the directory `base` when it lies under it, else
/// `None`. Both are normalised first, so `/repo/./a.js` under `/repo/` is
/// `a.js`. Used to turn runners' absolute listings into the relative paths
/// reports hold.
pub fn relative_to(path: &str, base: &str) -> Option<String> {
    let path = normalize_path(path);
    let base = normalize_path(base);
    let rest = if base.ends_with('/') {
        path.strip_prefix(base.as_str())?
    } else {
        path.strip_prefix(base.as_str())?.strip_prefix('/')?
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_letters_are_absolute_and_upper_case() {
        assert_eq!(
            normalize_path(r"c:\repo\.\tests\a.py"),
            "C:/repo/tests/a.py"
        );
        assert_eq!(normalize_path("C:/repo/../x.py"), "C:/x.py");
        assert_eq!(normalize_path("c:"), "C:/");
        assert!(is_absolute("C:/x") && is_absolute("/x") && !is_absolute("x/C:/y"));
        // Not a drive: a relative path with a colon.
        assert_eq!(normalize_path("spec/a:b.rb"), "spec/a:b.rb");
    }

    #[test]
    fn relative_to_root_makes_report_paths_match_listings() {
        let root = normalize_path(r"C:\Users\me\repo");
        assert_eq!(
            relative_to_root(r"c:\Users\me\repo\tests\a.py", &root),
            "tests/a.py"
        );
        assert_eq!(relative_to_root("./tests/a.py", &root), "tests/a.py");
        assert_eq!(
            relative_to_root(r"D:\elsewhere\a.py", &root),
            "D:/elsewhere/a.py"
        );
        assert_eq!(
            relative_to_root("/home/ci/repo/src/a.test.js", "/home/ci/repo"),
            "src/a.test.js"
        );
        assert_eq!(relative_to_root("/a.js", "/"), "a.js");
        assert_eq!(relative_to_root("C:/a.js", "C:/"), "a.js");
    }

    #[test]
    fn nested_jvm_classes() {
        assert_eq!(
            jvm_class_name("com.x.OuterTest$InnerTest"),
            "com.x.OuterTest.InnerTest"
        );
    }

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
    fn normal_relative_paths_are_recognised_as_they_are() {
        for path in ["", "a", "tests/a.py", "a b/c.py", "spec/a:b.rb", "x/C:/y"] {
            assert!(is_normal_relative(path), "{path:?}");
            assert_eq!(normalize_path(path), path);
        }
        for path in [
            " a", "a ", "a\u{a0}", "/a", "C:/a", "c:", "a\\b", "./a", "a/./b", "a/../b", "a//b",
            "a/", "..",
        ] {
            assert!(!is_normal_relative(path), "{path:?}");
        }
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
