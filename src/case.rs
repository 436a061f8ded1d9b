//! The model of a recorded test: one executed test case as a report wrote
//! it ([`TestCase`]), before any runner names it, with the tool that wrote
//! it ([`Dialect`]) and how it ended ([`Outcome`]). The readers
//! ([`crate::report`]) produce these; everything above consumes them.

use std::rc::Rc;

use crate::duration::Micros;

/// How a recorded test ended. Only passing runs are trusted for timing by
/// later stages; all outcomes still prove that the test exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Passed (no failure, error or skipped child).
    Passed,
    /// Failed: an assertion failed (JUnit `<failure>`), or the report does
    /// not tell a failure from an error.
    Failed,
    /// Skipped, xfail, pending.
    Skipped,
    /// Errored: the test could not run to an assertion (JUnit `<error>`,
    /// TRX `Error`): a crash, a setup or fixture error.
    Errored,
    /// Passed after failed attempts that the report records inside the
    /// case (Surefire's `<flakyFailure>` / `<flakyError>`): a pass for
    /// timing, and a flaky signal by itself.
    PassedOnRerun,
}

impl Outcome {
    /// Whether the test passed in the end ([`Outcome::Passed`] or
    /// [`Outcome::PassedOnRerun`]).
    pub fn passed(self) -> bool {
        matches!(self, Outcome::Passed | Outcome::PassedOnRerun)
    }

    /// Whether the test failed or errored.
    pub fn failed(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Errored)
    }
}

/// The tool that wrote a report, when its signature says so
/// (`formats.md` §0 and §1.6). Runners use it to tell their own reports from
/// other runners' reports in a mixed directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// No known signature.
    Generic,
    /// pytest `--junitxml`.
    Pytest,
    /// jest-junit.
    Jest,
    /// Vitest's junit reporter.
    Vitest,
    /// Playwright's junit reporter.
    Playwright,
    /// Maven Surefire / Failsafe, Ant.
    Surefire,
    /// Gradle.
    Gradle,
    /// gotestsum or go-junit-report (Go packages and tests).
    Go,
    /// cargo-nextest.
    Nextest,
    /// PHPUnit.
    Phpunit,
    /// .NET loggers (JunitXml.TestLogger).
    Dotnet,
    /// mocha-junit-reporter.
    Mocha,
    /// rspec_junit_formatter.
    Rspec,
}

impl Dialect {
    /// Every dialect, in declaration order.
    pub const ALL: [Dialect; 13] = [
        Dialect::Generic,
        Dialect::Pytest,
        Dialect::Jest,
        Dialect::Vitest,
        Dialect::Playwright,
        Dialect::Surefire,
        Dialect::Gradle,
        Dialect::Go,
        Dialect::Nextest,
        Dialect::Phpunit,
        Dialect::Dotnet,
        Dialect::Mocha,
        Dialect::Rspec,
    ];

    /// A stable lowercase name, as the timing history stores it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Generic => "generic",
            Dialect::Pytest => "pytest",
            Dialect::Jest => "jest",
            Dialect::Vitest => "vitest",
            Dialect::Playwright => "playwright",
            Dialect::Surefire => "surefire",
            Dialect::Gradle => "gradle",
            Dialect::Go => "go",
            Dialect::Nextest => "nextest",
            Dialect::Phpunit => "phpunit",
            Dialect::Dotnet => "dotnet",
            Dialect::Mocha => "mocha",
            Dialect::Rspec => "rspec",
        }
    }

    /// The dialect [`Dialect::name`] gives `name`, if any.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// Text that many cases share (a classname, a suite's name, a file, a
/// variant), stored once: a reader hands the same value to every case of
/// a suite or file instead of a copy each.
pub type Shared = Text;

/// Shared text with a string's conveniences: what a case's classname,
/// suite, file and variant are, what a [`crate::naming::TestId`] and a
/// planned item hold, so that the tests of one class or file, and the item
/// planned under a test's key, hold one copy of the text rather than one
/// each. Compares, orders, hashes and prints as the text itself.
///
/// A text is a part of a shared block (16 bytes: a thin pointer and two
/// `u32`s), so that many texts can share one block ([`TextBlock`]): a
/// million native ids are then a few thousand allocations, not a million,
/// and take no reference counts or allocator headers of their own.
///
/// The block is counted by `Rc`, not `Arc`: planning runs on one thread,
/// and every case, id and item takes and drops texts, a few million
/// counts in a million-test plan, which as atomic operations cost 12% of
/// its CPU time. Types that hold texts are therefore not `Send`.
#[derive(Clone)]
pub struct Text {
    /// The block this text is a part of (often the whole of it).
    block: Rc<Box<str>>,
    /// Where the text starts in `block`, in bytes.
    start: u32,
    /// Its length in bytes.
    len: u32,
}

// Two million of these are held in a million-test plan's ids.
const _: () = assert!(std::mem::size_of::<Text>() == 16);
const _: () = assert!(std::mem::size_of::<Option<Text>>() == 16);

impl Text {
    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        let start = self.start as usize;
        &self.block[start..start + self.len as usize]
    }

    /// The text's length in bytes, read without reaching into its block
    /// (what `str::len` gives through [`Text::as_str`]).
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the text is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text as [`Shared`], to hand on without a copy.
    pub fn shared(&self) -> &Shared {
        self
    }

    /// Whether `a` and `b` are the same text of the same block: the same
    /// value handed out twice, which needs no comparing.
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        Rc::ptr_eq(&a.block, &b.block) && a.start == b.start && a.len == b.len
    }

    /// `at` as a block offset: a block holds texts read from reports held
    /// in memory, under 4 GiB.
    fn offset(at: usize) -> u32 {
        u32::try_from(at).expect("a text block is under 4 GiB")
    }
}

/// The size of text a [`TextBlock`] is handed out at once it is
/// [`TextBlock::is_full`]. Large enough for the allocator to map each
/// block on its own and give it back whole when its last text is let go
/// of (`main` keeps glibc's threshold for that at 128 KiB): smaller
/// blocks live in its heap, where the holes freed names leave cannot
/// hold the larger blocks of ids written meanwhile, and stay resident.
pub const BLOCK_BYTES: usize = 256 * 1024;

/// Texts written one after another, to be handed out as the parts of one
/// block ([`TextBlock::finish`]): a reader of a million names then copies
/// each once, into its block, and allocates nothing for it on its own.
#[derive(Debug, Default)]
pub struct TextBlock {
    /// The texts written since the last block.
    text: String,
    /// Where each ends in `text`.
    ends: Vec<u32>,
}

impl TextBlock {
    /// Writes `text` as the next part.
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.ends.push(Text::offset(self.text.len()));
    }

    /// Has `write` write the next part at the end of the block's text; on
    /// an error nothing is left written.
    pub fn write<T, E>(&mut self, write: impl FnOnce(&mut String) -> Result<T, E>) -> Result<T, E> {
        let start = self.text.len();
        let written = write(&mut self.text);
        match written {
            Ok(_) => self.ends.push(Text::offset(self.text.len())),
            Err(_) => self.text.truncate(start),
        }
        written
    }

    /// How many parts are written and not yet handed out.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the parts written make a block to hand out
    /// ([`TextBlock::finish`]): [`BLOCK_BYTES`] of text.
    pub fn is_full(&self) -> bool {
        self.text.len() >= BLOCK_BYTES
    }

    /// Whether no part is waiting.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The parts written so far, in order, as texts sharing one new
    /// block; the next part starts a new block.
    pub fn finish(&mut self) -> impl Iterator<Item = Text> + use<> {
        // The next block is sized as this one rather than grown from
        // nothing by doubling and copying. A full one ends with the part
        // that took it past `BLOCK_BYTES`: the next has room for one more
        // long part before it would have to grow.
        let (len, parts) = (self.text.len(), self.ends.len());
        let room = if len >= BLOCK_BYTES {
            BLOCK_BYTES + BLOCK_BYTES / 16
        } else {
            len
        };
        let text = std::mem::replace(&mut self.text, String::with_capacity(room));
        let block: Rc<Box<str>> = Rc::new(text.into_boxed_str());
        let ends = std::mem::replace(&mut self.ends, Vec::with_capacity(parts));
        let mut start = 0;
        ends.into_iter().map(move |end| {
            let text = Text {
                block: block.clone(),
                start,
                len: end - start,
            };
            start = end;
            text
        })
    }
}

impl From<Box<str>> for Text {
    fn from(text: Box<str>) -> Text {
        let len = Text::offset(text.len());
        Text {
            block: Rc::new(text),
            start: 0,
            len,
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::from(Box::<str>::default())
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        // Read from the texts' own fields, without reaching into their
        // blocks: texts of different lengths differ, and shared text (a
        // class, a file) is mostly compared with itself.
        if self.len != other.len {
            return false;
        }
        (self.start == other.start && Rc::ptr_eq(&self.block, &other.block))
            || self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    #[inline]
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    #[inline]
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        // A shared text (a class, a file) is mostly compared with itself,
        // as in `eq`: a history's keys are ordered file first.
        if self.len == other.len
            && self.start == other.start
            && Rc::ptr_eq(&self.block, &other.block)
        {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    #[inline]
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Written as the string it is (the plan document's ids).
impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&Text> for Text {
    fn from(text: &Text) -> Text {
        text.clone()
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::from(text.into_boxed_str())
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Text {
        Text::from(text.as_str())
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::from(Box::<str>::from(text))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(text: std::borrow::Cow<'_, str>) -> Text {
        match text {
            std::borrow::Cow::Borrowed(text) => Text::from(text),
            std::borrow::Cow::Owned(text) => Text::from(text),
        }
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.as_str().to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

/// The last [`Shared`] text a reader handed out for one field: a value
/// equal to it is handed out again rather than stored anew, since the
/// cases of one class or file come together in reports.
#[derive(Debug, Default)]
pub struct Recent(Option<Shared>);

impl Recent {
    /// `value` as shared text: the previous one if equal, else a new one
    /// that is remembered.
    pub fn share(&mut self, value: &str) -> Shared {
        match &self.0 {
            Some(last) if **last == *value => last.clone(),
            _ => {
                let shared: Shared = value.into();
                self.0 = Some(shared.clone());
                shared
            }
        }
    }
    /// `value`, or the previous text if equal (so that equal runner keys,
    /// built anew for every case, are stored once).
    pub fn reuse(&mut self, value: Text) -> Text {
        match &self.0 {
            // Runners often hand on a case's own shared text: the same
            // text needs no comparing.
            Some(last) if Text::ptr_eq(last, &value) || *last == value => last.clone(),
            _ => {
                self.0 = Some(value.clone());
                value
            }
        }
    }
}

/// One executed test as a report recorded it, before any runner names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The test's own name (`test_b[1-2]`, `TestA/sub`, `mod::tests::it`).
    /// Text, so that a reader can pack the names of many cases into one
    /// block ([`TextBlock`]) rather than allocate one each.
    pub name: Text,
    /// The class, package or binary the report files it under, if any.
    pub classname: Option<Shared>,
    /// Name of the innermost enclosing suite, if any.
    pub suite: Option<Shared>,
    /// Source file of the test, normalised by [`crate::identity::normalize_path`].
    pub file: Option<Shared>,
    /// Recorded duration; `None` when absent or unusable (never guessed as 0).
    pub duration: Option<Micros>,
    /// How the run ended.
    pub outcome: Outcome,
    /// Which tool wrote the report.
    pub dialect: Dialect,
    /// The configuration the test ran in when one run executes it several
    /// times — a Playwright project; a variant is a separate cost, not a
    /// rerun.
    pub variant: Option<Shared>,
}

/// Whether `text` is empty or only whitespace (what `str::trim` removes).
/// The first byte settles nearly every name and path without decoding:
/// an ASCII byte other than whitespace is kept by `trim`.
pub fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(&first) if first.is_ascii() && !char::from(first).is_whitespace() => false,
        Some(_) => text.trim().is_empty(),
    }
}

/// Whether `name` is a go subtest (`TestA/case`): go names subtests after
/// their parent, whose time already includes them.
pub fn is_go_subtest(name: &str) -> bool {
    name.contains('/')
}

impl TestCase {
    /// Whether this case ran inside another case's time (a go subtest within
    /// its parent), so sums over a group must leave it out.
    pub fn runs_within_parent(&self) -> bool {
        self.dialect == Dialect::Go && is_go_subtest(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_order_as_their_strings_shared_or_not() {
        let mut block = TextBlock::default();
        for text in ["b", "a", "b", "ab", ""] {
            block.push(text);
        }
        let mut texts: Vec<Text> = block.finish().collect();
        // The same parts again, and copies in blocks of their own.
        texts.extend(texts.clone());
        texts.extend(["b", "a", "ab", "abc"].map(Text::from));
        for a in &texts {
            for b in &texts {
                assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()), "{a:?} {b:?}");
                assert_eq!(a == b, a.as_str() == b.as_str(), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn texts_are_equal_when_their_text_is() {
        let mut block = TextBlock::default();
        for part in ["ab", "ab", "", "cd", "a"] {
            block.push(part);
        }
        let parts: Vec<Text> = block.finish().collect();
        let others = ["ab", "", "cd", "a", "abc"].map(Text::from);
        for a in parts.iter().chain(&others) {
            for b in parts.iter().chain(&others) {
                assert_eq!(a == b, a.as_str() == b.as_str(), "{a:?} {b:?}");
            }
            assert_eq!(a.len(), a.as_str().len());
            assert_eq!(a.is_empty(), a.as_str().is_empty());
        }
    }

    #[test]
    fn blank_is_what_trim_leaves_empty() {
        for text in [
            "", " ", "\t\n\r", "\u{b}", "\u{c}", "\u{85}", "\u{a0}", "\u{3000}", " a", "a",
            "\u{b}a", "é", "\u{85}x", "\u{0}", "\u{1f}",
        ] {
            assert_eq!(is_blank(text), text.trim().is_empty(), "{text:?}");
        }
        for byte in 0..=0x7f_u8 {
            let text = char::from(byte).to_string();
            assert_eq!(is_blank(&text), text.trim().is_empty(), "{byte:#x}");
        }
    }
}
