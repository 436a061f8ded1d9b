//! What the JSON formats share: recognising a document from its first
//! tokens, and streaming it through serde with errors that carry a byte
//! offset (which [`super::read_file`] turns into `line:column`).
//!
//! Documents are read with `serde_json::Deserializer::from_reader` and
//! visitors that turn each entry into a [`super::TestCase`] as it goes; no
//! format builds a `serde_json::Value` of a whole file.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

use super::{Diagnostic, WarningList};
use crate::duration::{Micros, seconds_to_micros};

// ---------------------------------------------------------------------------
// Sniffing

/// The UTF-8 byte order mark, which a JSON document may start with.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cursor over the first bytes of a file that reads just enough JSON
/// tokens to tell formats apart. Every method returns `None` when the head
/// ends or holds something else, so a sniffer is a chain of `?`.
pub(crate) struct Head<'a> {
    rest: &'a [u8],
}

impl<'a> Head<'a> {
    /// The head after a UTF-8 BOM and leading whitespace.
    pub(crate) fn new(head: &'a [u8]) -> Self {
        let rest = head.strip_prefix(BOM).unwrap_or(head);
        let mut cursor = Head { rest };
        cursor.skip_space();
        cursor
    }

    fn skip_space(&mut self) {
        let start = self
            .rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(self.rest.len());
        self.rest = &self.rest[start..];
    }

    /// The next byte, without consuming it.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Consumes `byte` (and the whitespace after it) if it comes next.
    pub(crate) fn eat(&mut self, byte: u8) -> Option<()> {
        let rest = self.rest.strip_prefix(&[byte])?;
        self.rest = rest;
        self.skip_space();
        Some(())
    }

    /// Consumes a complete JSON string and the whitespace after it.
    pub(crate) fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let mut escaped = false;
        let end = self.rest[1..].iter().position(|&b| {
            let closes = b == b'"' && !escaped;
            escaped = b == b'\\' && !escaped;
            closes
        })? + 2;
        let text = serde_json::from_slice(&self.rest[..end]).ok()?;
        self.rest = &self.rest[end..];
        self.skip_space();
        Some(text)
    }

    /// Consumes `"key":` and returns the key.
    pub(crate) fn key(&mut self) -> Option<String> {
        let key = self.string()?;
        self.eat(b':')?;
        Some(key)
    }

    /// Whether a JSON number starts here.
    pub(crate) fn at_number(&self) -> bool {
        self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'-')
    }

    /// Whether nothing but whitespace is left.
    pub(crate) fn at_end(&self) -> bool {
        self.rest.is_empty()
    }
}

// ---------------------------------------------------------------------------
// Reading

/// Shared between a document's visitors and [`read`]: how far the input has
/// been consumed, and the first problem a visitor found, with its place.
#[derive(Clone, Default)]
pub(crate) struct Tracker {
    inner: Rc<TrackerState>,
}

#[derive(Default)]
struct TrackerState {
    consumed: Cell<u64>,
    failure: RefCell<Option<Diagnostic>>,
    /// The last few lines' numbers and start offsets, newest last: serde
    /// reports errors by line and column, and reads at most a few bytes
    /// past them.
    lines: RefCell<VecDeque<(u64, u64)>>,
}

/// Line starts remembered by [`TrackerState::lines`].
const REMEMBERED_LINES: usize = 8;

impl Tracker {
    /// The offset of the last byte serde has read: inside visitors, just
    /// after the token being visited (serde reads one byte ahead at most).
    pub(crate) fn offset(&self) -> u64 {
        self.inner.consumed.get().saturating_sub(1)
    }

    /// Records why the document is unusable, at `at`, and returns the error
    /// that stops serde. [`read`] reports the recorded diagnostic, not
    /// serde's wording.
    pub(crate) fn fail<E: de::Error>(&self, at: u64, message: impl Into<String>) -> E {
        let diagnostic = Diagnostic::at(at, message);
        let mut failure = self.inner.failure.borrow_mut();
        let message = diagnostic.message.clone();
        failure.get_or_insert(diagnostic);
        E::custom(message)
    }
}

/// The longest run of bytes without a `"` that a document may hold: a
/// string (serde holds a string whole, and a copy of it) or the space
/// between two, bounded so memory is.
pub(crate) const MAX_STRING_BYTES: u64 = 16 << 20;

/// Counts the bytes serde takes from the input, and bounds its strings.
///
/// serde_json reads a reader a byte at a time, and the count must be of
/// the bytes serde has taken, so the input is read ahead into `chunk` and
/// handed out from there: a byte costs a copy, not a call through the
/// input's `dyn BufRead` (which made reading the timing history five
/// times slower than a JUnit report of the same tests).
struct Counting<'a> {
    input: &'a mut dyn BufRead,
    tracker: Tracker,
    /// Bytes since the last `"`, and where that run began.
    run: u64,
    run_start: u64,
    /// Read from `input`, not yet handed to serde: `chunk[next..filled]`.
    chunk: Box<[u8]>,
    next: usize,
    filled: usize,
}

impl<'a> Counting<'a> {
    /// Bytes read from `input` at a time.
    const CHUNK_BYTES: usize = 64 << 10;

    fn new(input: &'a mut dyn BufRead, tracker: &Tracker) -> Self {
        Counting {
            input,
            tracker: tracker.clone(),
            run: 0,
            run_start: tracker.inner.consumed.get(),
            chunk: vec![0; Self::CHUNK_BYTES].into_boxed_slice(),
            next: 0,
            filled: 0,
        }
    }
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.next == self.filled {
            self.filled = self.input.read(&mut self.chunk)?;
            self.next = 0;
        }
        let n = buf.len().min(self.filled - self.next);
        let state = &self.tracker.inner;
        let start = state.consumed.get();
        if n == 1 {
            // serde's way: a byte at a time. The same as below, for one.
            let byte = self.chunk[self.next];
            self.next += 1;
            buf[0] = byte;
            if byte == b'"' {
                self.run = 0;
                self.run_start = start;
            } else {
                self.run += 1;
            }
            if byte == b'\n' {
                new_line(&mut state.lines.borrow_mut(), start + 1);
            }
            if self.run <= MAX_STRING_BYTES {
                state.consumed.set(start + 1);
                return Ok(1);
            }
        } else {
            buf[..n].copy_from_slice(&self.chunk[self.next..self.next + n]);
            self.next += n;
            match buf[..n].iter().rposition(|&b| b == b'"') {
                Some(last) => {
                    self.run = (n - last - 1) as u64;
                    self.run_start = start + last as u64;
                }
                None => self.run += n as u64,
            }
        }
        if self.run > MAX_STRING_BYTES {
            let diagnostic = Diagnostic::at(
                self.run_start,
                format!(
                    "a string (or a run without strings) longer than {} MiB; shardplan reads \
                     names and paths of at most that size",
                    MAX_STRING_BYTES >> 20
                ),
            );
            state.failure.borrow_mut().get_or_insert(diagnostic);
            return Err(io::Error::other("string too long"));
        }
        if n > 1 {
            let mut lines = state.lines.borrow_mut();
            for (i, _) in buf[..n].iter().enumerate().filter(|&(_, &b)| b == b'\n') {
                new_line(&mut lines, start + i as u64 + 1);
            }
        }
        state.consumed.set(start + n as u64);
        Ok(n)
    }
}

/// Remembers that a line starts at offset `at`.
fn new_line(lines: &mut VecDeque<(u64, u64)>, at: u64) {
    let line = lines.back().map_or(1, |&(line, _)| line) + 1;
    if lines.len() == REMEMBERED_LINES {
        lines.pop_front();
    }
    lines.push_back((line, at));
}

/// Reads one JSON document from `input` with `seed`, which reports its own
/// problems through `tracker`. A UTF-8 BOM is skipped; anything but
/// whitespace after the document is an error.
pub(crate) fn read<'de, S: DeserializeSeed<'de>>(
    input: &mut dyn BufRead,
    tracker: &Tracker,
    seed: S,
) -> Result<S::Value, Diagnostic> {
    let head = input
        .fill_buf()
        .map_err(|e| Diagnostic::whole(format!("cannot read report: {e}")))?;
    if head.starts_with(BOM) {
        input.consume(3);
        tracker.inner.consumed.set(3);
    }
    *tracker.inner.lines.borrow_mut() = VecDeque::from([(1, tracker.inner.consumed.get())]);
    let counting = Counting::new(input, tracker);
    let mut deserializer = serde_json::Deserializer::from_reader(counting);
    let result = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    result.map_err(|error| {
        if let Some(failure) = tracker.inner.failure.borrow_mut().take() {
            return failure;
        }
        syntax_error(&error, tracker)
    })
}

/// A serde_json error as a positioned diagnostic.
fn syntax_error(error: &serde_json::Error, tracker: &Tracker) -> Diagnostic {
    match error.classify() {
        Category::Io => Diagnostic::whole(format!("cannot read report: {error}")),
        Category::Eof => Diagnostic::at(
            tracker.inner.consumed.get(),
            "malformed JSON: file ends inside the document (truncated report?)",
        ),
        Category::Syntax => Diagnostic::at(
            error_offset(error, tracker),
            format!("malformed JSON: {}", without_position(error)),
        ),
        Category::Data => Diagnostic::at(error_offset(error, tracker), without_position(error)),
    }
}

/// The byte offset of serde's line and (1-based, in bytes) column, or the
/// last byte read if that line is no longer remembered.
fn error_offset(error: &serde_json::Error, tracker: &Tracker) -> u64 {
    let lines = tracker.inner.lines.borrow();
    lines
        .iter()
        .find(|&&(line, _)| line == error.line() as u64)
        .map_or(tracker.offset(), |&(_, start)| {
            start + (error.column() as u64).saturating_sub(1)
        })
}

/// serde_json's message without its own " at line L column C" suffix:
/// [`super::read_file`] adds the position in the common form.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// A JSON number (seconds or milliseconds, as the format says) or `null`,
/// which some writers use for an unknown duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// A JSON number.
    Value(f64),
    /// JSON `null`.
    Null,
}

impl<'de> de::Deserialize<'de> for Number {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl de::Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Value(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number::Value(v as f64))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Value(v as f64))
            }
            fn visit_unit<E>(self) -> Result<Number, E> {
                Ok(Number::Null)
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

impl Number {
    /// The duration this value gives in units of `unit` seconds (1 for
    /// seconds, 0.001 for milliseconds), or `None` with a warning at `at`
    /// when it is negative or absurd. `null` is unknown, silently.
    pub(crate) fn duration(self, unit: f64, at: u64, warnings: &mut WarningList) -> Option<Micros> {
        let Number::Value(value) = self else {
            return None;
        };
        let micros = seconds_to_micros(value * unit);
        if micros.is_none() {
            let why = if value < 0.0 {
                "negative"
            } else {
                "implausible"
            };
            warnings.push(Diagnostic::at(
                at,
                format!("{why} duration {value}; treated as unknown"),
            ));
        }
        micros
    }
}

/// Deserializes a `T` from a JSON object and gives the offset of its `{`
/// with it, so problems found in the value can point at it.
pub(crate) struct AtObject<'a, T> {
    tracker: &'a Tracker,
    value: PhantomData<T>,
}

impl<'a, T> AtObject<'a, T> {
    /// A seed reporting offsets from `tracker`.
    pub(crate) fn new(tracker: &'a Tracker) -> Self {
        AtObject {
            tracker,
            value: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for AtObject<'_, T> {
    type Value = (T, u64);

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(T, u64), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for AtObject<'_, T> {
    type Value = (T, u64);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(T, u64), A::Error> {
        // serde has just consumed the `{`.
        let at = self.tracker.offset();
        let value = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok((value, at))
    }
}

/// The keys of a JSON object that a streamed reader wants, for [`Object`]:
/// the value of every other key is skipped unread.
pub(crate) trait Fields<'de> {
    /// What the object is, for serde's "expected …" messages.
    fn expecting(&self) -> &'static str;

    /// Reads the value of `key` from `map` and returns `true` if the key is
    /// wanted; returns `false`, having read nothing, if not.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// Streams a JSON object through its [`Fields`], key by key, so that a large
/// value (an array of tests) is visited in place rather than collected.
pub(crate) struct Object<F>(pub F);

impl<'de, F: Fields<'de>> DeserializeSeed<'de> for Object<F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: Fields<'de>> Visitor<'de> for Object<F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.0.expecting())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if !self.0.field(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Streams a JSON array of objects, handing each as a `T` with the offset of
/// its `{` to `on_object`. A message `on_object` returns stops the read with
/// a diagnostic at that object.
pub(crate) struct Objects<'a, T, F> {
    tracker: &'a Tracker,
    expecting: &'static str,
    on_object: F,
    value: PhantomData<T>,
}

impl<'a, T, F> Objects<'a, T, F> {
    /// A seed reporting offsets from `tracker`; `expecting` says what the
    /// array is, for serde's "expected …" messages.
    pub(crate) fn new(tracker: &'a Tracker, expecting: &'static str, on_object: F) -> Self {
        Objects {
            tracker,
            expecting,
            on_object,
            value: PhantomData,
        }
    }
}

impl<'de, T, F> DeserializeSeed<'de> for Objects<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T, u64) -> Result<(), String>,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T, F> Visitor<'de> for Objects<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T, u64) -> Result<(), String>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some((value, at)) = seq.next_element_seed(AtObject::<T>::new(self.tracker))? {
            (self.on_object)(value, at).map_err(|message| self.tracker.fail(at, message))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Durations files: a name and a number of seconds per entry

/// One `(key, seconds)` entry of a durations file, with the offset of its key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The test id or file path.
    pub key: String,
    /// Its duration in seconds.
    pub seconds: Number,
    /// Where the entry starts (about: the line is exact).
    pub at: u64,
}

/// Reads a durations file in any of the shapes such files take, calling
/// `on_entry` for each entry in file order:
/// `{"key": seconds, …}` (pytest-split, Knapsack),
/// `[["key", seconds], …]` (pytest-split before 0.3), and
/// `[{"<key field>": "key", "<seconds field>": seconds, …}, …]` (Knapsack
/// Pro), with the field names given by `record`.
pub(crate) fn read_entries(
    input: &mut dyn BufRead,
    record: (&'static str, &'static str),
    on_entry: &mut dyn FnMut(Entry),
) -> Result<(), Diagnostic> {
    let tracker = Tracker::default();
    let seed = Entries {
        tracker: &tracker,
        record,
        on_entry,
    };
    read(input, &tracker, seed)
}

struct Entries<'a> {
    tracker: &'a Tracker,
    record: (&'static str, &'static str),
    on_entry: &'a mut dyn FnMut(Entry),
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of durations or an array of entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let at = self.tracker.offset().saturating_sub(key.len() as u64 + 1);
            let seconds = map.next_value::<Number>()?;
            (self.on_entry)(Entry { key, seconds, at });
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let seed = EntrySeed {
                tracker: self.tracker,
                record: self.record,
            };
            match seq.next_element_seed(seed)? {
                Some(entry) => (self.on_entry)(entry),
                None => return Ok(()),
            }
        }
    }
}

/// One element of an array-shaped durations file: a pair or a record.
struct EntrySeed<'a> {
    tracker: &'a Tracker,
    record: (&'static str, &'static str),
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Entry;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Entry, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = Entry;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "a [name, seconds] pair or an object with \"{}\" and \"{}\"",
            self.record.0, self.record.1
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
        let at = self.tracker.offset();
        let pair = "expected a [name, seconds] pair";
        let key = seq
            .next_element::<String>()?
            .ok_or_else(|| self.tracker.fail(at, pair))?;
        let seconds = seq
            .next_element::<Number>()?
            .ok_or_else(|| self.tracker.fail(at, pair))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(self.tracker.fail(at, pair));
        }
        Ok(Entry { key, seconds, at })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let at = self.tracker.offset();
        let (key_field, seconds_field) = self.record;
        let (mut key, mut seconds) = (None, None);
        while let Some(field) = map.next_key::<String>()? {
            if field == key_field {
                key = Some(map.next_value::<String>()?);
            } else if field == seconds_field {
                seconds = Some(map.next_value::<Number>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let missing = |field: &str| format!("entry without \"{field}\"");
        Ok(Entry {
            key: key.ok_or_else(|| self.tracker.fail(at, missing(key_field)))?,
            seconds: seconds.ok_or_else(|| self.tracker.fail(at, missing(seconds_field)))?,
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn head_reads_keys_and_strings() {
        let mut head = Head::new(b"\xEF\xBB\xBF \n{ \"a\\\"b\" : 1.5, \"c\"");
        assert_eq!(head.eat(b'{'), Some(()));
        assert_eq!(head.key().as_deref(), Some("a\"b"));
        assert!(head.at_number());
        let mut cut = Head::new(b"{\"unterminated");
        cut.eat(b'{');
        assert_eq!(cut.string(), None);
        assert!(Head::new(b"  ").at_end());
    }

    /// The error reading `doc` as any JSON value gives.
    fn value_error(doc: &[u8]) -> Diagnostic {
        let tracker = Tracker::default();
        read(&mut &doc[..], &tracker, PhantomData::<serde_json::Value>).unwrap_err()
    }

    #[test]
    fn errors_carry_offsets() {
        let e = value_error(b"{\"a\": 1,\n \"b\": x}");
        assert_eq!(e.offset, Some(15));
        assert_eq!(e.message, "malformed JSON: expected value");
        let cut = b"{\"a\": [1, 2";
        let e = value_error(cut);
        assert!(e.message.contains("truncated"), "{e:?}");
        assert_eq!(e.offset, Some(cut.len() as u64));
        let e = value_error(b"{} {}");
        assert!(e.message.contains("trailing characters"), "{e:?}");
    }

    fn entries(doc: &str) -> Result<Vec<(String, Number)>, Diagnostic> {
        let mut out = Vec::new();
        read_entries(&mut doc.as_bytes(), ("path", "time"), &mut |e| {
            out.push((e.key, e.seconds))
        })?;
        Ok(out)
    }

    #[test]
    fn entries_in_every_shape() {
        let want = vec![
            ("a".to_string(), Number::Value(1.5)),
            ("b".to_string(), Number::Value(2.0)),
        ];
        assert_eq!(entries(r#"{"a": 1.5, "b": 2}"#), Ok(want.clone()));
        assert_eq!(entries(r#"[["a", 1.5], ["b", 2]]"#), Ok(want.clone()));
        assert_eq!(
            entries(r#"[{"path": "a", "x": [1], "time": 1.5}, {"time": 2, "path": "b"}]"#),
            Ok(want)
        );
        assert_eq!(entries("{}"), Ok(vec![]));
        assert_eq!(entries("\u{feff}[]"), Ok(vec![]));
    }

    #[test]
    fn entry_errors_are_positioned() {
        let doc = "{\n  \"a\": 1,\n  \"b\": \"slow\"\n}";
        let e = entries(doc).unwrap_err();
        assert!(e.message.contains("expected a number"), "{e:?}");
        assert_eq!(e.offset, Some(doc.find("\"slow").unwrap() as u64 + 5));
        let doc = "[[\"a\", 1], [\"b\"]]";
        let e = entries(doc).unwrap_err();
        assert_eq!(e.message, "expected a [name, seconds] pair");
        assert_eq!(e.offset, Some(doc.find("[\"b").unwrap() as u64));
        let doc = "[{\"path\": \"a\"}]";
        let e = entries(doc).unwrap_err();
        assert_eq!(e.message, "entry without \"time\"");
        assert_eq!(e.offset, Some(1));
        assert!(entries("[1]").unwrap_err().message.contains("invalid type"));
    }

    #[test]
    fn numbers_accept_integers_floats_and_null() {
        let parsed: Vec<Number> = serde_json::from_str("[1, 2.5, -3, null]").unwrap();
        assert_eq!(
            parsed,
            [
                Number::Value(1.0),
                Number::Value(2.5),
                Number::Value(-3.0),
                Number::Null
            ]
        );
        assert!(serde_json::from_str::<Number>("\"1\"").is_err());
        #[derive(Deserialize)]
        struct T {
            #[allow(dead_code)]
            n: Number,
        }
        assert!(serde_json::from_str::<T>("{\"n\": true}").is_err());
    }
}
