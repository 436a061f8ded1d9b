//! JUnit XML, the family of formats most test runners can write
//! (`formats.md` §1).
//!
//! The reader streams the file with quick-xml and keeps only `<testcase>`
//! attributes. Captured output (`system-out`, failure bodies, CDATA) is
//! skipped straight from the input without being buffered, so memory does
//! not grow with the size of the logs a report carries.
//!
//! Decisions worth knowing:
//! * A `<testcase>` with a missing or blank `name` is skipped with a
//!   warning: no runner can select a test without a name.
//! * `suite` and `file` come from the nearest enclosing `<testsuite>` that
//!   has them, so nested suites (PHPUnit, mocha) inherit from their parents.
//! * Entities: only the five predefined ones and character references are
//!   decoded. A DTD is skipped unread, so entities it declares (XXE probes
//!   included) are never expanded or fetched; using one is an error.
//! * UTF-8 (with or without BOM) and UTF-16 (LE/BE, with BOM or recognisable
//!   from `<`) are read; other declared encodings work only for ASCII text.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use quick_xml::XmlVersion;
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::escape::EscapeError;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;

use super::{Diagnostic, Dialect, GroupTime, Outcome, Report, ReportFormat, RunWindow, TestCase};
use crate::case::{Recent, Shared, Text, TextBlock, is_blank};
use crate::duration::{Micros, ParsedTime, parse_seconds};
use crate::identity::{is_normal_relative, normalize_path};

/// The JUnit XML reader (`--format junit`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Junit;

impl ReportFormat for Junit {
    fn name(&self) -> &'static str {
        "junit"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let text = decode_head(head);
        matches!(
            first_element_name(&text),
            Some("testsuites" | "testsuite" | "testrun")
        )
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        read_xml::<State>(input)
    }
}

/// The document-specific half of an XML reader: [`read_xml`] handles
/// encodings, well-formedness, entities and captured output, and hands the
/// elements to the handler. JUnit and TRX each implement it.
pub(super) trait XmlHandler {
    /// Whether the root element has been opened (and perhaps closed).
    fn root_seen(&self) -> bool;
    /// The name of the innermost open element, if any.
    fn innermost(&self) -> Option<&str>;
    /// A start tag at `at` (an empty-element tag `<x/>` is a start tag and
    /// an end tag).
    fn start(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic>;
    /// [`XmlHandler::start`] of a tag whose attributes `plain` has read
    /// already ([`PlainAttributes::split_empty_tag`]), so that a handler
    /// need not split them again.
    fn start_plain(
        &mut self,
        tag: &BytesStart,
        _plain: &PlainAttributes,
        at: u64,
    ) -> Result<(), Diagnostic> {
        self.start(tag, at)
    }
    /// An end tag.
    fn end(&mut self);
    /// End of input, with the root seen and every element closed: the
    /// report, or why it cannot be used.
    fn finish(self) -> Result<Report, Diagnostic>;

    /// Whether the root element is open (text is then content, not stray).
    fn inside_root(&self) -> bool {
        self.innermost().is_some()
    }

    /// The error for text or CDATA outside the root element at `at`.
    fn stray_content(&self, at: u64) -> Diagnostic {
        let place = if self.root_seen() { "after" } else { "before" };
        Diagnostic::at(at, format!("malformed XML: text {place} the root element"))
    }

    /// End of input at offset `end`: the report, or why it is incomplete.
    fn finish_at(self, end: u64) -> Result<Report, Diagnostic>
    where
        Self: Sized,
    {
        if let Some(innermost) = self.innermost() {
            // quick-xml checks tag pairs but not what is left open at EOF.
            return Err(Diagnostic::at(
                end,
                format!("malformed XML: file ends inside <{innermost}> (truncated report?)"),
            ));
        }
        if !self.root_seen() {
            return Err(Diagnostic::at(
                end,
                "malformed XML: no root element (empty report?)",
            ));
        }
        self.finish()
    }
}

/// Reads an XML report in UTF-8 or UTF-16 with `H` handling its elements.
pub(super) fn read_xml<H: XmlHandler + Default>(
    input: &mut dyn BufRead,
) -> Result<Report, Diagnostic> {
    // Read the first bytes by consuming them (a BufRead cannot promise a
    // 4-byte peek) and put them back in front with `chain`.
    let mut prefix = [0u8; 4];
    let prefix_len = read_up_to(input, &mut prefix)?;
    let prefix = &prefix[..prefix_len];
    let (encoding, bom) = detect_encoding(prefix);
    match encoding {
        TextEncoding::Utf8 => {
            let rest = prefix.get(bom..).unwrap_or_default();
            parse::<_, H>(rest.chain(input), bom as u64)
        }
        TextEncoding::Utf16 { big_endian } => {
            // UTF-16 reports are rare, so the whole file is transcoded
            // to UTF-8 in memory instead of streamed. Offsets are mapped
            // back to the UTF-16 bytes (see `utf16_offset`).
            let mut raw = prefix.to_vec();
            input
                .take(MAX_UTF16_BYTES)
                .read_to_end(&mut raw)
                .map_err(io_diagnostic)?;
            if raw.len() as u64 > MAX_UTF16_BYTES {
                return Err(Diagnostic::at(
                    MAX_UTF16_BYTES,
                    format!(
                        "a UTF-16 report larger than {} MiB (shardplan reads UTF-16 whole; \
                         convert the report to UTF-8, which is streamed)",
                        MAX_UTF16_BYTES >> 20
                    ),
                ));
            }
            let text = decode_utf16(raw.get(bom..).unwrap_or_default(), big_endian, bom)?;
            parse::<_, H>(text.as_bytes(), 0)
                .map_err(|mut d| {
                    d.offset = d.offset.map(|o| utf16_offset(&text, o, bom));
                    d
                })
                .map(|mut report| {
                    for warning in &mut report.warnings {
                        warning.offset = warning.offset.map(|o| utf16_offset(&text, o, bom));
                    }
                    report
                })
        }
    }
}

// ---------------------------------------------------------------------------
// Encodings

/// The largest UTF-16 report read (it is transcoded in memory).
const MAX_UTF16_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Utf16 { big_endian: bool },
}

/// The encoding of a file from its first bytes, and the length of its BOM.
/// Without a BOM, UTF-16 shows as a NUL beside the leading `<`.
fn detect_encoding(head: &[u8]) -> (TextEncoding, usize) {
    match head {
        [0xEF, 0xBB, 0xBF, ..] => (TextEncoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (TextEncoding::Utf16 { big_endian: false }, 2),
        [0xFE, 0xFF, ..] => (TextEncoding::Utf16 { big_endian: true }, 2),
        [b'<', 0, ..] => (TextEncoding::Utf16 { big_endian: false }, 0),
        [0, b'<', ..] => (TextEncoding::Utf16 { big_endian: true }, 0),
        _ => (TextEncoding::Utf8, 0),
    }
}

/// The head of a file as text, good enough to find its first element.
pub(super) fn decode_head(head: &[u8]) -> String {
    let (encoding, bom) = detect_encoding(head);
    let body = head.get(bom..).unwrap_or_default();
    match encoding {
        TextEncoding::Utf8 => String::from_utf8_lossy(body).into_owned(),
        TextEncoding::Utf16 { big_endian } => char::decode_utf16(utf16_units(body, big_endian))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    }
}

/// Code units of UTF-16 bytes; an odd trailing byte is ignored.
fn utf16_units(bytes: &[u8], big_endian: bool) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(move |pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    })
}

fn decode_utf16(bytes: &[u8], big_endian: bool, bom: usize) -> Result<String, Diagnostic> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Diagnostic::at(
            (bom + bytes.len() - 1) as u64,
            "file ends in the middle of a UTF-16 character (truncated report?)",
        ));
    }
    let mut text = String::with_capacity(bytes.len() / 2);
    for (index, unit) in char::decode_utf16(utf16_units(bytes, big_endian)).enumerate() {
        match unit {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(Diagnostic::at(
                    (bom + 2 * index) as u64,
                    "invalid UTF-16 (unpaired surrogate)",
                ));
            }
        }
    }
    Ok(text)
}

/// Maps an offset into the transcoded UTF-8 text back to a byte offset in
/// the UTF-16 file. The offset itself is exact, but line:column positions
/// computed from it are approximate because `read_file` counts lines and
/// columns as if the bytes were UTF-8.
fn utf16_offset(text: &str, offset: u64, bom: usize) -> u64 {
    let mut end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (bom + 2 * text[..end].encode_utf16().count()) as u64
}

/// Fills `buf` as far as the input allows; returns how much was read.
fn read_up_to(input: &mut dyn BufRead, buf: &mut [u8]) -> Result<usize, Diagnostic> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_diagnostic(e)),
        }
    }
    Ok(filled)
}

fn io_diagnostic(error: io::Error) -> Diagnostic {
    Diagnostic::whole(format!("cannot read report: {error}"))
}

// ---------------------------------------------------------------------------
// Sniffing

/// Local name of the first element of an XML text, skipping whitespace, the
/// declaration, comments, processing instructions and a DOCTYPE. `None` when
/// something else (console output, JSON) comes first.
pub(super) fn first_element_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1;
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1;
        } else if rest.starts_with("<!DOCTYPE") {
            rest = skip_doctype(rest)?;
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = after
                .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .unwrap_or(after.len());
            let name = &after[..end];
            return Some(name.rsplit(':').next().unwrap_or(name));
        } else {
            return None;
        }
    }
}

/// The text after a `<!DOCTYPE …>`, whose internal subset may hold `>`
/// and `]` in comments, processing instructions and quoted literals.
fn skip_doctype(text: &str) -> Option<&str> {
    let mut in_subset = false;
    let mut i = "<!DOCTYPE".len();
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            i += 4 + comment.find("-->")? + 3;
            continue;
        }
        if let Some(pi) = rest.strip_prefix("<?") {
            i += 2 + pi.find("?>")? + 2;
            continue;
        }
        match c {
            '"' | '\'' => {
                i += 1 + rest[1..].find(c)? + 1;
                continue;
            }
            '[' => in_subset = true,
            ']' => in_subset = false,
            '>' if !in_subset => return text.get(i + 1..),
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

// ---------------------------------------------------------------------------
// Reading

/// Parses a UTF-8 stream. `base` is the number of bytes before it in the
/// file (the BOM), added to every offset.
fn parse<R: BufRead, H: XmlHandler + Default>(input: R, base: u64) -> Result<Report, Diagnostic> {
    let mut reader = Reader::from_reader(budget::Limited::new(input));
    let mut buf = Vec::new();
    let mut state = H::default();
    let mut depth = 0usize;
    let mut plain = PlainAttributes::default();
    loop {
        if state.inside_root() {
            reader.get_mut().unlimited();
            skip_character_data(&mut reader, base)?;
            if read_plain_empty_tags(&mut reader, &mut state, &mut plain, base)? {
                continue;
            }
        }
        buf.clear();
        let start = reader.buffer_position();
        // One event (a tag, a comment, the DOCTYPE) is buffered whole, so
        // its size is bounded; text and CDATA are streamed above.
        reader.get_mut().limit(budget::MAX_MARKUP_BYTES);
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) if reader.get_ref().exhausted() => {
                return Err(budget::markup_too_long(base + start));
            }
            Err(error) => return Err(xml_error(&error, &reader, start, base)),
        };
        let at = base + start;
        match event {
            Event::Start(tag) => {
                depth += 1;
                if depth > budget::MAX_DEPTH {
                    return Err(budget::too_deep(at));
                }
                state.start(&tag, at)?;
            }
            Event::Empty(tag) => {
                state.start(&tag, at)?;
                state.end();
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                state.end();
            }
            Event::Text(text) => {
                if !state.inside_root() && !text.bytes().all(is_xml_space) {
                    return Err(state.stray_content(at));
                }
            }
            Event::CData(_) if !state.inside_root() => return Err(state.stray_content(at)),
            Event::GeneralRef(reference) => {
                if !state.inside_root() {
                    return Err(state.stray_content(at));
                }
                check_reference(&reference, at)?;
            }
            Event::Eof => return state.finish_at(base + reader.buffer_position()),
            // Declarations, comments, processing instructions and the DTD
            // carry nothing we need; the DTD is never interpreted.
            Event::CData(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::Comment(_)
            | Event::DocType(_) => {}
        }
    }
}

/// Reads the plain empty-element tags (`<testcase name="a" time="1"/>`,
/// as nearly every passing test case is written) that come next in the
/// input buffer, with the XML whitespace between them, straight from the
/// buffer when it holds them whole, and hands each to `state` as
/// quick-xml would hand it: one pass over a tag's bytes instead of
/// quick-xml's search for its end and then the split of its attributes,
/// and one look at the buffer for a run of cases rather than one each.
/// Whether it read any; anything else, errors included, is left to
/// quick-xml.
fn read_plain_empty_tags<R: BufRead, H: XmlHandler>(
    reader: &mut Reader<R>,
    state: &mut H,
    plain: &mut PlainAttributes,
    base: u64,
) -> Result<bool, Diagnostic> {
    let mut stream = reader.stream();
    let offset = base + stream.offset();
    let Ok(chunk) = stream.fill_buf() else {
        return Ok(false);
    };
    // Read up to here: after the last tag read, before the whitespace
    // that follows it (which is left for `skip_character_data` unless
    // another plain tag follows it).
    let mut read = 0;
    loop {
        let spaces = chunk[read..]
            .iter()
            .take_while(|&&b| is_xml_space(b))
            .count();
        let from = read + spaces;
        let rest = &chunk[from..];
        // quick-xml refuses markup longer than this; such a tag is left to it.
        let rest = &rest[..rest.len().min(budget::MAX_MARKUP_BYTES as usize)];
        let Some((len, name_len)) = plain.split_empty_tag(rest) else {
            break;
        };
        // What quick-xml's event holds: the text between `<` and `/>`.
        let Ok(content) = std::str::from_utf8(&rest[1..len - 2]) else {
            break;
        };
        let tag = BytesStart::from_content(content, name_len);
        state.start_plain(&tag, plain, offset + from as u64)?;
        state.end();
        read = from + len;
    }
    stream.consume(read);
    Ok(read > 0)
}

/// Bounds on what one report may make the reader hold: each a clear error
/// at its place in the file rather than memory or time without bound.
pub(super) mod budget {
    use std::io::{self, BufRead, Read};

    use super::Diagnostic;

    /// The largest markup item (a tag with its attributes, a comment, the
    /// DOCTYPE) read whole. Test names are short; a failure `message`
    /// attribute holding a long stack trace still fits.
    pub const MAX_MARKUP_BYTES: u64 = 16 << 20;

    /// The deepest element nesting accepted. Real reports nest suites a
    /// handful of levels (PHPUnit, mocha).
    pub const MAX_DEPTH: usize = 1024;

    /// Strings kept in cases may add up to this much plus
    /// [`KEPT_PER_INPUT_BYTE`] times the bytes read: a suite name repeats
    /// in each of its cases, but a short case cannot make a long name
    /// repeat without bound.
    pub const KEPT_BASE: u64 = 64 << 20;

    /// See [`KEPT_BASE`].
    pub const KEPT_PER_INPUT_BYTE: u64 = 64;

    /// What strings kept in cases may add up to after `at` bytes of input.
    pub fn kept_limit(at: u64) -> u64 {
        KEPT_BASE.saturating_add(at.saturating_mul(KEPT_PER_INPUT_BYTE))
    }

    pub fn too_much_kept(at: u64) -> Diagnostic {
        Diagnostic::at(
            at,
            format!(
                "the names and paths of the test cases so far add up to more than {} MiB plus \
                 {KEPT_PER_INPUT_BYTE} times the bytes read (a long suite name repeated in \
                 every case?)",
                KEPT_BASE >> 20
            ),
        )
    }

    pub fn markup_too_long(at: u64) -> Diagnostic {
        Diagnostic::at(
            at,
            format!(
                "a tag, comment or DOCTYPE longer than {} MiB (shardplan reads attributes of at \
                 most that size)",
                MAX_MARKUP_BYTES >> 20
            ),
        )
    }

    pub fn too_deep(at: u64) -> Diagnostic {
        Diagnostic::at(
            at,
            format!("elements nested more than {MAX_DEPTH} levels deep"),
        )
    }

    /// A reader that serves at most a set number of bytes until the limit
    /// is lifted, then fails (and says so through [`Limited::exhausted`]).
    pub struct Limited<R> {
        inner: R,
        left: u64,
        exhausted: bool,
    }

    impl<R> Limited<R> {
        pub fn new(inner: R) -> Self {
            Limited {
                inner,
                left: u64::MAX,
                exhausted: false,
            }
        }

        /// Serves at most `bytes` more bytes.
        pub fn limit(&mut self, bytes: u64) {
            self.left = bytes;
            self.exhausted = false;
        }

        /// Serves every byte.
        pub fn unlimited(&mut self) {
            self.limit(u64::MAX);
        }

        /// Whether a read failed because the limit was reached.
        pub fn exhausted(&self) -> bool {
            self.exhausted
        }
    }

    impl<R: BufRead> Read for Limited<R> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            self.consume(n);
            Ok(n)
        }
    }

    impl<R: BufRead> BufRead for Limited<R> {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            if self.left == 0 {
                self.exhausted = true;
                return Err(io::Error::other("markup too long"));
            }
            let left = self.left;
            let chunk = self.inner.fill_buf()?;
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
            Ok(&chunk[..n])
        }

        fn consume(&mut self, amount: usize) {
            self.left = self.left.saturating_sub(amount as u64);
            self.inner.consume(amount);
        }
    }
}

/// XML whitespace (not Unicode whitespace).
const fn is_xml_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// An entity reference in text must be predefined or a character reference:
/// nothing else is defined without a DTD, and DTDs are never read.
fn check_reference(reference: &BytesRef, at: u64) -> Result<(), Diagnostic> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(_)) => Ok(()),
            _ => Err(Diagnostic::at(
                at,
                format!(
                    "malformed XML: invalid character reference &{};",
                    &**reference
                ),
            )),
        };
    }
    match &**reference {
        "lt" | "gt" | "amp" | "apos" | "quot" => Ok(()),
        name => Err(undefined_entity(at, name)),
    }
}

fn undefined_entity(at: u64, name: &str) -> Diagnostic {
    Diagnostic::at(
        at,
        format!(
            "malformed XML: undefined entity &{name}; (shardplan never reads entities declared in a DTD)"
        ),
    )
}

/// Turns a quick-xml error into a message a user can act on.
fn xml_error<R>(error: &XmlError, reader: &Reader<R>, start: u64, base: u64) -> Diagnostic {
    let marked = base + reader.error_position();
    match error {
        XmlError::Io(e) => Diagnostic::whole(format!("cannot read report: {e}")),
        XmlError::Syntax(SyntaxError::InvalidBangMarkup) => Diagnostic::at(
            marked,
            "malformed XML: unknown `<!` markup (only comments, CDATA and DOCTYPE start with `<!`)",
        ),
        XmlError::Syntax(syntax) => {
            let what = match syntax {
                SyntaxError::InvalidBangMarkup => "markup",
                SyntaxError::UnclosedPI => "a processing instruction",
                SyntaxError::UnclosedXmlDecl => "the XML declaration",
                SyntaxError::UnclosedComment => "a comment",
                SyntaxError::UnclosedDoctype => "the DOCTYPE",
                SyntaxError::UnclosedCData => "a CDATA section",
                SyntaxError::UnclosedTag => "a tag",
                SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue => "an attribute value",
            };
            Diagnostic::at(
                marked,
                format!("malformed XML: file ends inside {what} (truncated report?)"),
            )
        }
        XmlError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            Diagnostic::at(
                marked,
                format!("malformed XML: expected </{expected}>, found </{found}>"),
            )
        }
        XmlError::IllFormed(IllFormedError::UnmatchedEndTag(name)) => Diagnostic::at(
            marked,
            format!("malformed XML: </{name}> closes an element that was never opened"),
        ),
        XmlError::IllFormed(IllFormedError::UnclosedReference) => Diagnostic::at(
            marked,
            "malformed XML: `&` not followed by an entity name and `;`",
        ),
        XmlError::IllFormed(other) => Diagnostic::at(marked, format!("malformed XML: {other}")),
        XmlError::Encoding(_) => Diagnostic::at(start, NOT_UTF8),
        XmlError::InvalidAttr(e) => attr_error(e, start),
        XmlError::Escape(e) => escape_error(e, start, "text"),
        XmlError::Namespace(e) => Diagnostic::at(start, format!("malformed XML: {e}")),
    }
}

const NOT_UTF8: &str = "invalid UTF-8 (shardplan reads UTF-8 and UTF-16 reports; was the file written in another encoding?)";

/// `tag_start` is the offset of the tag's `<`; quick-xml counts attribute
/// positions from the character after it.
fn attr_error(error: &AttrError, tag_start: u64) -> Diagnostic {
    let (position, what) = match error {
        AttrError::ExpectedEq(p) => (*p, "attribute name not followed by `=`"),
        AttrError::ExpectedValue(p) => (*p, "`=` not followed by a value"),
        AttrError::UnquotedValue(p) => (*p, "attribute value without quotes"),
        AttrError::ExpectedQuote(p, _) => (*p, "attribute value without a closing quote"),
        AttrError::Duplicated(p, _) => (*p, "the same attribute twice in one tag"),
    };
    Diagnostic::at(
        tag_start + 1 + position as u64,
        format!("malformed XML: {what}"),
    )
}

fn escape_error(error: &EscapeError, at: u64, place: &str) -> Diagnostic {
    match error {
        EscapeError::UnrecognizedEntity(_, name) => undefined_entity(at, name),
        EscapeError::UnterminatedEntity(_) => Diagnostic::at(
            at,
            format!(
                "malformed XML: `&` in {place} not followed by an entity name and `;` (write &amp;)"
            ),
        ),
        EscapeError::InvalidCharRef(e) => Diagnostic::at(
            at,
            format!("malformed XML: invalid character reference in {place}: {e}"),
        ),
        EscapeError::TooManyNestedEntities => Diagnostic::at(
            at,
            format!("malformed XML: too many nested entities in {place}"),
        ),
    }
}

/// Consumes text and CDATA sections straight from the input, leaving the
/// reader before the next `<` (or `&`, so quick-xml checks references).
/// quick-xml would buffer a whole text run or CDATA section; this keeps
/// memory flat however much output a test captured. A `<![CDATA[` split
/// across the input buffer's edge is left to quick-xml, which is correct,
/// only less frugal.
fn skip_character_data<R: BufRead>(reader: &mut Reader<R>, base: u64) -> Result<(), Diagnostic> {
    let mut stream = reader.stream();
    // Between two tags there is mostly a line break and indentation, or
    // nothing: XML whitespace is ASCII, so needs no UTF-8 check.
    if let Ok(chunk) = stream.fill_buf() {
        let spaces = chunk.iter().take_while(|&&b| is_xml_space(b)).count();
        if chunk.get(spaces) == Some(&b'<') && !chunk[spaces..].starts_with(b"<![CDATA[") {
            stream.consume(spaces);
            return Ok(());
        }
    }
    let mut utf8 = Utf8Check::default();
    loop {
        let offset = stream.offset();
        let chunk = match stream.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_diagnostic(e)),
        };
        // At end of input, quick-xml reports whatever is still open.
        if chunk.is_empty() {
            return utf8.finish().map_err(|back| {
                Diagnostic::at((base + offset).saturating_sub(back as u64), NOT_UTF8)
            });
        }
        let stop = chunk.iter().position(|&b| b == b'<' || b == b'&');
        let text = &chunk[..stop.unwrap_or(chunk.len())];
        utf8.feed(text)
            .map_err(|i| Diagnostic::at(base + offset + i as u64, NOT_UTF8))?;
        let Some(stop) = stop else {
            let len = chunk.len();
            stream.consume(len);
            continue;
        };
        let is_cdata = chunk[stop..].starts_with(b"<![CDATA[");
        let at = offset + stop as u64;
        utf8.finish()
            .map_err(|back| Diagnostic::at((base + at).saturating_sub(back as u64), NOT_UTF8))?;
        if !is_cdata {
            stream.consume(stop);
            return Ok(());
        }
        stream.consume(stop + "<![CDATA[".len());
        skip_cdata(&mut stream, base, at)?;
    }
}

/// Consumes a CDATA section's content and its `]]>`; `start` is the offset
/// of its `<![CDATA[`.
fn skip_cdata<S: BufRead>(stream: &mut S, base: u64, start: u64) -> Result<(), Diagnostic> {
    let mut utf8 = Utf8Check::default();
    // `]` characters at the end of the previous chunk (at most the two that
    // matter), so a `]]>` split across chunks is still found.
    let mut carried = 0usize;
    let mut seen = 0u64;
    loop {
        let chunk = match stream.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_diagnostic(e)),
        };
        if chunk.is_empty() {
            return Err(Diagnostic::at(
                base + start,
                "malformed XML: file ends inside a CDATA section (truncated report?)",
            ));
        }
        let bracket = |i: usize, back: usize| {
            if i >= back {
                chunk[i - back] == b']'
            } else {
                carried >= back - i
            }
        };
        let end = chunk
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'>')
            .map(|(i, _)| i)
            .find(|&i| bracket(i, 1) && bracket(i, 2));
        let len = end.map_or(chunk.len(), |i| i + 1);
        let invalid = utf8.feed(&chunk[..len]).err();
        let trailing = chunk
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b']')
            .count();
        carried = if trailing == chunk.len() {
            (carried + trailing).min(2)
        } else {
            trailing
        };
        if let Some(i) = invalid {
            return Err(Diagnostic::at(base + start + 9 + seen + i as u64, NOT_UTF8));
        }
        stream.consume(len);
        seen += len as u64;
        if end.is_some() {
            // `]]>` is ASCII, so no character can be left open here.
            return utf8
                .finish()
                .map_err(|_| Diagnostic::at(base + start, NOT_UTF8));
        }
    }
}

/// Validates UTF-8 fed in pieces that may split a character.
#[derive(Default)]
struct Utf8Check {
    pending: [u8; 4],
    len: usize,
}

impl Utf8Check {
    /// Checks the next piece; `Err` holds the index of the bad byte in it.
    fn feed(&mut self, mut piece: &[u8]) -> Result<(), usize> {
        let mut skipped = 0;
        if self.len > 0 {
            let width = match self.pending[0] {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => return Err(0),
            };
            let take = (width - self.len).min(piece.len());
            self.pending[self.len..self.len + take].copy_from_slice(&piece[..take]);
            self.len += take;
            piece = &piece[take..];
            skipped = take;
            if self.len < width {
                return Ok(());
            }
            if std::str::from_utf8(&self.pending[..width]).is_err() {
                return Err(0);
            }
            self.len = 0;
        }
        match std::str::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &piece[e.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.len = tail.len();
                Ok(())
            }
            Err(e) => Err(skipped + e.valid_up_to()),
        }
    }

    /// Fails if a character was left incomplete; `Err` holds how many bytes
    /// back it started.
    fn finish(&mut self) -> Result<(), usize> {
        if self.len == 0 { Ok(()) } else { Err(self.len) }
    }
}

// ---------------------------------------------------------------------------
// Document state

/// One open element, as far as test cases care.
enum Frame {
    /// A suite; what its cases inherit is in [`State::suites`].
    Suite {
        /// The suite's own `time`, if usable.
        time: Option<Micros>,
        /// The suite's `timestamp`, if it is one.
        start: Option<crate::duration::Instant>,
        /// Index of the first case read inside this suite.
        first_case: usize,
    },
    /// A test case; the index into the cases, or `None` if it was skipped.
    Case(Option<usize>),
    /// Anything else, by name for messages about truncated files.
    Other(Box<str>),
}

/// What the file has shown so far about the tool that wrote it.
#[derive(Default)]
struct Signals {
    root_suites_name: Option<String>,
    root_suite_name: Option<String>,
    playwright_root: bool,
    suite_hostname: bool,
    pytest_suite: bool,
    go_version: bool,
    assertions: bool,
    dll_suite: bool,
    surefire: bool,
    root_is_suite: bool,
}

impl Signals {
    fn dialect(&self) -> Dialect {
        match self.root_suites_name.as_deref() {
            Some("nextest-run") => return Dialect::Nextest,
            Some("jest tests") => return Dialect::Jest,
            Some("vitest tests") => return Dialect::Vitest,
            Some("pytest tests") => return Dialect::Pytest,
            Some("Mocha Tests") => return Dialect::Mocha,
            _ => {}
        }
        let root_suite = self.root_suite_name.as_deref();
        if root_suite.is_some_and(|n| n.starts_with("rspec")) {
            Dialect::Rspec
        } else if root_suite == Some("Mocha Tests") {
            // Older mocha-junit-reporter configurations write no wrapper.
            Dialect::Mocha
        } else if self.pytest_suite {
            Dialect::Pytest
        } else if self.playwright_root && self.suite_hostname {
            Dialect::Playwright
        } else if self.go_version {
            Dialect::Go
        } else if self.assertions {
            Dialect::Phpunit
        } else if self.dll_suite {
            Dialect::Dotnet
        } else if self.surefire {
            Dialect::Surefire
        } else {
            Dialect::Generic
        }
    }
}

/// Calls `f` with the local name, unescaped value and offset of every
/// attribute of `tag` (which starts at `at`). All values are unescaped, so
/// a bad one fails the file wherever it is, as in any XML parser.
pub(super) fn each_attribute<'t>(
    tag: &'t BytesStart,
    at: u64,
    f: impl FnMut(&str, Cow<'t, str>, u64),
) -> Result<(), Diagnostic> {
    let content: &str = tag;
    let mut plain = PlainAttributes::default();
    if plain.split(content, tag.name().as_ref().len()) {
        plain.each(tag, at, f);
        return Ok(());
    }
    walk_attributes(tag, at, f)
}

/// [`each_attribute`] through quick-xml's attribute walk, which checks
/// everything.
fn walk_attributes<'t>(
    tag: &'t BytesStart,
    at: u64,
    mut f: impl FnMut(&str, Cow<'t, str>, u64),
) -> Result<(), Diagnostic> {
    let content: &str = tag;
    for attribute in tag.attributes() {
        let attribute = attribute.map_err(|e| attr_error(&e, at))?;
        let key = attribute.key.0;
        // Pointer distance gives the attribute's place in the tag.
        let place = (key.as_ptr() as usize)
            .checked_sub(content.as_ptr() as usize)
            .map_or(at, |d| at + 1 + d as u64);
        if attribute.value.contains('<') {
            return Err(Diagnostic::at(
                place,
                format!("malformed XML: raw `<` in the value of attribute {key} (should be &lt;)"),
            ));
        }
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| match e {
                XmlError::Escape(e) => escape_error(&e, place, &format!("attribute {key}")),
                other => Diagnostic::at(place, format!("malformed XML: {other}")),
            })?;
        f(local_name(key), value, place);
    }
    Ok(())
}

/// The local part of an attribute's name: after the last `:` of a
/// prefixed name. Names are a few bytes, too short for `rfind`'s memrchr
/// to pay.
fn local_name(key: &str) -> &str {
    key.bytes()
        .rposition(|b| b == b':')
        .map_or(key, |colon| &key[colon + 1..])
}

/// The attributes of a tag in the form nearly every report writes them,
/// `key="value"` (or `'value'`) apart by whitespace, each key once, and no
/// value holding what XML would unescape or normalise (`&`, a tab or line
/// break) or refuse (`<`): read in one pass, with the same keys, values
/// and places as quick-xml's walk gives them. Any other tag, bad ones
/// included, takes that walk, so errors stay the walk's.
#[derive(Default)]
pub(super) struct PlainAttributes {
    /// Per attribute, where its key starts, its local name starts (after
    /// the key's last `:`, found as the key is read), and its value starts
    /// and ends in the tag (its key ends at the `="` before its value):
    /// offsets rather than ranges, so that the reader fills a small array
    /// in place for every tag.
    spans: [[u32; 4]; PlainAttributes::MAX],
    len: usize,
}

/// The bytes that end a plain attribute value: either quote, and what
/// quick-xml would unescape, normalise or refuse (`&`, tab, line breaks, `<`).
const VALUE_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut i = 0;
    while i < 256 {
        stop[i] = matches!(i as u8, b'"' | b'\'' | b'<' | b'&' | b'\t' | b'\n' | b'\r');
        i += 1;
    }
    stop
};

/// Where the first [`VALUE_STOP`] byte of `bytes` is. Eight bytes at a
/// time: a word with none of the stops (nearly every word of a value) is
/// passed over with a few integer operations, where a table look-up a
/// byte took an eighth of a million-test report's reading.
#[inline]
fn value_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte below `limit` (at most 0x80) in `word`;
    // a byte above one that is may be marked too, never one before it.
    let below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS;
    let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Control bytes stand for the tab, line feed and return among them.
        let marked = below(word, 0x20)
            | equal(word, b'"')
            | equal(word, b'\'')
            | equal(word, b'<')
            | equal(word, b'&');
        if marked != 0
            && let Some(found) = chunk.iter().position(|&b| VALUE_STOP[usize::from(b)])
        {
            return Some(at + found);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| VALUE_STOP[usize::from(b)])
        .map(|found| at + found)
}

/// The bytes that end an attribute's key, `=` and whitespace, and `:`,
/// where the scan notes that the key's local name starts after it and goes
/// on.
const KEY_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut i = 0;
    while i < 256 {
        stop[i] = matches!(i as u8, b'=' | b':') || is_xml_space(i as u8);
        i += 1;
    }
    stop
};

/// [`KEY_STOP`] for a tag read from the input ([`PlainAttributes::split_empty_tag`]),
/// where its end is not known yet: also what could end the tag or start a
/// quoted value for quick-xml (`/`, `>`, quotes), so that such a key is
/// not plain and the tag ends where quick-xml would end it.
const RAW_KEY_STOP: [bool; 256] = {
    let mut stop = KEY_STOP;
    stop[b'/' as usize] = true;
    stop[b'>' as usize] = true;
    stop[b'"' as usize] = true;
    stop[b'\'' as usize] = true;
    stop
};

/// The bytes of a tag's name that a tag read from the input may have
/// ([`PlainAttributes::split_empty_tag`]): letters, digits, `_`, `-`, `.`
/// and `:`; any other name is left to quick-xml.
const fn is_plain_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.' | b':')
}

/// [`is_plain_name_byte`] as a table: one look-up a byte of every tag's
/// name.
const PLAIN_NAME_BYTE: [bool; 256] = {
    let mut plain = [false; 256];
    let mut i = 0;
    while i < 256 {
        plain[i] = is_plain_name_byte(i as u8);
        i += 1;
    }
    plain
};

impl PlainAttributes {
    /// More attributes than this take the walk.
    const MAX: usize = 12;

    /// Reads the attributes of tag text `content` after its name
    /// (`name_len` bytes); whether they are all plain.
    fn split(&mut self, content: &str, name_len: usize) -> bool {
        let bytes = content.as_bytes();
        if u32::try_from(bytes.len()).is_err() {
            return false;
        }
        self.split_from(bytes, name_len, false) == Some(bytes.len())
    }

    /// Reads a plain empty-element tag at the start of `bytes`, which may
    /// hold more after it: `<`, a name of [`is_plain_name_byte`]s, plain
    /// attributes each after whitespace, whitespace and `/>`, all within
    /// `bytes`. Its length and its name's, with the attributes as
    /// [`PlainAttributes::split`] reads them from the text quick-xml hands
    /// on (between `<` and `/>`, where their offsets are); `None` for
    /// anything else. Keys hold no `/`, `>` or quote, so quick-xml ends
    /// the tag at the same `/>`.
    pub(super) fn split_empty_tag(&mut self, bytes: &[u8]) -> Option<(usize, usize)> {
        let content = bytes.strip_prefix(b"<")?;
        let content = &content[..content.len().min(u32::MAX as usize)];
        let name_len = content
            .iter()
            .position(|&b| !PLAIN_NAME_BYTE[usize::from(b)])
            .unwrap_or(content.len());
        if name_len == 0 {
            return None;
        }
        let end = self.split_from(content, name_len, true)?;
        // `<`, the content, `/>`.
        Some((end + 3, name_len))
    }

    /// Reads plain attributes from `at` in `bytes`: where the content
    /// ends, or `None` if they are not all plain. The content ends at the
    /// end of `bytes`, or, if `raw`, before the `/>` that ends the tag.
    fn split_from(&mut self, bytes: &[u8], mut at: usize, raw: bool) -> Option<usize> {
        self.len = 0;
        let key_stop = if raw { &RAW_KEY_STOP } else { &KEY_STOP };
        // One bit per key's length and first byte (see below).
        let mut seen = 0u64;
        loop {
            // Whitespace, then a key, or the end.
            let start = at;
            while at < bytes.len() && is_xml_space(bytes[at]) {
                at += 1;
            }
            if raw {
                match bytes.get(at..at + 2) {
                    Some(b"/>") => return Some(at),
                    None => return None,
                    Some(_) => {}
                }
            } else if at == bytes.len() {
                return Some(at);
            }
            if at == start || self.len == Self::MAX {
                return None;
            }
            let key_start = at;
            let mut local_start = at;
            loop {
                at += bytes[at..]
                    .iter()
                    .position(|&b| key_stop[usize::from(b)])
                    .unwrap_or(bytes.len() - at);
                if bytes.get(at) != Some(&b':') {
                    break;
                }
                at += 1;
                local_start = at;
            }
            let key = &bytes[key_start..at];
            // `=` right after the key, a quote right after it.
            if key.is_empty() || bytes.get(at) != Some(&b'=') {
                return None;
            }
            let quote = match bytes.get(at + 1) {
                Some(&quote @ (b'"' | b'\'')) => quote,
                _ => return None,
            };
            let value_start = at + 2;
            // The value ends at its quote (the other one is text), or is
            // not plain if anything else stops it.
            at = value_start;
            loop {
                at += value_stop(&bytes[at..])?;
                match bytes[at] {
                    b if b == quote => break,
                    b'"' | b'\'' => at += 1,
                    _ => return None,
                }
            }
            // Keys differ in length or first byte nearly always: a bit
            // for those says whether an earlier key may be the same, and
            // only then are the earlier keys compared.
            let bit = 1u64 << ((key.len() * 31 + usize::from(key[0])) % 64);
            let repeated = seen & bit != 0
                && self.spans[..self.len].iter().any(|&[from, _, value, _]| {
                    let earlier = &bytes[from as usize..value as usize - 2];
                    earlier.len() == key.len() && earlier[0] == key[0] && earlier == key
                });
            if repeated {
                return None;
            }
            seen |= bit;
            // All below `bytes.len()`, which fits in 32 bits.
            self.spans[self.len] = [key_start, local_start, value_start, at].map(|o| o as u32);
            self.len += 1;
            at += 1;
        }
    }

    /// Calls `f` as [`each_attribute`] does with each attribute read
    /// from `tag` (which starts at `at`), in tag order.
    fn each<'t>(&self, tag: &'t BytesStart, at: u64, mut f: impl FnMut(&str, Cow<'t, str>, u64)) {
        let content: &'t str = tag;
        for &[key_start, local_start, value_start, value_end] in &self.spans[..self.len] {
            // The key ends at the `="` before the value.
            f(
                &content[local_start as usize..value_start as usize - 2],
                Cow::Borrowed(&content[value_start as usize..value_end as usize]),
                at + 1 + u64::from(key_start),
            );
        }
    }
}

/// The attributes of one tag that the reader uses, already unescaped;
/// borrowed from the tag unless unescaping changed them, so that a case's
/// classname and file cost no copy when they repeat the previous case's.
#[derive(Default)]
struct Attrs<'t> {
    name: Option<Cow<'t, str>>,
    classname: Option<Cow<'t, str>>,
    file: Option<Cow<'t, str>>,
    filepath: Option<Cow<'t, str>>,
    /// Parsed as it is read: the raw text is not kept.
    time: Option<(ParsedTime, u64)>,
    id: Option<Cow<'t, str>>,
    hostname: Option<Cow<'t, str>>,
    timestamp: Option<Cow<'t, str>>,
    assertions: bool,
    schema: Option<Cow<'t, str>>,
    ignored: bool,
}

impl<'t> Attrs<'t> {
    /// Reads and checks every attribute of `tag` (which starts at `at`):
    /// all values are unescaped so that a bad one fails the file wherever
    /// it is, as in any XML parser.
    fn read(tag: &'t BytesStart, at: u64) -> Result<Attrs<'t>, Diagnostic> {
        let mut attrs = Attrs::default();
        each_attribute(tag, at, |local, value, place| {
            attrs.take(local, value, place)
        })?;
        Ok(attrs)
    }

    /// Keeps attribute `local` with `value` (at `place`) if the reader
    /// uses it.
    fn take(&mut self, local: &str, value: Cow<'t, str>, place: u64) {
        match local {
            "name" => self.name = Some(value),
            "classname" => self.classname = Some(value),
            "file" => self.file = Some(value),
            "filepath" => self.filepath = Some(value),
            "time" => self.time = Some((parse_seconds(&value), place)),
            "id" => self.id = Some(value),
            "hostname" => self.hostname = Some(value),
            "timestamp" => self.timestamp = Some(value),
            "assertions" => {
                // PHPUnit counts assertions; other tools put prose here.
                self.assertions = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            }
            "noNamespaceSchemaLocation" => self.schema = Some(value),
            // The Eclipse JUnit view marks an ignored test so.
            "ignored" => self.ignored = value == "true",
            _ => {}
        }
    }

    /// The source file named on this element, normalised; taken out of
    /// the attributes, so that a path already normal is not copied.
    fn take_source_file(&mut self) -> Option<Cow<'t, str>> {
        let file = self.file.take().or(self.filepath.take())?;
        if is_blank(&file) {
            None
        } else if is_normal_relative(&file) {
            Some(file)
        } else {
            Some(Cow::Owned(normalize_path(&file)))
        }
    }
}

/// At most this many warnings per file are kept one by one; the rest are
/// counted into one summary. A generator bug repeats the same problem on
/// every test case (`junit-report-huge.xml` has 5,131 negative times), and
/// thousands of identical lines help nobody (and `read_file` re-reads the
/// file to position each one).
const MAX_WARNINGS: usize = 20;

/// Kinds of warnings, for the summary of those not kept.
#[derive(Clone, Copy)]
enum Warning {
    Time,
    Nameless,
}

/// What a case inherits from the suites around it, one entry per open
/// suite: looked up in constant time however deep the nesting.
#[derive(Default)]
struct SuiteContext {
    /// The name of the innermost suite that has one.
    name: Option<Shared>,
    /// The file of the innermost suite that names one.
    file: Option<Shared>,
    /// The innermost suite's own `hostname`.
    hostname: Option<Shared>,
}

#[derive(Default)]
struct State {
    stack: Vec<Frame>,
    /// One entry per open `<testsuite>`, innermost last.
    suites: Vec<SuiteContext>,
    /// Bytes of the strings kept in cases so far (see [`Budget`]).
    kept: u64,
    root_seen: bool,
    cases: Vec<TestCase>,
    /// The names of the last cases, whose own `name` is still `unnamed`:
    /// written here, then packed into blocks of [`crate::case::BLOCK_BYTES`].
    names: TextBlock,
    /// The name a case holds until its own is packed.
    unnamed: Text,
    /// The last classname and file attribute values, shared by the cases
    /// that repeat them.
    recent_classname: Recent,
    recent_file: Recent,
    /// The last case's `file` (or `filepath`) attribute as written, and
    /// the file it gave: the cases of one file come together, so its path
    /// is checked and normalised once, not once a case.
    last_file: Option<(String, Option<Shared>)>,
    /// Suites that recorded a time, over the cases they hold.
    groups: Vec<GroupTime>,
    /// The root `<testsuites>`'s `timestamp` and `time`, when it has both.
    run: Option<RunWindow>,
    warnings: Vec<Diagnostic>,
    /// Warnings beyond [`MAX_WARNINGS`]: unusable times, nameless cases.
    unshown: [usize; 2],
    signals: Signals,
}

impl XmlHandler for State {
    fn root_seen(&self) -> bool {
        self.root_seen
    }

    fn innermost(&self) -> Option<&str> {
        self.stack.last().map(|open| match open {
            Frame::Suite { .. } => "testsuite",
            Frame::Case(_) => "testcase",
            Frame::Other(name) => name,
        })
    }

    fn start(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic> {
        let mut attrs = Attrs::read(tag, at)?;
        self.start_with(tag, &mut attrs, at)
    }

    fn start_plain(
        &mut self,
        tag: &BytesStart,
        plain: &PlainAttributes,
        at: u64,
    ) -> Result<(), Diagnostic> {
        // Filled here rather than returned, which would copy it.
        let mut attrs = Attrs::default();
        plain.each(tag, at, |local, value, place| {
            attrs.take(local, value, place)
        });
        self.start_with(tag, &mut attrs, at)
    }

    /// Closes the innermost element. A suite with a time records it over
    /// every case inside it, nested suites' included: its time covers them
    /// too, and what it exceeds their sum by is its setup cost.
    fn end(&mut self) {
        if let Some(Frame::Suite {
            time,
            start,
            first_case,
        }) = self.stack.pop()
        {
            self.suites.pop();
            if let Some(duration) = time
                && first_case < self.cases.len()
            {
                self.groups.push(GroupTime {
                    cases: first_case..self.cases.len(),
                    duration,
                    start,
                    wait: None,
                });
            }
        }
    }

    fn finish(mut self) -> Result<Report, Diagnostic> {
        self.pack_names();
        let [times, nameless] = self.unshown;
        let mut unshown = Vec::new();
        if times > 0 {
            unshown.push(format!("{times} more unusable times, treated as unknown"));
        }
        if nameless > 0 {
            unshown.push(format!("{nameless} more test cases without a name"));
        }
        if !unshown.is_empty() {
            self.warnings.push(Diagnostic::whole(format!(
                "{} (only the first {MAX_WARNINGS} warnings are shown one by one)",
                unshown.join("; ")
            )));
        }
        let dialect = self.signals.dialect();
        if dialect == Dialect::Vitest {
            stamps_are_ends(&mut self.groups);
        } else if self.run.is_none() {
            self.run = suites_window(&self.groups);
        }
        for case in &mut self.cases {
            case.dialect = dialect;
            // Only Playwright's hostname names a project (a variant);
            // Surefire and others write the machine's name there.
            if dialect != Dialect::Playwright {
                case.variant = None;
            }
        }
        Ok(Report {
            cases: self.cases,
            groups: self.groups,
            warnings: self.warnings,
            run: self.run,
            history: None,
        })
    }
}

impl State {
    /// A start tag with its attributes read; those it keeps are taken
    /// out of `attrs`, which is lent rather than moved, being large.
    fn start_with(
        &mut self,
        tag: &BytesStart,
        attrs: &mut Attrs,
        at: u64,
    ) -> Result<(), Diagnostic> {
        // quick-xml's `local_name` (after the first `:`), without the
        // `str::find` that costs more than a name is long.
        let name: &str = tag.name().into_inner();
        let local = name
            .bytes()
            .position(|b| b == b':')
            .map_or(name, |colon| &name[colon + 1..]);
        if self.stack.is_empty() {
            self.start_root(local, attrs, at)?;
        }
        let frame = match local {
            "testsuite" => self.start_suite(attrs),
            "testcase" => self.start_case(attrs, at)?,
            "failure" | "rerunFailure" => {
                self.set_outcome(Outcome::Failed);
                Frame::Other(local.into())
            }
            "error" | "rerunError" => {
                self.set_outcome(Outcome::Errored);
                Frame::Other(local.into())
            }
            // Failed attempts of a test that passed in the end.
            "flakyFailure" | "flakyError" => {
                if let Some(Frame::Case(Some(index))) = self.stack.last()
                    && let Some(case) = self.cases.get_mut(*index)
                    && case.outcome == Outcome::Passed
                {
                    case.outcome = Outcome::PassedOnRerun;
                }
                Frame::Other(local.into())
            }
            "skipped" => {
                self.set_outcome(Outcome::Skipped);
                Frame::Other(local.into())
            }
            "property" => {
                match attrs.name.as_deref() {
                    Some("go.version") => self.signals.go_version = true,
                    Some(name) if self.signals.root_is_suite && is_surefire_property(name) => {
                        self.signals.surefire = true;
                    }
                    _ => {}
                }
                Frame::Other(local.into())
            }
            // The root <testsuites> names the run, not a suite, so it is
            // not a Suite.
            _ => Frame::Other(local.into()),
        };
        self.stack.push(frame);
        Ok(())
    }

    /// Gives the cases read since the last time their names, packed.
    fn pack_names(&mut self) {
        let waiting = self.names.len();
        let from = self.cases.len() - waiting;
        for (case, name) in self.cases[from..].iter_mut().zip(self.names.finish()) {
            case.name = name;
        }
    }

    fn start_root(&mut self, local: &str, attrs: &Attrs, at: u64) -> Result<(), Diagnostic> {
        if self.root_seen {
            return Err(Diagnostic::at(
                at,
                format!(
                    "malformed XML: a second root element <{local}> after the end of the report (several reports in one file?)"
                ),
            ));
        }
        self.root_seen = true;
        match local {
            // The Eclipse JUnit view's export: a run of suites, like
            // <testsuites>; its name is the launch configuration's.
            "testrun" => {}
            "testsuites" => {
                self.signals.root_suites_name = attrs.name.as_deref().map(str::to_string);
                // The run's window (nextest stamps only the root and its
                // cases): where a recorded shard ended.
                if let Some(start) = attrs
                    .timestamp
                    .as_deref()
                    .and_then(crate::duration::parse_timestamp)
                    && let Some((ParsedTime::Known(duration), _)) = &attrs.time
                {
                    self.run = Some(RunWindow {
                        start,
                        duration: *duration,
                    });
                }
                self.signals.playwright_root =
                    attrs.id.as_deref() == Some("") && attrs.name.as_deref() == Some("");
            }
            "testsuite" => {
                self.signals.root_is_suite = true;
                self.signals.root_suite_name = attrs.name.as_deref().map(str::to_string);
            }
            other => {
                let hint = match other {
                    "test-run" | "test-results" | "test-suite" => " (NUnit?)",
                    "TestRun" => " (.NET TRX?)",
                    "assemblies" | "assembly" => " (xUnit.net?)",
                    _ => "",
                };
                return Err(Diagnostic::at(
                    at,
                    format!("not a JUnit report: the root element is <{other}>{hint}"),
                ));
            }
        }
        if attrs
            .schema
            .as_deref()
            .is_some_and(|s| s.contains("surefire"))
        {
            self.signals.surefire = true;
        }
        Ok(())
    }

    fn start_suite(&mut self, attrs: &mut Attrs) -> Frame {
        let file = attrs.take_source_file();
        // A suite's time only feeds the estimate of its setup cost, so an
        // unusable one is dropped without a warning of its own.
        let time = attrs.time.take().and_then(|(parsed, _)| match parsed {
            ParsedTime::Known(micros) => Some(micros),
            _ => None,
        });
        let name = attrs.name.take();
        if let Some(name) = &name {
            self.signals.pytest_suite |= name == "pytest";
            self.signals.dll_suite |= name.to_ascii_lowercase().ends_with(".dll");
        }
        self.signals.suite_hostname |= attrs.hostname.is_some();
        self.signals.assertions |= attrs.assertions;
        let outer = self.suites.last();
        let context = SuiteContext {
            name: name
                .map(Shared::from)
                .or_else(|| outer.and_then(|o| o.name.clone())),
            file: file
                .map(Shared::from)
                .or_else(|| outer.and_then(|o| o.file.clone())),
            hostname: attrs.hostname.take().map(Shared::from),
        };
        self.suites.push(context);
        Frame::Suite {
            time,
            start: attrs.timestamp.as_deref().and_then(suite_stamp),
            first_case: self.cases.len(),
        }
    }

    fn start_case(&mut self, attrs: &mut Attrs, at: u64) -> Result<Frame, Diagnostic> {
        self.signals.assertions |= attrs.assertions;
        // A nameless case is kept: it still proves its file, which runners
        // that select whole files (vitest, jest, mocha, rspec) run.
        let file = self.case_file(attrs);
        let name = match attrs.name.take() {
            Some(name) if !is_blank(&name) => name,
            Some(_) => self.nameless(at, "testcase with an empty name"),
            None => self.nameless(at, "testcase without a name attribute"),
        };
        let duration = attrs.time.take().and_then(|(parsed, place)| match parsed {
            ParsedTime::Known(micros) => Some(micros),
            ParsedTime::Missing => None,
            ParsedTime::Invalid(reason) => {
                let warning = Diagnostic::at(place, format!("{reason}; treated as unknown"));
                self.warn(Warning::Time, warning);
                None
            }
        });
        let context = self.suites.last();
        let file = file.or_else(|| context.and_then(|c| c.file.clone()));
        let suite = context.and_then(|c| c.name.clone());
        // The innermost suite's hostname; kept only if the file turns out
        // to be Playwright's (see `finish`).
        let variant = context.and_then(|c| c.hostname.clone());
        let case = TestCase {
            name: self.unnamed.clone(),
            classname: attrs
                .classname
                .as_deref()
                .map(|c| self.recent_classname.share(c)),
            suite,
            file,
            duration,
            outcome: if attrs.ignored {
                Outcome::Skipped
            } else {
                Outcome::Passed
            },
            dialect: Dialect::Generic,
            variant: variant.filter(|h| !is_blank(h)),
        };
        // The case's own name waits in `names` for its block.
        self.kept += case_bytes(&case) + name.len() as u64;
        if self.kept > budget::kept_limit(at) {
            return Err(budget::too_much_kept(at));
        }
        self.names.push(&name);
        self.cases.push(case);
        if self.names.is_full() {
            self.pack_names();
        }
        Ok(Frame::Case(Some(self.cases.len() - 1)))
    }

    /// The source file a case's attributes name, normalised and shared
    /// ([`Attrs::take_source_file`]): the last case's again if its
    /// attribute is written the same.
    fn case_file(&mut self, attrs: &mut Attrs) -> Option<Shared> {
        let written = attrs.file.as_deref().or(attrs.filepath.as_deref())?;
        if let Some((last, file)) = &self.last_file
            && last == written
        {
            return file.clone();
        }
        let written = written.to_string();
        let file = attrs
            .take_source_file()
            .map(|file| self.recent_file.share(&file));
        self.last_file = Some((written, file.clone()));
        file
    }

    /// Warns about a nameless case; its name is empty.
    fn nameless(&mut self, at: u64, what: &str) -> Cow<'static, str> {
        let message =
            format!("{what}: only a runner selecting whole files can run it, others skip it");
        self.warn(Warning::Nameless, Diagnostic::at(at, message));
        Cow::Borrowed("")
    }

    /// An outcome child decides its test case's outcome if it is the first
    /// one; it must be a direct child of the `<testcase>`.
    fn set_outcome(&mut self, outcome: Outcome) {
        if let Some(Frame::Case(Some(index))) = self.stack.last()
            && let Some(case) = self.cases.get_mut(*index)
            && case.outcome.passed()
        {
            case.outcome = outcome;
        }
    }

    fn warn(&mut self, kind: Warning, warning: Diagnostic) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        } else {
            self.unshown[kind as usize] += 1;
        }
    }
}

/// Bytes of the strings a case keeps, for [`budget::kept_limit`].
pub(super) fn case_bytes(case: &TestCase) -> u64 {
    // Shared text counts for every case that holds it: the budget stays
    // what it was when each case had its own copy.
    let optional = |s: &Option<Shared>| s.as_ref().map_or(0, |s| s.len());
    (case.name.len()
        + optional(&case.classname)
        + optional(&case.suite)
        + optional(&case.file)
        + optional(&case.variant)) as u64
}

/// JVM system properties that Surefire (and Ant) copy into every report.
fn is_surefire_property(name: &str) -> bool {
    name == "java.version" || name.contains("surefire")
}

/// A suite's `timestamp`. Written to the second (jest-junit cuts
/// `toISOString()` there), the suite started somewhere in that second: the
/// middle of it is off by half a second at most, where its start would
/// be off by a whole one, always early. Learning a shard's wall time from
/// its last suite's end needs it unbiased.
fn suite_stamp(text: &str) -> Option<crate::duration::Instant> {
    let at = crate::duration::parse_timestamp(text)?;
    // `YYYY-MM-DDTHH:MM:SS`, then a fraction (`.` or `,`) or not.
    let whole_second = !matches!(text.trim().as_bytes().get(19), Some(b'.' | b','));
    Some(if whole_second {
        at.saturating_add(500_000)
    } else {
        at
    })
}

/// The run's window from its suites, when at least two say when they
/// started (jest-junit, mocha's reporters): from the first start to the
/// last end. What ran outside every suite (the runner's start-up) is
/// outside it, so the suites' load over it is the runner's concurrency.
fn suites_window(groups: &[GroupTime]) -> Option<RunWindow> {
    let mut spans = groups.iter().filter_map(|g| {
        let start = g.start?;
        Some((start, start.saturating_add(i64::try_from(g.duration).ok()?)))
    });
    let first = spans.next()?;
    let (mut start, mut end, mut count) = (first.0, first.1, 1);
    for (from, to) in spans {
        start = start.min(from);
        end = end.max(to);
        count += 1;
    }
    (count >= 2).then(|| RunWindow {
        start,
        duration: u64::try_from(end.saturating_sub(start)).unwrap_or(0),
    })
}

/// Vitest stamps every suite when it writes the report (its JUnit
/// reporter calls `new Date()` in the writing loop), not when the file
/// started: each suite then ended at its stamp, so it started its time
/// before it.
fn stamps_are_ends(groups: &mut [GroupTime]) {
    for group in groups {
        group.start = group
            .start
            .map(|end| end.saturating_sub(i64::try_from(group.duration).unwrap_or(i64::MAX)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn read(doc: &[u8]) -> Result<Report, Diagnostic> {
        Junit.read(&mut &doc[..])
    }

    #[test]
    fn a_value_stops_where_a_byte_by_byte_scan_stops() {
        // Every stop and some bytes near them (0x01, `!`, `=`, 0x7f, 0x80,
        // 0xff), at every offset of values up to 20 bytes long.
        let bytes = [
            b'"', b'\'', b'<', b'&', b'\t', b'\n', b'\r', 0x01, b'!', b'=', 0x7f, 0x80, 0xff,
        ];
        for len in 0..20 {
            for at in 0..=len {
                for &byte in &bytes {
                    for &filler in &[b'a', 0x01, 0xff, b'!'] {
                        let mut value = vec![filler; len];
                        if at < len {
                            value[at] = byte;
                        }
                        let expected = value.iter().position(|&b| VALUE_STOP[usize::from(b)]);
                        assert_eq!(value_stop(&value), expected, "{value:?}");
                    }
                }
            }
        }
    }

    fn cases(doc: &str) -> Vec<TestCase> {
        match read(doc.as_bytes()) {
            Ok(report) => report.cases,
            Err(d) => panic!("unexpected error {d:?} for {doc}"),
        }
    }

    fn error(doc: &[u8]) -> Diagnostic {
        match read(doc) {
            Ok(report) => panic!("expected an error, got {report:?}"),
            Err(d) => d,
        }
    }

    /// Byte offset of the first `needle` in `doc`.
    fn offset_of(doc: &str, needle: &str) -> Option<u64> {
        doc.find(needle).map(|i| i as u64)
    }

    fn one(doc: &str) -> TestCase {
        let mut all = cases(doc);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn reads_both_roots() {
        let wrapped = r#"<?xml version="1.0"?>
<testsuites><testsuite name="s"><testcase name="a" classname="C" time="1.5"/></testsuite></testsuites>"#;
        let bare = r#"<testsuite name="s"><testcase name="a" classname="C" time="1.5"></testcase></testsuite>"#;
        for doc in [wrapped, bare] {
            let case = one(doc);
            assert_eq!(case.name, "a");
            assert_eq!(case.classname.as_deref(), Some("C"));
            assert_eq!(case.suite.as_deref(), Some("s"));
            assert_eq!(case.duration, Some(1_500_000));
            assert_eq!(case.outcome, Outcome::Passed);
            assert_eq!(case.dialect, Dialect::Generic);
        }
    }

    #[test]
    fn empty_roots_have_no_cases() {
        for doc in [
            "<testsuites/>",
            "<testsuites></testsuites>",
            "<testsuite name='x'>\n</testsuite>\n",
        ] {
            assert!(cases(doc).is_empty(), "{doc}");
        }
    }

    #[test]
    fn nested_suites_give_innermost_suite_and_inherited_file() {
        let doc = r#"<testsuites name="run">
  <testcase name="loose"/>
  <testsuite name="outer" file="./tests/Outer.php">
    <testsuite name="Outer::testAdd" >
      <testcase name="with data set #0" file="tests\Own.php"/>
      <testcase name="with data set #1"/>
    </testsuite>
    <testsuite filepath="src//deep/../spec.ts">
      <testcase name="unnamed suite"/>
    </testsuite>
  </testsuite>
</testsuites>"#;
        let all = cases(doc);
        let got: Vec<(&str, Option<&str>, Option<&str>)> = all
            .iter()
            .map(|c| (c.name.as_str(), c.suite.as_deref(), c.file.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                // <testsuites> names the run, not a suite.
                ("loose", None, None),
                (
                    "with data set #0",
                    Some("Outer::testAdd"),
                    Some("tests/Own.php")
                ),
                (
                    "with data set #1",
                    Some("Outer::testAdd"),
                    Some("tests/Outer.php")
                ),
                ("unnamed suite", Some("outer"), Some("src/spec.ts")),
            ]
        );
    }

    #[test]
    fn testcase_filepath_attribute_is_a_file() {
        let case = one(r#"<testsuite><testcase name="t" filepath="./a/b.test.js"/></testsuite>"#);
        assert_eq!(case.file.as_deref(), Some("a/b.test.js"));
    }

    #[test]
    fn utf8_bom_is_skipped_and_counted_in_offsets() {
        let mut doc = vec![0xEF, 0xBB, 0xBF];
        doc.extend_from_slice(b"<testsuite><testcase name=\"t\" time=\"-1\"/></testsuite>");
        assert!(Junit.sniff(&doc));
        let report = read(&doc).unwrap();
        assert_eq!(report.cases.len(), 1);
        let at = doc.windows(5).position(|w| w == b"time=").unwrap() as u64;
        assert_eq!(report.warnings[0].offset, Some(at));
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian {
                &[0xFE, 0xFF]
            } else {
                &[0xFF, 0xFE]
            });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let doc = r#"<?xml version="1.0" encoding="UTF-16"?>
<testsuites><testsuite name="s"><testcase name="héllo 𝄞" time="0.25"/></testsuite></testsuites>"#;
        for (big_endian, bom) in [(false, true), (true, true), (false, false), (true, false)] {
            let bytes = utf16(doc, big_endian, bom);
            assert!(Junit.sniff(&bytes), "sniff be={big_endian} bom={bom}");
            let report = read(&bytes).unwrap();
            assert_eq!(report.cases.len(), 1);
            assert_eq!(report.cases[0].name, "héllo 𝄞");
            assert_eq!(report.cases[0].duration, Some(250_000));
        }
    }

    #[test]
    fn utf16_offsets_point_into_the_utf16_file() {
        let doc = "<testsuite><testcase name=\"é\" time=\"-3\"/></testsuite>";
        let bytes = utf16(doc, false, true);
        let report = read(&bytes).unwrap();
        let before = &doc[..doc.find("time=").unwrap()];
        let at = 2 + 2 * before.encode_utf16().count() as u64;
        assert_eq!(report.warnings[0].offset, Some(at));
        // Odd length: the last character is cut.
        let cut = error(&bytes[..bytes.len() - 1]);
        assert!(cut.message.contains("UTF-16"), "{cut:?}");
    }

    #[test]
    fn time_forms_go_through_parse_seconds() {
        let time = |raw: &str| {
            let doc = format!(r#"<testsuite><testcase name="t" time="{raw}"/></testsuite>"#);
            one(&doc).duration
        };
        assert_eq!(time("0.004"), Some(4_000));
        assert_eq!(time("10"), Some(10_000_000));
        assert_eq!(time("1.4e-05"), Some(14));
        assert_eq!(time("0,025"), Some(25_000));
        assert_eq!(time("2,503.1"), Some(2_503_100_000));
        assert_eq!(time("00:00:01.5"), Some(1_500_000));
        assert_eq!(time(" 0.5 "), Some(500_000));
        assert_eq!(time(""), None);
        assert_eq!(
            one(r#"<testsuite><testcase name="t"/></testsuite>"#).duration,
            None
        );
    }

    #[test]
    fn unusable_time_is_unknown_with_a_warning_at_the_attribute() {
        let doc = r#"<testsuite>
  <testcase name="neg" time="-345345"/>
  <testcase name="junk" time="&lt;&lt;computed&gt;&gt;"/>
</testsuite>"#;
        let report = read(doc.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 2);
        assert!(report.cases.iter().all(|c| c.duration.is_none()));
        assert_eq!(report.warnings.len(), 2);
        assert_eq!(
            report.warnings[0].message,
            "negative time \"-345345\"; treated as unknown"
        );
        assert_eq!(report.warnings[0].offset, offset_of(doc, "time=\"-345345"));
        assert_eq!(
            report.warnings[1].message,
            "unreadable time \"<<computed>>\"; treated as unknown"
        );
    }

    #[test]
    fn many_warnings_are_summarised() {
        let mut doc = String::from("<testsuite>");
        for i in 0..30 {
            doc.push_str(&format!("<testcase name=\"t{i}\" time=\"-1\"/>"));
        }
        doc.push_str("<testcase/><testcase name=' '/></testsuite>");
        let report = read(doc.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 32);
        assert_eq!(report.warnings.len(), MAX_WARNINGS + 1);
        let summary = &report.warnings[MAX_WARNINGS];
        assert_eq!(summary.offset, None);
        assert!(
            summary.message.starts_with("10 more unusable times"),
            "{summary:?}"
        );
        assert!(
            summary.message.contains("2 more test cases without a name"),
            "{summary:?}"
        );
    }

    /// Issue 14 item 12: a nameless case is kept (with an empty name and a
    /// warning), so that a runner selecting files still plans its file;
    /// runners selecting tests refuse it in `emit::selectable`.
    #[test]
    fn nameless_testcases_are_kept_with_a_warning() {
        let doc = r#"<testsuite><testcase file="a.test.ts"/><testcase name=""><failure/></testcase><testcase name="ok"/></testsuite>"#;
        let report = read(doc.as_bytes()).unwrap();
        let names: Vec<&str> = report.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["", "", "ok"]);
        assert_eq!(report.cases[0].file.as_deref(), Some("a.test.ts"));
        assert_eq!(report.cases[1].outcome, Outcome::Failed);
        assert_eq!(report.warnings.len(), 2);
        assert_eq!(report.warnings[0].offset, offset_of(doc, "<testcase file"));
        assert!(report.warnings[0].message.contains("without a name"));
        assert!(report.warnings[1].message.contains("empty name"));
    }

    /// Issue 14 item 2: 100,000 nested `<testcase>` elements are refused
    /// at the nesting limit, quickly; below it, cases are found in linear
    /// time (each looks its suite up in constant time).
    #[test]
    fn deep_nesting_is_bounded_and_linear() {
        let n = 100_000;
        let mut doc = String::from("<testsuite name=\"s\" file=\"f.py\">");
        doc.push_str(&"<testcase name=\"a\" time=\"1\">".repeat(n));
        doc.push_str(&"</testcase>".repeat(n));
        doc.push_str("</testsuite>");
        let started = std::time::Instant::now();
        let e = error(doc.as_bytes());
        assert!(e.message.contains("nested more than 1024 levels"), "{e:?}");
        let depth = budget::MAX_DEPTH - 1;
        let mut doc = String::from("<testsuite name=\"s\" file=\"f.py\">");
        doc.push_str(&"<testcase name=\"a\" time=\"1\">".repeat(depth));
        doc.push_str(&"</testcase>".repeat(depth));
        doc.push_str("</testsuite>");
        let all = cases(&doc);
        assert_eq!(all.len(), depth);
        assert!(
            all.iter()
                .all(|c| c.file.as_deref() == Some("f.py") && c.suite.as_deref() == Some("s"))
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    /// Issue 14 item 8: a huge attribute is refused at its tag, without
    /// reading it whole.
    #[test]
    fn huge_markup_is_refused_at_its_tag() {
        let size = budget::MAX_MARKUP_BYTES as usize + 10;
        let mut doc = String::with_capacity(size + 100);
        doc.push_str("<testsuite name=\"s\">\n<testcase name=\"");
        doc.extend(std::iter::repeat_n('a', size));
        doc.push_str("\"/></testsuite>");
        let e = error(doc.as_bytes());
        assert_eq!(e.offset, offset_of(&doc, "<testcase"));
        assert!(e.message.contains("longer than 16 MiB"), "{e:?}");
        // Captured output of any size is still streamed.
        let mut doc = String::from("<testsuite><testcase name=\"a\"><system-out>");
        doc.extend(std::iter::repeat_n('x', size));
        doc.push_str("</system-out></testcase></testsuite>");
        assert_eq!(cases(&doc).len(), 1);
    }

    /// Issue 14 item 8: a short case cannot repeat a long suite name
    /// without bound.
    #[test]
    fn repeated_long_names_are_bounded() {
        let mut doc = String::from("<testsuite name=\"");
        doc.extend(std::iter::repeat_n('n', 1 << 20));
        doc.push_str("\">");
        doc.push_str(&"<testcase name=\"a\"/>".repeat(200));
        doc.push_str("</testsuite>");
        let e = error(doc.as_bytes());
        assert!(e.message.contains("add up to more than"), "{e:?}");
    }

    /// Issue 14 item 13: the Eclipse JUnit view's export has a `<testrun>`
    /// root over ordinary suites; an ignored test is marked so.
    #[test]
    fn reads_the_eclipse_junit_view_export() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?><testrun name="AllTests" project="p" tests="3" started="3" failures="1" errors="0" ignored="1">
  <testsuite name="com.x.AllTests" time="0.5">
    <testsuite name="com.x.ATest" time="0.3">
      <testcase name="testA" classname="com.x.ATest" time="0.2"/>
      <testcase name="testB" classname="com.x.ATest" time="0.1"><failure>boom</failure></testcase>
      <testcase name="testC" classname="com.x.ATest" time="0.0" ignored="true"/>
    </testsuite>
  </testsuite>
</testrun>"#;
        assert!(Junit.sniff(doc.as_bytes()));
        let all = cases(doc);
        let got: Vec<(&str, Outcome, Option<u64>)> = all
            .iter()
            .map(|c| (c.name.as_str(), c.outcome, c.duration))
            .collect();
        assert_eq!(
            got,
            [
                ("testA", Outcome::Passed, Some(200_000)),
                ("testB", Outcome::Failed, Some(100_000)),
                ("testC", Outcome::Skipped, Some(0)),
            ]
        );
        assert_eq!(all[0].suite.as_deref(), Some("com.x.ATest"));
        assert_eq!(all[0].dialect, Dialect::Generic);
    }

    /// Issue 14 item 7: a comment in the DOCTYPE's internal subset may
    /// hold `]>`.
    #[test]
    fn doctype_subset_comments_and_literals_may_hold_brackets() {
        let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [\n<!-- a ]> comment -->\n\
                   <!ENTITY x \"b]>c\">\n<?pi ]> ?>\n]>\n<testsuite name=\"s\"><testcase name=\"a\"/></testsuite>";
        assert!(Junit.sniff(doc.as_bytes()));
        assert_eq!(cases(doc).len(), 1);
        assert_eq!(
            first_element_name("<!DOCTYPE x SYSTEM \"a>b\"><testsuite/>"),
            Some("testsuite")
        );
    }

    #[test]
    fn outcomes_including_retries() {
        let doc = r#"<testsuite>
  <testcase name="pass"><system-out>ok</system-out></testcase>
  <testcase name="fail"><failure message="m">trace</failure></testcase>
  <testcase name="error"><error/></testcase>
  <testcase name="skip"><skipped/></testcase>
  <testcase name="fail-then-skip"><failure/><skipped/></testcase>
  <testcase name="skip-then-error"><skipped/><error/></testcase>
  <testcase name="flaky"><flakyFailure><stackTrace>x</stackTrace></flakyFailure><flakyError/></testcase>
  <testcase name="rerun"><rerunFailure/><rerunError/></testcase>
  <testcase name="nested-not-direct"><properties><property name="skipped" value="1"/></properties><system-out><![CDATA[<skipped/>]]></system-out></testcase>
</testsuite>"#;
        let got: Vec<(String, Outcome)> = cases(doc)
            .into_iter()
            .map(|c| (c.name.to_string(), c.outcome))
            .collect();
        let want = [
            ("pass", Outcome::Passed),
            ("fail", Outcome::Failed),
            ("error", Outcome::Errored),
            ("skip", Outcome::Skipped),
            ("fail-then-skip", Outcome::Failed),
            ("skip-then-error", Outcome::Skipped),
            ("flaky", Outcome::PassedOnRerun),
            ("rerun", Outcome::Failed),
            ("nested-not-direct", Outcome::Passed),
        ];
        let want: Vec<(String, Outcome)> = want.iter().map(|(n, o)| (n.to_string(), *o)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn playwright_projects_are_variants_and_other_hostnames_are_not() {
        let doc = r#"<testsuites id="" name="">
  <testsuite name="a.spec.ts" hostname="chromium"><testcase name="t" classname="a.spec.ts" time="1"/></testsuite>
  <testsuite name="a.spec.ts" hostname="firefox"><testcase name="t" classname="a.spec.ts" time="2"/></testsuite>
  <testsuite name="b.spec.ts" hostname=""><testcase name="u" classname="b.spec.ts" time="3"/></testsuite>
</testsuites>"#;
        let got: Vec<(Dialect, Option<String>)> = cases(doc)
            .into_iter()
            .map(|c| (c.dialect, c.variant.as_deref().map(str::to_string)))
            .collect();
        assert_eq!(
            got,
            [
                (Dialect::Playwright, Some("chromium".to_string())),
                (Dialect::Playwright, Some("firefox".to_string())),
                (Dialect::Playwright, None),
            ]
        );
        // Surefire writes the machine's name as the hostname: no variant.
        let surefire = r#"<testsuite name="a.BTest" hostname="ci-runner-7"><properties><property name="java.version" value="17"/></properties><testcase name="t" classname="a.BTest" time="1"/></testsuite>"#;
        let case = one(surefire);
        assert_eq!((case.dialect, case.variant), (Dialect::Surefire, None));
    }

    fn dialect(doc: &str) -> Dialect {
        let all = cases(doc);
        assert!(!all.is_empty(), "{doc}");
        all[0].dialect
    }

    #[test]
    fn dialects_from_signatures() {
        let case = r#"<testcase name="t"/>"#;
        let wrapped = |attrs: &str, suite: &str| {
            format!("<testsuites {attrs}><testsuite {suite}>{case}</testsuite></testsuites>")
        };
        assert_eq!(
            dialect(&wrapped(r#"name="nextest-run""#, r#"name="c""#)),
            Dialect::Nextest
        );
        assert_eq!(dialect(&wrapped(r#"name="jest tests""#, "")), Dialect::Jest);
        assert_eq!(
            dialect(&wrapped(r#"name="vitest tests""#, "")),
            Dialect::Vitest
        );
        assert_eq!(
            dialect(&wrapped(r#"name="pytest tests""#, "")),
            Dialect::Pytest
        );
        assert_eq!(dialect(&wrapped("", r#"name="pytest""#)), Dialect::Pytest);
        assert_eq!(
            dialect(&wrapped(r#"name="Mocha Tests""#, r#"name="Root Suite""#)),
            Dialect::Mocha
        );
        assert_eq!(
            dialect(&wrapped(
                r#"id="" name="""#,
                r#"name="a.spec.ts" hostname="chromium""#
            )),
            Dialect::Playwright
        );
        // Without hostname on the suites it is not Playwright.
        assert_eq!(
            dialect(&wrapped(r#"id="" name="""#, r#"name="a""#)),
            Dialect::Generic
        );
        let go = format!(
            r#"<testsuites><testsuite name="pkg"><properties><property name="go.version" value="go1.22"/></properties>{case}</testsuite></testsuites>"#
        );
        assert_eq!(dialect(&go), Dialect::Go);
        assert_eq!(
            dialect(&wrapped("", r#"name="S" assertions="3""#)),
            Dialect::Phpunit
        );
        // Prose in `assertions` is not PHPUnit's count.
        assert_eq!(
            dialect(&wrapped("", r#"name="S" assertions="3 total""#)),
            Dialect::Generic
        );
        assert_eq!(
            dialect(&wrapped("", r#"name="My.Tests.dll""#)),
            Dialect::Dotnet
        );
        let rspec = format!(r#"<testsuite name="rspec2" tests="1">{case}</testsuite>"#);
        assert_eq!(dialect(&rspec), Dialect::Rspec);
        let mocha_bare = format!(r#"<testsuite name="Mocha Tests">{case}</testsuite>"#);
        assert_eq!(dialect(&mocha_bare), Dialect::Mocha);
        let surefire_schema = format!(
            r#"<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd" name="a.BTest">{case}</testsuite>"#
        );
        assert_eq!(dialect(&surefire_schema), Dialect::Surefire);
        let surefire_props = format!(
            r#"<testsuite name="a.BTest"><properties><property name="java.version" value="17"/></properties>{case}</testsuite>"#
        );
        assert_eq!(dialect(&surefire_props), Dialect::Surefire);
        assert_eq!(
            dialect(&wrapped(r#"name="AllTests""#, r#"name="Fixture""#)),
            Dialect::Generic
        );
    }

    /// Each (local name, value, place) `each_attribute` gives for `tag`
    /// (a tag's text between `<` and `>`), or through the walk alone.
    fn attributes_of(tag: &str, walk: bool) -> Result<Vec<(String, String, u64)>, Diagnostic> {
        let name_len = tag.find(|c: char| c.is_ascii() && is_xml_space(c as u8));
        let name_len = name_len.unwrap_or(tag.len());
        let start = BytesStart::from_content(tag, name_len);
        let mut seen = Vec::new();
        let record = |key: &str, value: Cow<str>, at| seen.push((key.into(), value.into(), at));
        match walk {
            true => walk_attributes(&start, 7, record),
            false => each_attribute(&start, 7, record),
        }
        .map(|()| seen)
    }

    #[test]
    fn plain_attributes_read_as_the_walk_reads_them() {
        let plain = r#"testcase classname="a.B" name='it' x:file="a.py"  time="1" "#;
        assert!(PlainAttributes::default().split(plain, 8));
        assert_eq!(attributes_of(plain, false), attributes_of(plain, true));
        // Every tag of up to five of these characters after its name,
        // good and bad: the same attributes, places and errors.
        let alphabet = [' ', 'a', 'b', ':', '=', '"', '\'', '&', '<', '\n'];
        let mut tag = String::new();
        for length in 0..=5u32 {
            for mut code in 0..alphabet.len().pow(length) {
                tag.clear();
                tag.push_str("t ");
                for _ in 0..length {
                    tag.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                assert_eq!(
                    attributes_of(&tag, false),
                    attributes_of(&tag, true),
                    "{tag:?}"
                );
            }
        }
        for tag in [
            r#"t a="1" a="2""#,
            r#"t a="1"b="2""#,
            r#"t a = "1""#,
            r#"t a="&amp;""#,
            r#"t a="x	y""#,
            r#"t a="é" b='ü'"#,
            r#"t a:b:c="1" :d="2" e:="3" ::="4" x:a="5" y:a='6'"#,
            r#"t name="1" time="2" file="3" classname="4" time="5""#,
            r#"t ab="1" ba="2" abc="3" a="4" ab="5""#,
            r#"t a="1" b="2" c="3" d="4" e="5" f="6" g="7" h="8" i="9" j="10" k="11" l="12" m="13""#,
        ] {
            assert_eq!(
                attributes_of(tag, false),
                attributes_of(tag, true),
                "{tag:?}"
            );
        }
    }

    /// Records every start tag as its handler is given it (text, name,
    /// attributes and places) and every end, as warnings, so that a read
    /// with tags taken from the input buffer can be compared with one
    /// through quick-xml alone.
    #[derive(Default)]
    struct Recorder {
        depth: usize,
        root_seen: bool,
        events: Vec<Diagnostic>,
    }

    impl Recorder {
        fn record(&mut self, tag: &BytesStart, attributes: Vec<String>, at: u64) {
            self.root_seen = true;
            self.depth += 1;
            let (content, name): (&str, &str) = (tag, tag.name().into_inner());
            let message = format!("{content:?} {name:?} {attributes:?}");
            self.events.push(Diagnostic::at(at, message));
        }
    }

    impl XmlHandler for Recorder {
        fn root_seen(&self) -> bool {
            self.root_seen
        }

        fn innermost(&self) -> Option<&str> {
            (self.depth > 0).then_some("element")
        }

        fn start(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic> {
            let mut attributes = Vec::new();
            each_attribute(tag, at, |k, v, place| {
                attributes.push(format!("{k}={v}@{place}"))
            })?;
            self.record(tag, attributes, at);
            Ok(())
        }

        fn start_plain(
            &mut self,
            tag: &BytesStart,
            plain: &PlainAttributes,
            at: u64,
        ) -> Result<(), Diagnostic> {
            let mut attributes = Vec::new();
            plain.each(tag, at, |k, v, place| {
                attributes.push(format!("{k}={v}@{place}"))
            });
            self.record(tag, attributes, at);
            Ok(())
        }

        fn end(&mut self) {
            self.depth -= 1;
            self.events.push(Diagnostic::whole("end"));
        }

        fn finish(self) -> Result<Report, Diagnostic> {
            Ok(Report {
                cases: Vec::new(),
                groups: Vec::new(),
                run: None,
                warnings: self.events,
                history: None,
            })
        }
    }

    #[test]
    fn tags_read_from_the_buffer_are_read_as_quick_xml_reads_them() {
        let plain = |tag: &[u8]| PlainAttributes::default().split_empty_tag(tag);
        assert_eq!(plain(br#"<t a="1" b='>'/>more"#), Some((16, 1)));
        assert_eq!(plain(b"<testcase/><"), Some((11, 8)));
        assert_eq!(plain(br#"<t a="1"/"#), None);
        assert_eq!(plain(br#"<t a="1">"#), None);
        // Every tag of up to five of these characters after `<t`, good
        // and bad: with a buffer of one byte, quick-xml reads every tag.
        let alphabet = [' ', 'a', '=', '"', '\'', '/', '>', '<', '&', '\n', 'é'];
        let mut tag = String::new();
        for length in 0..=5u32 {
            for mut code in 0..alphabet.len().pow(length) {
                tag.clear();
                for _ in 0..length {
                    tag.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                // Runs of plain tags are read in one look at the buffer.
                let doc = format!("<r>\n<t{tag}/> <t a=\"1\"/>\r\n\t<t/><t b='2'/> </r>");
                let whole = read_xml::<Recorder>(&mut doc.as_bytes());
                let mut one_byte = BufReader::with_capacity(1, doc.as_bytes());
                assert_eq!(whole, read_xml::<Recorder>(&mut one_byte), "{doc:?}");
            }
        }
    }

    #[test]
    fn entities_are_decoded_in_attributes() {
        let case = one(
            r#"<testsuite name="&lt;Component /&gt;"><testcase name="say &quot;hi&quot; &amp; &apos;bye&apos; &#233;&#x41;" classname="a&#10;b"/></testsuite>"#,
        );
        assert_eq!(case.name, "say \"hi\" & 'bye' éA");
        assert_eq!(case.suite.as_deref(), Some("<Component />"));
        // A character reference survives attribute-value normalisation.
        assert_eq!(case.classname.as_deref(), Some("a\nb"));
    }

    #[test]
    fn text_references_are_checked() {
        let ok = r#"<testsuite><testcase name="t"><failure>a &lt; b &#x41; &amp;</failure></testcase></testsuite>"#;
        assert_eq!(cases(ok).len(), 1);
        let doc =
            r#"<testsuite><testcase name="t"><failure>&nbsp;</failure></testcase></testsuite>"#;
        let e = error(doc.as_bytes());
        assert!(e.message.contains("undefined entity &nbsp;"), "{e:?}");
        assert_eq!(e.offset, offset_of(doc, "&nbsp;"));
    }

    #[test]
    fn external_entities_are_never_resolved() {
        // If this were resolved, the name would hold the file's content (or
        // the reader would try the network); instead the file is refused.
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE testsuite [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY oob SYSTEM "http://127.0.0.1:9/x">
]>
<testsuite><testcase name="&xxe;"/><testcase name="t"><failure>&oob;</failure></testcase></testsuite>"#;
        assert!(Junit.sniff(xxe.as_bytes()));
        let e = error(xxe.as_bytes());
        assert!(e.message.contains("undefined entity &xxe;"), "{e:?}");
        // In text too.
        let in_text = xxe.replace("name=\"&xxe;\"", "name=\"x\"");
        let e = error(in_text.as_bytes());
        assert!(e.message.contains("undefined entity &oob;"), "{e:?}");
        // Declared but unused: the DTD is skipped and the cases are read.
        let unused = xxe.replace("&xxe;", "x").replace("&oob;", "y");
        assert_eq!(cases(&unused).len(), 2);
        // Internal entities are not expanded either.
        let internal =
            r#"<!DOCTYPE t [<!ENTITY e "boom">]><testsuite><testcase name="&e;"/></testsuite>"#;
        assert!(error(internal.as_bytes()).message.contains("&e;"));
    }

    #[test]
    fn other_roots_are_not_junit() {
        let e = error(br#"<?xml version="1.0"?><test-run id="2"><test-case/></test-run>"#);
        assert_eq!(
            e.message,
            "not a JUnit report: the root element is <test-run> (NUnit?)"
        );
        assert_eq!(e.offset, Some(21));
        let e =
            error(b"<TestRun xmlns='http://microsoft.com/schemas/VisualStudio/TeamTest/2010'/>");
        assert!(e.message.ends_with("<TestRun> (.NET TRX?)"), "{e:?}");
        let e = error(b"<result/>");
        assert!(e.message.ends_with("<result>"), "{e:?}");
    }

    #[test]
    fn malformed_xml_is_an_error_at_the_right_place() {
        let truncated = "<testsuites>\n<testsuite name=\"a\">\n<testcase name=\"t\"/>\n";
        let e = error(truncated.as_bytes());
        assert_eq!(
            e.message,
            "malformed XML: file ends inside <testsuite> (truncated report?)"
        );
        assert_eq!(e.offset, Some(truncated.len() as u64));

        let mid_tag = "<testsuite><testcase name=\"t\" ti";
        let e = error(mid_tag.as_bytes());
        assert!(
            e.message.contains("file ends inside an attribute value")
                || e.message.contains("file ends inside a tag"),
            "{e:?}"
        );
        assert_eq!(e.offset, offset_of(mid_tag, "<testcase"));

        let cdata = "<testsuite><testcase name=\"t\"><system-out><![CDATA[log\nmore</system-out></testcase></testsuite>";
        let e = error(cdata.as_bytes());
        assert!(e.message.contains("CDATA"), "{e:?}");
        assert_eq!(e.offset, offset_of(cdata, "<![CDATA["));

        let raw_lt = r#"<testsuite><testcase name="t" time="<<computed>>"/></testsuite>"#;
        let e = error(raw_lt.as_bytes());
        assert!(e.message.contains("raw `<`"), "{e:?}");
        assert_eq!(e.offset, offset_of(raw_lt, "time="));

        let mismatched = "<testsuites><testsuite name=\"a\"></testsuites>";
        let e = error(mismatched.as_bytes());
        assert_eq!(
            e.message,
            "malformed XML: expected </testsuite>, found </testsuites>"
        );
        assert_eq!(e.offset, offset_of(mismatched, "</testsuites>"));

        let unmatched = "<testsuite></testsuite></testsuite>";
        let e = error(unmatched.as_bytes());
        assert!(e.message.contains("never opened"), "{e:?}");
        assert_eq!(e.offset, Some(23));

        let console = "Running tests...\n<testsuite/>";
        let e = error(console.as_bytes());
        assert_eq!(e.message, "malformed XML: text before the root element");
        assert_eq!(e.offset, Some(0));

        let concatenated = "<testsuite/>\n<testsuite/>";
        let e = error(concatenated.as_bytes());
        assert!(e.message.contains("second root element"), "{e:?}");
        assert_eq!(e.offset, Some(13));

        let trailing = "<testsuite/>\ngarbage";
        assert!(
            error(trailing.as_bytes())
                .message
                .contains("after the root")
        );

        let bad_attr = "<testsuite><testcase name=t/></testsuite>";
        let e = error(bad_attr.as_bytes());
        assert!(e.message.contains("without quotes"), "{e:?}");
        assert_eq!(e.offset, offset_of(bad_attr, "t/>"));

        let amp = r#"<testsuite><testcase name="a & b"/></testsuite>"#;
        let e = error(amp.as_bytes());
        assert!(e.message.contains("&amp;"), "{e:?}");
        assert_eq!(e.offset, offset_of(amp, "name="));

        for nothing in ["", "   \n", "<?xml version=\"1.0\"?>\n<!-- no root -->"] {
            let e = error(nothing.as_bytes());
            assert!(e.message.contains("no root element"), "{e:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut doc = b"<testsuite><testcase name=\"t\"><system-out>caf".to_vec();
        doc.push(0xE9); // Latin-1 é
        doc.extend_from_slice(b"</system-out></testcase></testsuite>");
        let e = error(&doc);
        assert!(e.message.contains("UTF-8"), "{e:?}");
        assert_eq!(
            e.offset,
            Some(doc.iter().position(|&b| b == 0xE9).unwrap() as u64)
        );
        let mut in_attr = b"<testsuite><testcase name=\"caf".to_vec();
        in_attr.extend_from_slice(&[0xE9, b'"', b'/', b'>']);
        in_attr.extend_from_slice(b"</testsuite>");
        assert!(error(&in_attr).message.contains("UTF-8"));
    }

    /// The text skipper works on whatever the input buffer holds, so every
    /// buffer size must give the same answer, including splits inside
    /// characters, `<![CDATA[`, `]]>` and references.
    #[test]
    fn result_does_not_depend_on_buffer_size() {
        let doc = "\u{feff}<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"s\">\n\
            <testcase name=\"a\" time=\"0.5\"><system-out>héllo ✓ 𝄞 &amp; &#x41; ]]&gt; more</system-out>\n\
            <system-err><![CDATA[</testcase> <testsuite> ]] ] ]]]> after]]&gt;</system-err></testcase>\n\
            <testcase name=\"b\"><failure><![CDATA[x]]><![CDATA[]]></failure></testcase>\n\
            <testcase name=\"c\" time=\"1\"/>\n <testcase name=\"d\"/><testcase name='é'/>\n\
            </testsuite>\n</testsuites>\n";
        let expected = read(doc.as_bytes()).unwrap();
        assert_eq!(expected.cases.len(), 5);
        assert_eq!(expected.cases[1].outcome, Outcome::Failed);
        for capacity in 1..=40 {
            let mut input = BufReader::with_capacity(capacity, doc.as_bytes());
            assert_eq!(
                Junit.read(&mut input),
                Ok(expected.clone()),
                "capacity {capacity}"
            );
        }
        // Errors, too, are found at every buffer size.
        let broken = "<testsuite><testcase name=\"a\"><system-out><![CDATA[ x ]] > ]></system-out></testcase></testsuite>";
        let want = error(broken.as_bytes());
        for capacity in 1..=20 {
            let mut input = BufReader::with_capacity(capacity, broken.as_bytes());
            assert_eq!(
                Junit.read(&mut input).map(|_| ()),
                Err(want.clone()),
                "capacity {capacity}"
            );
        }
        let mut bad_utf8 = b"<testsuite><testcase name=\"a\"><system-out>ab\xE2\x9C".to_vec();
        bad_utf8.extend_from_slice(b"</system-out></testcase></testsuite>");
        for capacity in 1..=12 {
            let mut input = BufReader::with_capacity(capacity, &bad_utf8[..]);
            let e = Junit.read(&mut input).unwrap_err();
            assert!(e.message.contains("UTF-8"), "capacity {capacity}: {e:?}");
        }
    }

    #[test]
    fn every_truncation_is_an_error_and_nothing_panics() {
        let doc = "\u{feff}<?xml version=\"1.0\"?><!-- c --><testsuites name=\"jest tests\"><testsuite name=\"s\" file=\"a.js\">\
            <testcase name=\"a &amp; b\" time=\"1\"><failure message=\"m\"><![CDATA[trace]]></failure><system-out>x &lt; y</system-out></testcase>\
            <testcase name=\"c\"/></testsuite></testsuites>";
        let bytes = doc.as_bytes();
        let whole = bytes.len();
        for end in 0..whole {
            let result = read(&bytes[..end]);
            assert!(
                result.is_err(),
                "prefix of {end} bytes was accepted: {result:?}"
            );
        }
        assert_eq!(read(bytes).unwrap().cases.len(), 2);
        // Single-byte corruptions: any answer is fine, a panic is not.
        for i in 0..whole {
            for replacement in [b'<', b'>', b'&', b'"', b'/', 0, 0xFF] {
                let mut mutated = bytes.to_vec();
                mutated[i] = replacement;
                let _ = read(&mutated);
                let _ = Junit.sniff(&mutated);
            }
        }
    }

    #[test]
    fn sniff_finds_the_first_element() {
        let yes: [&[u8]; 7] = [
            b"<testsuites>",
            b"<testsuite name='x'/>",
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\r\n<testsuites",
            b"  \n<?xml version=\"1.0\"?><!-- generated --><?pi x?>\n<testsuite>",
            b"<!DOCTYPE testsuite [<!ENTITY a \"b\">]><testsuite>",
            b"<junit:testsuites xmlns:junit='x'>",
            b"<testsuite",
        ];
        for head in yes {
            assert!(Junit.sniff(head), "{}", String::from_utf8_lossy(head));
        }
        let no: [&[u8]; 8] = [
            b"",
            b"Running tests\n<testsuite>",
            b"{\"results\": []}",
            b"<test-run>",
            b"<testsuitesX>",
            b"<testcase name='t'/>",
            b"<!-- never closed",
            b"\xFF\xFE<\x00",
        ];
        for head in no {
            assert!(!Junit.sniff(head), "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn suites_with_a_time_record_it_over_all_their_cases() {
        let doc = r#"<testsuites time="99">
  <testsuite name="outer" time="1.5">
    <testcase name="a" time="0.1"/>
    <testsuite name="inner" time="0.3">
      <testcase name="b" time="0.1"/>
      <testcase name="c" time="0.1"/>
    </testsuite>
  </testsuite>
  <testsuite name="untimed"><testcase name="d" time="1"/></testsuite>
  <testsuite name="empty" time="2"/>
  <testsuite name="garbage" time="soon"><testcase name="e"/></testsuite>
  <testsuite name="last" time="0,5"><testcase name="f"/></testsuite>
</testsuites>"#;
        let report = read(doc.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 6);
        assert_eq!(
            report.groups,
            vec![
                GroupTime {
                    cases: 1..3,
                    duration: 300_000,
                    start: None,
                    wait: None,
                },
                GroupTime {
                    cases: 0..3,
                    duration: 1_500_000,
                    start: None,
                    wait: None,
                },
                GroupTime {
                    cases: 5..6,
                    duration: 500_000,
                    start: None,
                    wait: None,
                },
            ]
        );
        // Suite times are estimates only: an unusable one is no warning.
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    #[test]
    fn a_suite_timestamp_is_its_start() {
        let doc = r#"<testsuites><testsuite name="pytest" time="2.5" timestamp="2026-12-06T06:39:02.250000+01:00"><testcase classname="t" name="a" time="1"/></testsuite></testsuites>"#;
        let report = read(doc.as_bytes()).unwrap();
        assert_eq!(
            report.groups[0].start,
            crate::duration::parse_timestamp("2026-12-06T05:39:02.25Z")
        );
        let doc = r#"<testsuite name="x" time="1" timestamp="not a time"><testcase name="a" time="1"/></testsuite>"#;
        assert_eq!(read(doc.as_bytes()).unwrap().groups[0].start, None);
    }

    #[test]
    fn the_root_window_is_the_run_not_a_suite() {
        // As nextest writes it: time and timestamp on the root and the
        // cases, none on the suites.
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="2" failures="0" errors="0" uuid="0e6c" timestamp="2026-12-06T08:00:00.500+00:00" time="3.250">
    <testsuite name="typenum" tests="2" disabled="0" errors="0" failures="0">
        <testcase name="a" classname="typenum" timestamp="2026-12-06T08:00:00.510+00:00" time="1.000"/>
        <testcase name="b" classname="typenum" timestamp="2026-12-06T08:00:00.520+00:00" time="2.000"/>
    </testsuite>
</testsuites>"#;
        let report = read(doc.as_bytes()).unwrap();
        assert!(report.groups.is_empty(), "{:?}", report.groups);
        let window = report.run.unwrap();
        assert_eq!(
            Some(window.start),
            crate::duration::parse_timestamp("2026-12-06T08:00:00.5Z")
        );
        assert_eq!(window.duration, 3_250_000);
        assert_eq!(window.end(), Some(window.start + 3_250_000));
        // Either attribute alone is no window; a suite's is its own.
        for doc in [
            r#"<testsuites time="3"><testsuite name="s"><testcase name="a" time="1"/></testsuite></testsuites>"#,
            r#"<testsuites timestamp="2026-12-06T08:00:00Z"><testsuite name="s"><testcase name="a" time="1"/></testsuite></testsuites>"#,
            r#"<testsuite name="s" time="3" timestamp="2026-12-06T08:00:00Z"><testcase name="a" time="1"/></testsuite>"#,
        ] {
            assert_eq!(read(doc.as_bytes()).unwrap().run, None, "{doc}");
        }
    }

    #[test]
    fn a_suite_stamped_to_the_second_started_in_the_middle_of_it() {
        // jest-junit cuts `toISOString()` at the second.
        let doc = r#"<testsuites name="jest tests"><testsuite name="a" time="2" timestamp="2026-12-06T15:49:07"><testcase classname="a" name="x" time="1"/></testsuite></testsuites>"#;
        let report = read(doc.as_bytes()).unwrap();
        assert_eq!(
            report.groups[0].start,
            crate::duration::parse_timestamp("2026-12-06T15:49:07.5Z")
        );
        // A fraction, even of zero, is taken as written.
        let doc = doc.replace("15:49:07", "15:49:07.000");
        assert_eq!(
            read(doc.as_bytes()).unwrap().groups[0].start,
            crate::duration::parse_timestamp("2026-12-06T15:49:07Z")
        );
    }

    #[test]
    fn vitest_stamps_its_suites_when_it_writes_the_report() {
        // Both suites stamped at the write, 0.1 s apart at most: each
        // ended there, after its own time.
        let doc = r#"<testsuites name="vitest tests" tests="2" time="3.5"><testsuite name="a.test.ts" timestamp="2026-12-06T15:45:12.138Z" time="2.5" tests="1"><testcase classname="a.test.ts" name="x" time="2"/></testsuite><testsuite name="b.test.ts" timestamp="2026-12-06T15:45:12.147Z" time="1" tests="1"><testcase classname="b.test.ts" name="y" time="1"/></testsuite></testsuites>"#;
        let report = read(doc.as_bytes()).unwrap();
        let ends: Vec<_> = report
            .groups
            .iter()
            .map(|g| g.start.unwrap() + g.duration as i64)
            .collect();
        assert_eq!(
            ends,
            [
                crate::duration::parse_timestamp("2026-12-06T15:45:12.138Z").unwrap(),
                crate::duration::parse_timestamp("2026-12-06T15:45:12.147Z").unwrap()
            ]
        );
    }

    #[test]
    fn stamped_suites_give_the_run_window_the_root_does_not() {
        // jest-junit: no root stamp; two files on two workers.
        let doc = r#"<testsuites name="jest tests" time="9"><testsuite name="a" time="2.5" timestamp="2026-12-06T15:49:07.100Z"><testcase classname="a" name="x" time="2"/></testsuite><testsuite name="b" time="3" timestamp="2026-12-06T15:49:07.600Z"><testcase classname="b" name="y" time="3"/></testsuite></testsuites>"#;
        let window = read(doc.as_bytes()).unwrap().run.unwrap();
        assert_eq!(
            Some(window.start),
            crate::duration::parse_timestamp("2026-12-06T15:49:07.1Z")
        );
        // From a's start to b's end.
        assert_eq!(window.duration, 3_500_000);
        // One stamped suite is no window; vitest's stamps are not starts.
        let one = doc.replace(r#" timestamp="2026-12-06T15:49:07.600Z""#, "");
        assert_eq!(read(one.as_bytes()).unwrap().run, None);
        let vitest = doc.replace("jest tests", "vitest tests");
        assert_eq!(read(vitest.as_bytes()).unwrap().run, None);
    }

    #[test]
    fn a_real_nextest_report_gives_its_run_window() {
        // cargo-nextest's own fixture, from the shared corpus when present.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/nextest/fixtures/fixture-project-junit.xml");
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        let report = read(&bytes[..]).unwrap();
        let window = report.run.unwrap();
        assert_eq!(
            Some(window.start),
            crate::duration::parse_timestamp("2024-01-09T07:50:12.664+00:00")
        );
        assert_eq!(window.duration, 23_000);
        assert!(report.cases.iter().all(|c| c.dialect == Dialect::Nextest));
    }
}
