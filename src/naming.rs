//! How a runner names a test: the [`TestId`] it gives a recorded case or a
//! line of its own listing, the [`Granularity`] the planner places, and the
//! [`Naming`] half of a runner that the timing table uses. The filter half
//! lives in [`crate::emit`], one file per runner beside its naming.

use crate::case::{Dialect, TestCase, Text};
use crate::choice::Choice;

/// The unit the planner places on shards.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Single tests.
    Test,
    /// Classes (or the runner's nearest equivalent: a module, a go package).
    Class,
    /// Files (or a go package, a test binary).
    File,
}

/// A test as one runner names it.
///
/// `class` and `file` are themselves selectors the runner accepts (a pytest
/// `path.py::Class`, a go package, a nextest binary id), so that a shard
/// planned at class or file granularity can be emitted compactly. The
/// parts are shared [`Text`]: the tests of one class or file hold one copy
/// of its name, and a planned item holds its key without a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestId {
    /// The runner's own name for the test; what `--tests-from` lists hold
    /// and what `--json` prints at test granularity.
    pub native: Text,
    /// The group at `--by class`.
    pub class: Text,
    /// The group at `--by file`.
    pub file: Text,
}

impl Choice for Granularity {
    const ALL: &'static [Granularity] = &[Granularity::Test, Granularity::Class, Granularity::File];

    fn name(self) -> &'static str {
        match self {
            Granularity::Test => "test",
            Granularity::Class => "class",
            Granularity::File => "file",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Granularity::Test => "Single tests",
            Granularity::Class => {
                "Classes (or the runner's nearest equivalent: a module, a go package)"
            }
            Granularity::File => "Files (or a go package, a test binary)",
        }
    }
}

impl Granularity {
    /// The name `--by` takes.
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

impl TestId {
    /// A test that is its own class and file (a jest or rspec file, a bare
    /// pytest path): the three parts share one text.
    pub fn whole(text: impl Into<Text>) -> TestId {
        let text = text.into();
        TestId {
            native: text.clone(),
            class: text.clone(),
            file: text,
        }
    }

    /// The key this test is planned under at granularity `by`.
    pub fn key(&self, by: Granularity) -> &str {
        self.key_text(by)
    }

    /// [`TestId::key`] as shared text, to hold without a copy.
    pub fn key_text(&self, by: Granularity) -> &Text {
        self.as_ref().key_text(by)
    }

    /// [`TestRef::named_class`].
    pub fn named_class(&self) -> Option<&Text> {
        self.as_ref().named_class()
    }

    /// The id borrowed, as a planned suite hands its tests out.
    pub fn as_ref(&self) -> TestRef<'_> {
        TestRef {
            native: &self.native,
            class: &self.class,
            file: &self.file,
        }
    }
}

/// A [`TestId`] borrowed part by part: a planned suite keeps each test's
/// class and file once per run of tests sharing them
/// ([`crate::timing::Suite::id`]), not in every test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestRef<'a> {
    /// [`TestId::native`].
    pub native: &'a Text,
    /// [`TestId::class`].
    pub class: &'a Text,
    /// [`TestId::file`].
    pub file: &'a Text,
}

impl<'a> TestRef<'a> {
    /// [`TestId::key`].
    pub fn key(self, by: Granularity) -> &'a str {
        self.key_text(by)
    }

    /// [`TestId::key_text`].
    pub fn key_text(self, by: Granularity) -> &'a Text {
        match by {
            Granularity::Test => self.native,
            Granularity::Class => self.class,
            Granularity::File => self.file,
        }
    }

    /// The class, or `None` when the test is its own class (its class is
    /// its native id): what a table keeps, so that such tests hold no copy
    /// of their id, nor a place each ([`Naming::identify_into`]).
    pub fn named_class(self) -> Option<&'a Text> {
        (self.class != self.native).then_some(self.class)
    }

    /// The id, its parts shared rather than copied.
    pub fn to_id(self) -> TestId {
        TestId {
            native: self.native.clone(),
            class: self.class.clone(),
            file: self.file.clone(),
        }
    }
}

impl<'a> From<&'a TestId> for TestRef<'a> {
    fn from(id: &'a TestId) -> TestRef<'a> {
        id.as_ref()
    }
}

/// A problem in a `--tests-from` listing, by 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    /// 1-based line in the listing.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// How one test runner names tests (`formats.md` Part 2): from a report's
/// case, from its own listing, and under alternative keys. The filter side
/// is [`crate::emit::Runner`], which every runner implements too.
pub trait Naming {
    /// Name used by `--runner`.
    fn name(&self) -> &'static str;

    /// Whether reports written by `dialect` describe this runner's tests.
    /// Reports from other runners in the same directory are ignored.
    fn accepts(&self, dialect: Dialect) -> bool;

    /// The runner's id for a recorded test, or `None` when the runner cannot
    /// select that case on its own (a go subtest: its parent carries the
    /// time).
    fn identify(&self, case: &TestCase) -> Option<TestId>;

    /// [`Naming::identify`] with the native id written at the end of
    /// `native` rather than allocated on its own, and the class and file
    /// returned: how the timing table names a million cases, packing their
    /// ids into shared blocks. The class is `None` when the test is its
    /// own class (a pytest function outside any class), so that such a
    /// test's class shares its id's text rather than being a copy of it
    /// (a million copies, and a place each, at a million tests). On `None`
    /// nothing is written. `scope` holds
    /// what the runner worked out for the case before, should this one be
    /// recorded in the same place ([`Scope::holds`]). The default copies what
    /// [`Naming::identify`] gives; a runner whose `identify` is
    /// [`identified`] writes the id in place instead.
    fn identify_into(
        &self,
        case: &TestCase,
        native: &mut String,
        _scope: &mut Scope,
    ) -> Option<(Option<Text>, Text)> {
        let id = self.identify(case)?;
        native.push_str(&id.native);
        Some((id.named_class().cloned(), id.file))
    }

    /// Parses the runner's own listing of tests (`--tests-from`): ids one per
    /// line, plus whatever summary lines the runner prints around them.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError>;

    /// Other keys under which `id` may be the same test as an id named
    /// differently: a listed test that matches no recorded test by native
    /// id takes the timing of an otherwise unclaimed recorded test sharing
    /// one of these keys (e.g. a pytest node id and the id rebuilt from an
    /// xunit2 dotted classname). Called on both sides. Default: none.
    fn match_keys(&self, _id: &TestId) -> Vec<String> {
        Vec::new()
    }

    /// Why [`Naming::identify`] may return `None`, for the summary line
    /// that counts such cases.
    fn unidentified_reason(&self) -> &'static str {
        "e.g. subtests; their parent's time includes them"
    }

    /// Whether the runner names single tests (by a case's name), so that a
    /// recorded case without a name cannot be selected; `false` for runners
    /// whose unit is the test file (a nameless test still proves its file).
    fn names_tests(&self) -> bool {
        true
    }

    /// What the runner's planned ids are, plural, for messages: `tests`,
    /// or `test files` where the unit is the file ([`Naming::names_tests`]
    /// false), so that a vitest plan of 134 files does not say 134 tests.
    fn units(&self) -> &'static str {
        if self.names_tests() {
            "tests"
        } else {
            "test files"
        }
    }

    /// [`Naming::units`] for `count` of them: singular for one.
    fn units_of(&self, count: usize) -> &'static str {
        let units = self.units();
        match count {
            1 => units.strip_suffix('s').unwrap_or(units),
            _ => units,
        }
    }

    /// Whether a case [`Naming::identify`] cannot name points at how the
    /// reports are written (a jest report without file paths), rather than
    /// at a case the runner's own model leaves out (a go subtest): then
    /// every mode warns, with [`Naming::unidentified_reason`] as the fix.
    fn unidentified_needs_fixing(&self) -> bool {
        false
    }
}

/// Why a recorded case cannot be selected by a runner ([`selectable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSelectable {
    /// The runner cannot select it on its own ([`Naming::identify`]).
    ByRunner,
    /// It has no name and the runner selects single tests.
    Nameless,
    /// Its id holds a control character (a newline, ESC, NUL…): no runner's
    /// line-oriented output can carry it, and it must not reach a terminal.
    ControlCharacter,
}

/// The runner's id for a recorded case, or why it has none: the one gate
/// every recorded case passes before it is planned, so that a runner
/// never sees a name it cannot print. Such a case runs on no shard by name;
/// as any test the plan does not know, it runs where its whole group is
/// selected, or on a catch-all shard.
pub fn selectable(runner: &dyn Naming, case: &TestCase) -> Result<TestId, NotSelectable> {
    Selecting::default().selectable(runner, case)
}

/// [`Naming::identify`] for a runner that writes its ids in place
/// ([`Naming::identify_into`]): the id in a text of its own.
pub fn identified<N: Naming + ?Sized>(runner: &N, case: &TestCase) -> Option<TestId> {
    let mut native = String::new();
    let (class, file) = runner.identify_into(case, &mut native, &mut Scope::default())?;
    let native = Text::from(native);
    Some(TestId {
        class: class.unwrap_or_else(|| native.clone()),
        native,
        file,
    })
}

/// What a runner made of where a case is recorded (its classname, file
/// and suite), kept for the next case recorded in the very same place:
/// cases of one class come together, and working out where a test lives
/// (a path normalised and made relative, a dotted class split) took pytest
/// over ten times what writing its id does.
#[derive(Debug, Default)]
pub struct Scope {
    /// The classname, file and suite it was made of.
    of: Option<[Option<Text>; 3]>,
    /// What the ids of the scope's tests start with.
    pub prefix: String,
    /// The class of the scope's tests, if it is not each test itself.
    pub class: Option<Text>,
    /// The file of the scope's tests; `None` if the runner cannot name
    /// tests recorded there.
    pub file: Option<Text>,
}

impl Scope {
    /// Whether the scope was made of `case`'s classname, file and suite;
    /// if not, it is emptied and now stands for them, to be filled in.
    pub fn holds(&mut self, case: &TestCase) -> bool {
        let place = [&case.classname, &case.file, &case.suite];
        // Readers mostly hand on one text for a run of equal ones, which
        // `Text`'s equality sees at once; equal copies are compared.
        if let Some(of) = &self.of
            && of.iter().zip(place).all(|(a, b)| a == b)
        {
            return true;
        }
        self.of = Some(place.map(Option::clone));
        self.prefix.clear();
        self.class = None;
        self.file = None;
        false
    }
}

/// [`selectable`] for many cases in turn. Runners hand on a case's shared
/// class and file text, the same value for every case of a class or file,
/// so the class and file texts last found printable are not checked again
/// when the next id holds the very same ones.
#[derive(Default)]
pub struct Selecting {
    /// The class and file texts of the last id let through.
    printable: [Option<Text>; 2],
    /// What the runner made of where the last case was recorded.
    scope: Scope,
}

impl Selecting {
    /// [`selectable`], checking only what the last id did not hold.
    pub fn selectable(
        &mut self,
        runner: &dyn Naming,
        case: &TestCase,
    ) -> Result<TestId, NotSelectable> {
        let mut native = String::new();
        let (class, file) = self.selectable_into(runner, case, &mut native)?;
        let native = Text::from(native);
        Ok(TestId {
            class: class.unwrap_or_else(|| native.clone()),
            native,
            file,
        })
    }

    /// [`Selecting::selectable`] with the native id written at the end of
    /// `native` ([`Naming::identify_into`]); on an error nothing is.
    pub fn selectable_into(
        &mut self,
        runner: &dyn Naming,
        case: &TestCase,
        native: &mut String,
    ) -> Result<(Option<Text>, Text), NotSelectable> {
        if runner.names_tests() && crate::case::is_blank(&case.name) {
            return Err(NotSelectable::Nameless);
        }
        let start = native.len();
        let (class, file) = runner
            .identify_into(case, native, &mut self.scope)
            .ok_or(NotSelectable::ByRunner)?;
        // A class that reads as the id is the test's own, said one way.
        let class = class.filter(|class| class.as_str() != &native[start..]);
        if crate::text::unprintable(&native[start..]).is_some() {
            native.truncate(start);
            return Err(NotSelectable::ControlCharacter);
        }
        // Each text keeps its own slot, a class or not.
        let texts = [class.as_ref(), Some(&file)];
        for (text, printable) in texts.into_iter().zip(&mut self.printable) {
            let Some(text) = text else {
                continue;
            };
            if !printable
                .as_ref()
                .is_some_and(|known| Text::ptr_eq(known, text))
            {
                if crate::text::unprintable(text).is_some() {
                    native.truncate(start);
                    return Err(NotSelectable::ControlCharacter);
                }
                *printable = Some(text.clone());
            }
        }
        Ok((class, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names a case after its name, class and file as recorded, handing
    /// on the case's own shared texts as runners do.
    struct AsRecorded;

    impl Naming for AsRecorded {
        fn name(&self) -> &'static str {
            "as-recorded"
        }

        fn accepts(&self, _dialect: Dialect) -> bool {
            true
        }

        fn identify(&self, case: &TestCase) -> Option<TestId> {
            Some(TestId {
                native: case.name.clone(),
                class: case.classname.clone()?,
                file: case.file.clone()?,
            })
        }

        fn parse_listing(&self, _text: &str) -> Result<Vec<TestId>, ListError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn selecting_in_turn_checks_every_text_it_has_not_let_through() {
        let class = Text::from("C");
        let file = Text::from("c.py");
        let case = |name: &str, class: &Text, file: &Text| TestCase {
            name: name.into(),
            classname: Some(class.clone()),
            suite: None,
            file: Some(file.clone()),
            duration: None,
            outcome: crate::case::Outcome::Passed,
            dialect: Dialect::Generic,
            variant: None,
        };
        let bad = Text::from("C\n");
        let mut selecting = Selecting::default();
        let mut verdicts = Vec::new();
        for case in [
            case("a", &class, &file),
            case("b", &class, &file),
            case("c", &bad, &file),
            case("d", &class, &bad),
            case("e\u{1b}", &class, &file),
            case("f", &class, &file),
            case(" ", &class, &file),
        ] {
            let verdict = selecting.selectable(&AsRecorded, &case).map(|id| id.native);
            assert_eq!(verdict, selectable(&AsRecorded, &case).map(|id| id.native));
            verdicts.push(verdict.map_err(|why| format!("{why:?}")));
        }
        let ok = |native: &str| Ok(Text::from(native));
        let control = Err("ControlCharacter".to_string());
        assert_eq!(
            verdicts,
            [
                ok("a"),
                ok("b"),
                control.clone(),
                control.clone(),
                control,
                ok("f"),
                Err("Nameless".to_string())
            ]
        );
    }

    #[test]
    fn ids_written_in_place_leave_nothing_behind_when_refused() {
        let case = |name: &str, class: &str| TestCase {
            name: name.into(),
            classname: Some(class.into()),
            suite: None,
            file: Some("c.py".into()),
            duration: None,
            outcome: crate::case::Outcome::Passed,
            dialect: Dialect::Generic,
            variant: None,
        };
        let mut block = crate::case::TextBlock::default();
        let mut selecting = Selecting::default();
        let mut verdicts = Vec::new();
        for case in [
            case("a", "C"),
            case("b\u{1b}", "C"),
            case("c", "C\n"),
            case(" ", "C"),
            case("d", "C"),
        ] {
            let verdict =
                block.write(|native| selecting.selectable_into(&AsRecorded, &case, native));
            verdicts.push(
                verdict
                    .map(|(class, _)| class.expect("a named class").to_string())
                    .map_err(|why| format!("{why:?}")),
            );
        }
        let written: Vec<String> = block.finish().map(|text| text.to_string()).collect();
        assert_eq!(written, ["a", "d"]);
        assert_eq!(
            verdicts,
            [
                Ok("C".to_string()),
                Err("ControlCharacter".to_string()),
                Err("ControlCharacter".to_string()),
                Err("Nameless".to_string()),
                Ok("C".to_string()),
            ]
        );
    }
}
