//! A fast first try at JSON documents shardplan writes itself (the timing
//! history, the plan document): the document's objects and arrays are
//! cut into values by a byte scanner, and each entry is parsed from its
//! own slice.
//!
//! serde_json reads a stream a byte at a time through a line and column
//! counter; its slice reader is several times faster but needs the bytes
//! in memory. Cutting the document into its entries gives the slice reader
//! one entry at a time, so memory stays what the caller keeps of the
//! entries, one read buffer and at most one value of 1 MiB.
//!
//! The scanner only ever says "this is the document" or [`Bail`]: it never
//! reports a problem itself. A caller that gets [`Bail`] reads the input
//! again from its start with the streaming reader ([`super::json::read`])
//! or the whole-text parser, whose diagnostics name the place; so a
//! malformed file gets the very same error either way, and the scanner
//! need only refuse anything it is not sure of.

use std::borrow::Cow;
use std::io::BufRead;

use serde::de::{self, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::json::BOM;

/// The document is not one the scanner reads with certainty: read it again
/// with the streaming reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

/// The largest value the scanner holds at once (an entry, a header field);
/// anything larger is the streaming reader's, which bounds strings itself.
const MAX_VALUE_BYTES: usize = 1 << 20;

/// The deepest nesting the scanner accepts. serde_json refuses documents
/// nested past 128 levels, counted from the document's root: a value
/// parsed on its own starts counting anew, so deep values are left to the
/// streaming reader, which counts as it always has.
const MAX_DEPTH: usize = 64;

/// Cuts a JSON document from `input` into values (see the module docs).
pub(crate) struct Scanner<'r> {
    input: &'r mut dyn BufRead,
    /// Bytes consumed from the start of the input.
    offset: u64,
    /// A value that straddles the reader's buffers, copied whole
    /// ([`Scanner::with_value`]).
    value: Vec<u8>,
}

/// `document`, a JSON object, with a first key `later` whose value is
/// nested deeper than the scanner goes: a document the scanner leaves to
/// the other readers, which read it.
#[cfg(test)]
pub(crate) fn nested_past_the_scanner(document: &str) -> String {
    let (open, close) = ("[".repeat(MAX_DEPTH + 6), "]".repeat(MAX_DEPTH + 6));
    document.replacen('{', &format!("{{\"later\": {open}1{close},"), 1)
}

/// `bytes` if they are UTF-8. serde_json's slice reader checks the
/// strings it decodes, not those it skips; a document that holds other
/// bytes anywhere is the streaming reader's (or whole-text parser's) to
/// judge.
fn checked(bytes: &[u8]) -> Result<&[u8], Bail> {
    std::str::from_utf8(bytes)
        .map(str::as_bytes)
        .map_err(|_| Bail)
}

/// `bytes`, a whole JSON value, as a `T`.
pub(crate) fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Bail> {
    serde_json::from_slice(bytes).map_err(|_| Bail)
}

/// JSON's whitespace.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where a value ends, found a buffer at a time: what the bytes so far
/// leave open.
struct ValueEnd {
    /// A number or literal, which ends before a delimiter or whitespace.
    scalar: bool,
    /// Objects and arrays open.
    depth: usize,
    in_string: bool,
    /// The last byte was a backslash in a string.
    escaped: bool,
}

impl ValueEnd {
    /// Before a value whose first byte is `first`.
    fn new(first: u8) -> Self {
        ValueEnd {
            scalar: !matches!(first, b'{' | b'[' | b'"'),
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    /// The length of `chunk`'s part of the value if the value ends in it.
    fn find(&mut self, chunk: &[u8]) -> Result<Option<usize>, Bail> {
        let mut i = 0;
        while i < chunk.len() {
            let byte = chunk[i];
            if self.scalar {
                if matches!(byte, b',' | b'}' | b']') || is_space(byte) {
                    return Ok(Some(i));
                }
            } else if self.escaped {
                self.escaped = false;
            } else if self.in_string {
                // Most of an entry is the text of its strings.
                let Some(at) = memchr::memchr2(b'"', b'\\', &chunk[i..]) else {
                    return Ok(None);
                };
                i += at;
                if chunk[i] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Ok(Some(i + 1));
                    }
                }
            } else {
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => {
                        self.depth += 1;
                        if self.depth > MAX_DEPTH {
                            return Err(Bail);
                        }
                    }
                    b'}' | b']' => {
                        self.depth = self.depth.checked_sub(1).ok_or(Bail)?;
                        if self.depth == 0 {
                            return Ok(Some(i + 1));
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        Ok(None)
    }
}

impl<'r> Scanner<'r> {
    /// A scanner at the start of `input`, past a UTF-8 BOM if there is one
    /// (offsets still count it, as the streaming reader's do).
    pub(crate) fn new(input: &'r mut dyn BufRead) -> Result<Self, Bail> {
        let bom = input.fill_buf().map_err(|_| Bail)?.starts_with(BOM);
        let offset = if bom {
            input.consume(3);
            3
        } else {
            0
        };
        Ok(Scanner {
            input,
            offset,
            value: Vec::new(),
        })
    }

    /// The next byte after whitespace, not consumed; `None` at the end.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, Bail> {
        let mut run = 0;
        loop {
            let chunk = self.input.fill_buf().map_err(|_| Bail)?;
            let Some(&first) = chunk.first() else {
                return Ok(None);
            };
            let spaces = chunk.iter().position(|&b| !is_space(b));
            let skipped = spaces.unwrap_or(chunk.len());
            self.input.consume(skipped);
            self.offset += skipped as u64;
            run += skipped;
            if run > MAX_VALUE_BYTES {
                return Err(Bail);
            }
            if spaces.is_some() {
                return Ok(Some(if skipped == 0 {
                    first
                } else {
                    self.input.fill_buf().map_err(|_| Bail)?[0]
                }));
            }
        }
    }

    /// Consumes `byte`, which must come next after whitespace.
    fn expect(&mut self, byte: u8) -> Result<(), Bail> {
        if self.peek()? != Some(byte) {
            return Err(Bail);
        }
        self.input.consume(1);
        self.offset += 1;
        Ok(())
    }

    /// Hands the next value's bytes, and the offset they start at, to
    /// `use_value`, once they are found to be UTF-8. Otherwise checks only
    /// where the value ends: its JSON is checked when it is parsed. A value inside the reader's buffer is handed
    /// over from there; one that straddles buffers, from a copy.
    pub(crate) fn with_value<R>(
        &mut self,
        use_value: impl FnOnce(&[u8], u64) -> Result<R, Bail>,
    ) -> Result<R, Bail> {
        let first = self.peek()?.ok_or(Bail)?;
        if matches!(first, b'}' | b']' | b',' | b':') {
            return Err(Bail);
        }
        let start = self.offset;
        let mut scan = ValueEnd::new(first);
        self.value.clear();
        loop {
            let chunk = self.input.fill_buf().map_err(|_| Bail)?;
            if chunk.is_empty() {
                // A number or literal may end the input; nothing else may.
                return if scan.scalar {
                    checked(&self.value).and_then(|value| use_value(value, start))
                } else {
                    Err(Bail)
                };
            }
            let end = scan.find(chunk)?;
            if let Some(end) = end.filter(|_| self.value.is_empty()) {
                if end > MAX_VALUE_BYTES {
                    return Err(Bail);
                }
                let result = checked(&chunk[..end]).and_then(|value| use_value(value, start));
                self.input.consume(end);
                self.offset += end as u64;
                return result;
            }
            let used = end.unwrap_or(chunk.len());
            if self.value.len() + used > MAX_VALUE_BYTES {
                return Err(Bail);
            }
            self.value.extend_from_slice(&chunk[..used]);
            self.input.consume(used);
            self.offset += used as u64;
            if end.is_some() {
                return checked(&self.value).and_then(|value| use_value(value, start));
            }
        }
    }

    /// Reads the object that comes next, handing each key to `on_key`,
    /// which must read the key's value.
    pub(crate) fn object(
        &mut self,
        mut on_key: impl FnMut(&mut Self, String) -> Result<(), Bail>,
    ) -> Result<(), Bail> {
        self.expect(b'{')?;
        if self.peek()? == Some(b'}') {
            return self.expect(b'}');
        }
        loop {
            if self.peek()? != Some(b'"') {
                return Err(Bail);
            }
            let key = self.value::<String>()?;
            self.expect(b':')?;
            on_key(self, key)?;
            match self.peek()? {
                Some(b',') => self.expect(b',')?,
                Some(b'}') => return self.expect(b'}'),
                _ => return Err(Bail),
            }
        }
    }

    /// Reads the array that comes next, having `on_element` read each of
    /// its values.
    pub(crate) fn array(
        &mut self,
        mut on_element: impl FnMut(&mut Self) -> Result<(), Bail>,
    ) -> Result<(), Bail> {
        self.expect(b'[')?;
        if self.peek()? == Some(b']') {
            return self.expect(b']');
        }
        loop {
            on_element(self)?;
            match self.peek()? {
                Some(b',') => self.expect(b',')?,
                Some(b']') => return self.expect(b']'),
                _ => return Err(Bail),
            }
        }
    }

    /// The next value, parsed as a `T`.
    pub(crate) fn value<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T, Bail> {
        self.with_value(|bytes, _| parse(bytes))
    }

    /// Skips the next value, checked to be JSON.
    pub(crate) fn skip_value(&mut self) -> Result<(), Bail> {
        self.value::<IgnoredAny>().map(drop)
    }

    /// Hands each object of the array that comes next to `on_object`, as
    /// its bytes and the offset of its `{`.
    pub(crate) fn each_object(
        &mut self,
        mut on_object: impl FnMut(&[u8], u64) -> Result<(), Bail>,
    ) -> Result<(), Bail> {
        self.array(|scanner| {
            if scanner.peek()? != Some(b'{') {
                return Err(Bail);
            }
            scanner.with_value(&mut on_object)
        })
    }

    /// Checks that nothing but whitespace follows the document.
    pub(crate) fn end(&mut self) -> Result<(), Bail> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(Bail),
        }
    }
}

/// A JSON string borrowed from the slice it was parsed from when it holds
/// no escapes (the slice reader's way), owned otherwise (and always, from
/// the streaming reader): one field type for both readers, and for writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JsonStr<'a>(pub Cow<'a, str>);

impl JsonStr<'_> {
    /// Whether the string is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> From<&'a str> for JsonStr<'a> {
    fn from(text: &'a str) -> Self {
        JsonStr(Cow::Borrowed(text))
    }
}

impl Serialize for JsonStr<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(text.to_string())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key and value of a top-level object, arrays of objects as
    /// their objects' offsets and text.
    fn cut(document: &str) -> Result<Vec<(String, String)>, Bail> {
        let mut input = document.as_bytes();
        let mut scanner = Scanner::new(&mut input)?;
        let mut out = Vec::new();
        scanner.object(|scanner, key| {
            if key == "list" {
                let mut objects = Vec::new();
                scanner.each_object(|bytes, at| {
                    objects.push(format!("{at}:{}", String::from_utf8_lossy(bytes)));
                    Ok(())
                })?;
                out.push((key, objects.join("|")));
            } else if key == "skip" {
                scanner.skip_value()?;
                out.push((key, String::new()));
            } else {
                let value: serde_json::Value = scanner.value()?;
                out.push((key, value.to_string()));
            }
            Ok(())
        })?;
        scanner.end()?;
        Ok(out)
    }

    #[test]
    fn cuts_a_document_into_its_values() {
        let document = "\u{feff}{\"a\": 1, \"list\": [{\"x\":\"}\\\"{\"}, {\"y\":[1,{}]}],\n \"skip\": {\"deep\":[[]]}, \"b\":\"s\"}\n";
        let values = cut(document).unwrap();
        assert_eq!(
            values,
            [
                ("a".to_string(), "1".to_string()),
                (
                    "list".to_string(),
                    "21:{\"x\":\"}\\\"{\"}|35:{\"y\":[1,{}]}".to_string()
                ),
                ("skip".to_string(), String::new()),
                ("b".to_string(), "\"s\"".to_string()),
            ]
        );
        // Offsets count the BOM, as the streaming reader's do.
        assert_eq!(&document.as_bytes()[21..22], b"{");
        assert_eq!(&document.as_bytes()[35..36], b"{");
        assert_eq!(cut("{}").unwrap(), []);
        assert_eq!(
            cut("{\"list\": []}").unwrap(),
            [("list".into(), String::new())]
        );
    }

    #[test]
    fn bails_on_anything_it_is_not_sure_of() {
        for document in [
            "",
            "[]",
            "{",
            "{\"a\": 1",
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "{,\"a\": 1}",
            "{\"a\": 1 \"b\": 2}",
            "{\"list\": [{},]}",
            "{\"list\": [1]}",
            "{\"list\": [{}}",
            "{\"skip\": [1,}",
            "{\"skip\": tru}",
            "{\"a\": 1} x",
            "{\"a\": 1}}",
            "{\"a\": \"\\u00\"}",
            "{\"a\": \"unterminated}",
        ] {
            assert_eq!(cut(document), Err(Bail), "{document:?}");
        }
        assert_eq!(cut(&nested_past_the_scanner("{\"a\": 1}")), Err(Bail));
        let long = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_VALUE_BYTES + 1));
        assert_eq!(cut(&long), Err(Bail));
    }
}
