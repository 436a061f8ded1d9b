//! Text that reaches a terminal or a line-oriented output: which characters
//! it must never carry, and how messages show them instead. One helper for
//! every caller, so no path prints a raw ESC or splits a line in two.

/// The first character of `text` that line-oriented output cannot carry
/// and a terminal must not be sent: a control character other than a tab
/// (newlines, carriage returns, ESC, NUL, DEL, the C1 controls).
pub fn unprintable(text: &str) -> Option<char> {
    // Every control character's UTF-8 starts with a byte below 0x20, 0x7f
    // (DEL) or 0xc2 (the C1 controls): ids without one, nearly all, are
    // checked byte by byte without decoding.
    let suspect = |b: &u8| *b < 0x20 || *b == 0x7f || *b == 0xc2;
    if !text.as_bytes().iter().any(suspect) {
        return None;
    }
    text.chars().find(|&c| c.is_control() && c != '\t')
}

/// `text` with every character [`unprintable`] finds written as an escape
/// (`\n`, `\r`, `\u{1b}`), for messages on a terminal.
pub fn escape_unprintable(text: &str) -> std::borrow::Cow<'_, str> {
    if unprintable(text).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}
