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
    if !any_suspect(text.as_bytes()) {
        return None;
    }
    text.chars().find(|&c| c.is_control() && c != '\t')
}

/// Whether a byte of `bytes` is below 0x20, 0x7f or 0xc2. Sixteen bytes
/// are tested at a time without stopping early, which compiles to vector
/// compares: every test id is checked three times when reports are read.
fn any_suspect(bytes: &[u8]) -> bool {
    let suspect = |chunk: &[u8; 16]| {
        chunk.iter().fold(false, |any, &b| {
            any | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
        })
    };
    let mut chunks = bytes.chunks_exact(16);
    if chunks
        .by_ref()
        .any(|chunk| suspect(chunk.try_into().expect("16 bytes")))
    {
        return true;
    }
    // The tail: as the last sixteen bytes (some tested twice) when there
    // are that many, else byte by byte, which costs less than padding a
    // short text (most names) into a block with memcpy.
    match bytes.len().checked_sub(16) {
        Some(last) => suspect(bytes[last..].try_into().expect("16 bytes")),
        None => bytes
            .iter()
            .any(|&b| (b < 0x20) | (b == 0x7f) | (b == 0xc2)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_found_at_any_length_and_place() {
        for len in 0..40 {
            for at in 0..len {
                for bad in ["\n", "\u{1b}", "\u{7f}", "\u{85}"] {
                    let mut text = "a".repeat(len);
                    text.replace_range(at..=at, bad);
                    assert_eq!(unprintable(&text), bad.chars().next(), "{text:?}");
                }
            }
            assert_eq!(unprintable(&"é\tb".repeat(len)), None);
        }
    }
}
