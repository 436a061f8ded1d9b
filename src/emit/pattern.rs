//! Escaping literal text for the pattern languages runners take: regular
//! expressions (RE2, the regex crate, JavaScript, PCRE) and path globs. The
//! one place where a test name becomes a pattern, so that escaping is written
//! (and tested) once.

/// Characters special in every regex dialect a runner uses: exactly the set
/// Go's `regexp.QuoteMeta` escapes.
const REGEX_META: &str = r"\.+*?()|[]{}^$";

/// Escapes `text` so a regex matches it literally.
///
/// Every character of `REGEX_META` is preceded by `\`, and so is every
/// character of `extra`: the delimiter of a `/…/` regex (nextest, PHPUnit) or
/// characters the dialect also treats specially (the regex crate's
/// `#&-~` in verbose and class-set syntax). With an empty `extra` this is Go's
/// `regexp.QuoteMeta`; the result is valid in RE2, the regex crate,
/// JavaScript (without the `u` flag) and PCRE, since each accepts a
/// backslash before any punctuation.
pub fn regex_escape(text: &str, extra: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if REGEX_META.contains(c) || extra.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes `path` so a glob (Ruby's `File.fnmatch`, minimatch, picomatch)
/// matches it literally: `\` before `* ? [ ] { } ( ) ! \`.
pub fn glob_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if r"*?[]{}()!\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes `path` so a minimatch glob with `windowsPathsNoEscape` (mocha's
/// `--ignore`) matches it literally: each metacharacter `* ? [ ] { } ( )`
/// as a one-character class (`[[]`), since a backslash is a path separator
/// there. `None` when no such glob exists: a backslash in the name, or a
/// leading `!` (which negates the whole pattern).
pub fn minimatch_escape(path: &str) -> Option<String> {
    if path.contains('\\') || path.starts_with('!') {
        return None;
    }
    let mut out = String::with_capacity(path.len() + 8);
    for (i, c) in path.chars().enumerate() {
        if "*?[]{}()".contains(c) || (i == 0 && c == '#') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A regex (for the regex crate or RE2) matching exactly the strings *not*
/// in `excluded`, anchored: `^(?:…)$`.
///
/// Runners that can only select by positive pattern (`go test -run` before Go
/// 1.20 had no `-skip`) express "everything but these names" with it. The
/// excluded strings form a trie; at each node a string leaves the excluded
/// set by ending where no excluded string ends, by continuing with a
/// character no excluded string continues with, or by going on past the end
/// of every excluded string. The result is linear in the trie's size.
pub fn regex_complement(excluded: &[&str]) -> String {
    let mut trie = Trie::default();
    for word in excluded {
        trie.insert(word);
    }
    let mut pattern = String::from("^(?:");
    trie.complement_into(0, &mut pattern);
    pattern.push_str(")$");
    pattern
}

#[derive(Default)]
struct Trie {
    /// Per node: whether an excluded string ends here, and the children by
    /// next character (kept sorted, so the output is deterministic).
    nodes: Vec<(bool, Vec<(char, usize)>)>,
}

impl Trie {
    fn insert(&mut self, word: &str) {
        if self.nodes.is_empty() {
            self.nodes.push((false, Vec::new()));
        }
        let mut node = 0;
        for c in word.chars() {
            node = match self.nodes[node].1.binary_search_by(|(k, _)| k.cmp(&c)) {
                Ok(i) => self.nodes[node].1[i].1,
                Err(i) => {
                    let child = self.nodes.len();
                    self.nodes.push((false, Vec::new()));
                    self.nodes[node].1.insert(i, (c, child));
                    child
                }
            };
        }
        self.nodes[node].0 = true;
    }

    /// Writes the alternatives (`|`-separated) for the rest of a string at
    /// `node` that is not excluded. Written into one string as the trie is
    /// walked: a subtree's pattern built on its own and copied into its
    /// parent's was copied once per level, hundreds of milliseconds for a
    /// catch-all over a thousand packages.
    fn complement_into(&self, node: usize, out: &mut String) {
        let Some((ends, children)) = self.nodes.get(node) else {
            // Nothing excluded: anything goes.
            out.push_str(".*");
            return;
        };
        let mut first = true;
        let mut next = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push('|');
            }
        };
        if !ends {
            // The string may end here.
            next(out);
        }
        if children.is_empty() {
            next(out);
            out.push_str(".+");
            return;
        }
        next(out);
        out.push_str("[^");
        let mut utf8 = [0u8; 4];
        for (c, _) in children {
            out.push_str(&regex_escape(c.encode_utf8(&mut utf8), "-&~#"));
        }
        out.push_str("].*");
        for (c, child) in children {
            next(out);
            out.push_str(&regex_escape(c.encode_utf8(&mut utf8), ""));
            out.push_str("(?:");
            self.complement_into(*child, out);
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_escape_is_quote_meta_plus_extras() {
        // Go: regexp.QuoteMeta(`a.b+c*d?e(f)g|h[i]j{k}l^m$n\o`)
        assert_eq!(
            regex_escape(r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o", ""),
            r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o"
        );
        assert_eq!(regex_escape("TestÜber_x/y#1", ""), "TestÜber_x/y#1");
        assert_eq!(regex_escape("a/b#c-d", "/#-"), r"a\/b\#c\-d");
    }

    #[test]
    fn glob_escape_quotes_metacharacters() {
        assert_eq!(glob_escape("spec/a[1]_spec.rb"), r"spec/a\[1\]_spec.rb");
        assert_eq!(glob_escape("t/{x}*?.js"), r"t/\{x\}\*\?.js");
        assert_eq!(glob_escape("plain/path.js"), "plain/path.js");
    }

    #[test]
    fn minimatch_escape_uses_classes() {
        assert_eq!(
            minimatch_escape("test/text [unicode].spec.js").as_deref(),
            Some("test/text [[]unicode[]].spec.js")
        );
        assert_eq!(
            minimatch_escape("#a/{x}*?(y).js").as_deref(),
            Some("[#]a/[{]x[}][*][?][(]y[)].js")
        );
        assert_eq!(minimatch_escape(r"a\b.js"), None);
        assert_eq!(minimatch_escape("!a.js"), None);
    }

    #[test]
    fn complement_of_nothing_matches_everything() {
        assert_eq!(regex_complement(&[]), "^(?:.*)$");
    }

    /// Every string over a small alphabet up to length 4 matches exactly
    /// when it is not excluded.
    #[test]
    fn complement_matches_exactly_the_other_strings() {
        let excluded = ["ab", "a", "ba", "abcd", "c.", "Ü"];
        let re = regex::Regex::new(&regex_complement(&excluded)).expect("valid regex");
        let alphabet = ['a', 'b', 'c', '.', 'Ü'];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        words.sort();
        words.dedup();
        for word in &words {
            assert_eq!(
                re.is_match(word),
                !excluded.contains(&word.as_str()),
                "{word:?}"
            );
        }
    }

    #[test]
    fn complement_walks_the_trie() {
        assert_eq!(
            regex_complement(&["ab", "a"]),
            "^(?:|[^a].*|a(?:[^b].*|b(?:.+)))$"
        );
        assert_eq!(
            regex_complement(&["T.x", "T-y"]),
            r"^(?:|[^T].*|T(?:|[^\-\.].*|-(?:|[^y].*|y(?:.+))|\.(?:|[^x].*|x(?:.+))))$"
        );
    }
}
