//! POSIX shell quoting: the one place where runners turn a value into a shell
//! word, so that escaping is written (and tested) once.

use std::borrow::Cow;

/// Quotes `word` for a POSIX shell (sh, bash, zsh, dash).
///
/// Words made only of characters no shell treats specially are returned
/// as they are, to keep printed commands readable; anything else is wrapped
/// in single quotes, inside which nothing is special but `'` itself, which
/// becomes `'\''` (close, escaped quote, reopen). The empty word is `''`.
pub fn quote(word: &str) -> Cow<'_, str> {
    if !word.is_empty() && word.bytes().all(is_plain) {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

/// Characters that are literal wherever they appear in an argument, in sh,
/// bash and zsh alike. `~`, `=` and `^` are left out on purpose: tilde
/// expansion, zsh's `=cmd` expansion and zsh's `extendedglob`.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b'+' | b',' | b':' | b'@')
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn plain_words_stay_bare() {
        assert_eq!(quote("example.com/sp/a"), "example.com/sp/a");
        assert_eq!(quote("-run"), "-run");
        assert_eq!(quote("a,c:d@e+g_h"), "a,c:d@e+g_h");
        assert_eq!(quote("=cmd"), "'=cmd'");
    }

    #[test]
    fn specials_are_single_quoted() {
        assert_eq!(quote("^(TestA|TestB)$"), "'^(TestA|TestB)$'");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("~/x"), "'~/x'");
        assert_eq!(quote("x[1]"), "'x[1]'");
        assert_eq!(quote("$HOME `id` \\n \"q\""), "'$HOME `id` \\n \"q\"'");
        assert_eq!(quote("é"), "'é'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn single_quotes_are_closed_escaped_and_reopened() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("'"), r"''\'''");
        assert_eq!(quote("''"), r"''\'''\'''");
    }

    #[test]
    fn quoted_words_round_trip_through_sh() {
        let words = [
            "it's",
            "a b",
            "^(A|B)$",
            "$x `y` \\ \"z\"",
            "'",
            "",
            "tab\there",
            "line\nbreak",
            "é",
        ];
        for word in words {
            let script = format!("printf %s {}", quote(word));
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&script)
                .output();
            let Ok(out) = out else { return }; // no sh on this machine
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                word,
                "script: {script}"
            );
        }
    }
}
