//! pytest: tests are node ids (`tests/test_x.py::TestA::test_b[1-2]`), which
//! pytest takes as positional arguments (`formats.md` §11.2).

use super::*;
use crate::identity::normalize_path;

/// pytest node ids, printed one per line.
///
/// The lines are meant to become one argument each and are not quoted: use
/// `xargs -d '\n' pytest < shard.txt` or `pytest @shard.txt` (pytest ≥ 8.2).
/// A bare `pytest $(…)` splits ids with spaces and globs `[…]`.
///
/// At class granularity the key is the outermost class (`file::TestA`, which
/// includes `TestA::Inner`), and a module-level function is its own key:
/// keys must not overlap, and the file itself would select every class in
/// it, which may be planned on another shard.
pub struct Pytest;

/// The node id's path and the classes between it and the test name.
struct Location {
    path: String,
    classes: Vec<String>,
}

impl Location {
    /// Fills `scope` for the tests at this location: their ids start with
    /// the path and classes, their class key is the outermost class (or,
    /// with none, each test itself).
    fn fill(self, scope: &mut Scope) {
        scope.prefix.push_str(&self.path);
        scope.prefix.push_str("::");
        for class in &self.classes {
            scope.prefix.push_str(class);
            scope.prefix.push_str("::");
        }
        scope.class = self
            .classes
            .first()
            .map(|outer| Text::from(format!("{}::{outer}", self.path)));
        scope.file = Some(self.path.into());
    }

    /// The id a test named `name` at this location has, and its class key.
    fn test_id(self, name: &str) -> TestId {
        let mut scope = Scope::default();
        self.fill(&mut scope);
        let native: Text = [scope.prefix.as_str(), name].concat().into();
        TestId {
            class: scope.class.unwrap_or_else(|| native.clone()),
            file: scope.file.expect("a filled scope has a file"),
            native,
        }
    }
}

/// The dotted module pytest writes for a file: `tests/unit/test_x.py` is
/// `tests.unit.test_x` (junitxml's `mangle_test_address`).
fn dotted_module(path: &str) -> String {
    path.strip_suffix(".py").unwrap_or(path).replace('/', ".")
}

/// Splits a classname as xunit2 writes it: the module path runs up to the
/// first segment that starts with an uppercase letter (a class); the first
/// segment is always module, since a node id always starts with a file.
fn location_from_classname(classname: &str) -> Location {
    let segments: Vec<&str> = classname.split('.').collect();
    let split = segments
        .iter()
        .skip(1)
        .position(|s| s.starts_with(|c: char| c.is_uppercase()))
        .map_or(segments.len(), |i| i + 1);
    Location {
        path: format!("{}.py", segments[..split].join("/")),
        classes: segments[split..].iter().map(|s| s.to_string()).collect(),
    }
}

/// With xunit1's `file`: classes are what the classname adds to the file's
/// module. When the module is not a prefix, `file` names where an inherited
/// test is *defined*, not the file that collects it (`formats.md` §1.6), so
/// the classname is the better witness.
fn location_from_file(file: &str, classname: Option<&str>) -> Location {
    let path = normalize_path(file);
    let Some(classname) = classname else {
        return Location {
            path,
            classes: Vec::new(),
        };
    };
    let module = dotted_module(&path);
    if classname == module {
        return Location {
            path,
            classes: Vec::new(),
        };
    }
    match classname
        .strip_prefix(&module)
        .and_then(|rest| rest.strip_prefix('.'))
    {
        Some(rest) => Location {
            path,
            classes: rest.split('.').map(str::to_string).collect(),
        },
        None => location_from_classname(classname),
    }
}

/// Splits a node id into path, classes and name. Parameters are cut off at
/// the first `[` first, as pytest does, since they may hold `::`.
fn parse_node_id(line: &str) -> Option<TestId> {
    let (head, params) = line.find('[').map_or((line, ""), |i| line.split_at(i));
    let mut parts: Vec<&str> = head.split("::").collect();
    let path = parts.remove(0);
    // A path may hold a space (pytest lists `tests/test_sp ace.py::test_a`
    // as it is), but only in a test id of a `.py` file: a bare word with
    // spaces is prose around the listing.
    let spaced = path.contains(char::is_whitespace)
        && (parts.is_empty() || !path.ends_with(".py") || path.trim() != path);
    if path.is_empty() || path.starts_with('<') || spaced {
        return None;
    }
    let path = normalize_path(path);
    let Some(name) = parts.pop() else {
        // A bare file is a selector too.
        return Some(TestId::whole(path));
    };
    if name.is_empty() || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let location = Location {
        path,
        classes: parts.iter().map(|p| p.to_string()).collect(),
    };
    Some(location.test_id(&format!("{name}{params}")))
}

/// The form a node id takes in an xunit2 report, `classname::name`:
/// `tests/unit/test_x.py::TestA::test_b[1]` is `tests.unit.test_x.TestA::test_b[1]`.
/// Where the classname split guessed wrong (a directory with a capital, a
/// class in lower case), the recorded and the listed id still share it.
fn dotted_key(native: &str) -> Option<String> {
    let (head, params) = native
        .find('[')
        .map_or((native, ""), |i| native.split_at(i));
    let mut parts: Vec<&str> = head.split("::").collect();
    let name = parts.pop().filter(|_| !parts.is_empty())?;
    let mut scope = dotted_module(parts.remove(0));
    for class in parts {
        scope.push('.');
        scope.push_str(class);
    }
    Some(format!("{scope}::{name}{params}"))
}

/// pytest's closing count: `9 tests collected in 0.01s`,
/// `1/9 tests collected (8 deselected) in 0.01s`, `no tests collected …`,
/// `9 tests collected, 1 error in 0.30s`.
fn is_summary(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let count = words.next().unwrap_or("");
    let counted = count == "no"
        || (!count.is_empty() && count.chars().all(|c| c.is_ascii_digit() || c == '/'));
    counted && matches!(words.next(), Some("test" | "tests"))
}

impl Naming for Pytest {
    fn name(&self) -> &'static str {
        "pytest"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Pytest | Dialect::Generic)
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        identified(self, case)
    }

    fn identify_into(
        &self,
        case: &TestCase,
        native: &mut String,
        scope: &mut Scope,
    ) -> Option<(Option<Text>, Text)> {
        if !scope.holds(case) {
            let classname = recorded_class(case);
            let file = case.file.as_deref().filter(|f| !f.is_empty());
            match (file, classname) {
                (Some(file), classname) => location_from_file(file, classname).fill(scope),
                (None, Some(classname)) => location_from_classname(classname).fill(scope),
                (None, None) => {}
            }
        }
        let Some(file) = &scope.file else {
            // Some tools write the whole node id as the name.
            let id = parse_node_id(&case.name).filter(|id| id.native != id.file)?;
            native.push_str(&id.native);
            return Some((id.named_class().cloned(), id.file));
        };
        native.push_str(&scope.prefix);
        native.push_str(&case.name);
        // Without a class, the test is its own class.
        Some((scope.class.clone(), file.clone()))
    }

    /// Reads `pytest --collect-only -q`: node ids up to the first `===`
    /// section (warnings, errors), skipping the count line.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        let mut ids = Vec::new();
        for (line_no, line) in listing_lines(text) {
            if line.starts_with('=') || line.starts_with('!') {
                break;
            }
            if is_summary(line) {
                continue;
            }
            let id = parse_node_id(line).ok_or_else(|| ListError {
                line: line_no,
                message: format!(
                    "`{line}` is not a pytest node id (expected `path/test_x.py::test_name`, \
                     as printed by `pytest --collect-only -q`)"
                ),
            })?;
            ids.push(id);
        }
        Ok(ids)
    }

    fn match_keys(&self, id: &TestId) -> Vec<String> {
        dotted_key(&id.native).into_iter().collect()
    }
}

impl Runner for Pytest {
    /// Arguments for `pytest @shard.txt` (see [`Pytest`]); a whole file is
    /// its path, and a long selection goes to the list file as `@path`.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, no_op()).notice(
                ctx.empty_notice("`--collect-only -q`: pytest collects, runs nothing and exits 0"),
            ));
        }
        let mut notices = Vec::new();
        let mut declined = None;
        let args = if ctx.is_catch_all() {
            match catch_all_args(ctx) {
                Ok((args, notice)) => {
                    notices.extend(notice);
                    args
                }
                Err(conflict) => {
                    declined = Some(conflict);
                    positive_args(ctx)
                }
            }
        } else {
            positive_args(ctx)
        };
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        let mut rendered = if ctx.wants_file(bytes) || args.iter().any(|a| a.contains('\n')) {
            let path = ctx.list_file.path.clone();
            let mut contents = args.join("\n");
            contents.push('\n');
            Rendered::args(LAUNCHER, vec![format!("@{}", path.display())]).file(path, contents)
        } else {
            Rendered::args(LAUNCHER, args)
        };
        rendered.notices.extend(notices);
        if let Some(conflict) = declined {
            rendered = rendered.decline_catch_all(conflict);
        }
        Ok(rendered)
    }
}

/// What `--exec` runs the arguments with.
const LAUNCHER: &[&str] = &["python3", "-m", "pytest"];

/// pytest's no-op: collect, run nothing, exit 0 (and write an empty JUnit
/// report if asked to).
fn no_op() -> Vec<String> {
    vec!["--collect-only".to_string(), "-q".to_string()]
}

/// Whole files by path, the rest by node id (or class id).
fn positive_args(ctx: &RenderContext<'_>) -> Vec<String> {
    let selection = ctx.selection(ctx.index);
    let mut args: Vec<String> = selection.groups.iter().map(|g| g.to_string()).collect();
    args.extend(selection.items.iter().map(|i| i.key.to_string()));
    args.sort_unstable();
    args
}

/// Everything but the other shards' selections: `--ignore=FILE` for their
/// whole files (an exact path match), `--deselect=ID` for their other items.
///
/// `--deselect` matches node-id *prefixes*: a class key is given as
/// `file::Class::`, which stops it from taking `file::ClassB` along, but a
/// test id cannot be terminated. When a deselected id is a prefix of one of
/// this shard's own tests (`test_a` elsewhere, `test_ab` here), the
/// catch-all would lose that test, so it is given up (the error says why)
/// and the shard runs only its own items.
fn catch_all_args(ctx: &RenderContext<'_>) -> Result<(Vec<String>, Option<String>), String> {
    let others = ctx.others();
    let mut args: Vec<String> = others
        .groups
        .iter()
        .map(|g| format!("--ignore={g}"))
        .collect();
    let mut own: Vec<&str> = ctx.tests().map(|t| t.native.as_str()).collect();
    own.sort_unstable();
    let mut deselects = 0;
    for item in &others.items {
        let key = item.key;
        let prefix = if item.test.native == key {
            key.to_string()
        } else {
            format!("{key}::")
        };
        let first = own.partition_point(|t| *t < prefix.as_str());
        if let Some(victim) = own.get(first).filter(|t| t.starts_with(&prefix)) {
            return Err(format!(
                "shard {} cannot be the catch-all: pytest's --deselect matches node-id prefixes, \
                 and deselecting `{key}` (on another shard) would also drop `{victim}` (on this \
                 one). This shard runs only its own tests, so a test added since the timings \
                 runs on NO shard; pass --tests-from.",
                ctx.index
            ));
        }
        args.push(format!("--deselect={prefix}"));
        deselects += 1;
    }
    let notice = (deselects > 0).then(|| {
        format!(
            "shard {} is the catch-all: it deselects the other shards' tests with --deselect, \
             which matches node-id prefixes, so a test added since the timings whose id starts \
             with the id of a test on another shard (`test_a` → `test_ab`) is deselected too; \
             --tests-from avoids this",
            ctx.index
        )
    });
    Ok((args, notice))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pytest-split `.test_durations` file.
    const DURATIONS: &str = r#"{
    "tests/test_a.py::TestA::test_b[1-2]": 0.5,
    "tests/test_a.py::test_p[p::q]": 1.25,
    "tests/unit/test_x.py::TestA::TestInner::test_c": 1e-05
}"#;

    #[test]
    fn node_ids_round_trip_through_the_pytest_runner() {
        use crate::report::ReportFormat;
        let report = crate::report::pytest_durations::PytestDurations
            .read(&mut DURATIONS.as_bytes())
            .unwrap();
        let ids: Vec<(String, String, Option<u64>)> = report
            .cases
            .iter()
            .map(|c| {
                let id = Pytest.identify(c).expect("identified");
                (id.native.into(), id.class.into(), c.duration)
            })
            .collect();
        assert_eq!(
            ids,
            [
                (
                    "tests/test_a.py::TestA::test_b[1-2]".to_string(),
                    "tests/test_a.py::TestA".to_string(),
                    Some(500_000)
                ),
                (
                    "tests/test_a.py::test_p[p::q]".to_string(),
                    "tests/test_a.py::test_p[p::q]".to_string(),
                    Some(1_250_000)
                ),
                (
                    "tests/unit/test_x.py::TestA::TestInner::test_c".to_string(),
                    "tests/unit/test_x.py::TestA".to_string(),
                    Some(10)
                ),
            ]
        );
        assert!(
            report
                .cases
                .iter()
                .all(|c| c.dialect == crate::case::Dialect::Pytest)
        );
    }
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{self, id};

    fn case(name: &str, classname: Option<&str>, file: Option<&str>) -> TestCase {
        test_support::case(name, classname, Some("pytest"), file, Dialect::Pytest)
    }

    fn native(name: &str, classname: Option<&str>, file: Option<&str>) -> String {
        Pytest
            .identify(&case(name, classname, file))
            .expect("identified")
            .native
            .to_string()
    }

    #[test]
    fn accepts_pytest_and_generic_only() {
        assert!(Pytest.accepts(Dialect::Pytest));
        assert!(Pytest.accepts(Dialect::Generic));
        assert!(!Pytest.accepts(Dialect::Jest));
        assert!(!Pytest.accepts(Dialect::Surefire));
    }

    #[test]
    fn xunit2_derives_the_path_from_the_classname() {
        // Written by pytest 9.2 with the default junit_family.
        assert_eq!(
            Pytest.identify(&case(
                "test_c",
                Some("tests.unit.test_x.TestA.TestInner"),
                None
            )),
            Some(id(
                "tests/unit/test_x.py::TestA::TestInner::test_c",
                "tests/unit/test_x.py::TestA",
                "tests/unit/test_x.py"
            ))
        );
        assert_eq!(
            Pytest.identify(&case("test_top", Some("tests.test_top"), None)),
            Some(id(
                "tests/test_top.py::test_top",
                "tests/test_top.py::test_top",
                "tests/test_top.py"
            ))
        );
        // test-reporter `python-xunit-pytest.xml`.
        assert_eq!(
            native("test_parameterized[param1]", Some("tests.test_lib"), None),
            "tests/test_lib.py::test_parameterized[param1]"
        );
        // A capitalised first segment is still the module.
        assert_eq!(
            native("test_a", Some("Tests.test_x.TestA"), None),
            "Tests/test_x.py::TestA::test_a"
        );
    }

    #[test]
    fn names_are_kept_verbatim() {
        let cases = [
            ("test_b[1-2]", "tests/unit/test_x.py::TestA::test_b[1-2]"),
            ("test_p[a b]", "tests/unit/test_x.py::TestA::test_p[a b]"),
            (
                r"test_p[\xe9]",
                r"tests/unit/test_x.py::TestA::test_p[\xe9]",
            ),
            (
                r"test_x[\u00e9]",
                r"tests/unit/test_x.py::TestA::test_x[\u00e9]",
            ),
            ("test_p[x[1]]", "tests/unit/test_x.py::TestA::test_p[x[1]]"),
            ("test_p[p::q]", "tests/unit/test_x.py::TestA::test_p[p::q]"),
        ];
        for (name, expected) in cases {
            assert_eq!(
                native(name, Some("tests.unit.test_x.TestA"), None),
                expected
            );
        }
    }

    /// Issue 14 item 4: pytest lists a path with a space as it is; prose
    /// with spaces is still refused.
    #[test]
    fn listing_paths_may_hold_spaces() {
        let ids = Pytest
            .parse_listing("tests/sub/test_sp ace.py::test_a\ntests/sub/test_sp ace.py::TestB::test_c[x y]\n\n2 tests collected in 0.01s\n")
            .unwrap();
        let natives: Vec<&str> = ids.iter().map(|i| i.native.as_str()).collect();
        assert_eq!(
            natives,
            [
                "tests/sub/test_sp ace.py::test_a",
                "tests/sub/test_sp ace.py::TestB::test_c[x y]"
            ]
        );
        assert_eq!(ids[0].file, "tests/sub/test_sp ace.py");
        for prose in ["some words here", "a b.py", "error in x::y"] {
            assert!(Pytest.parse_listing(prose).is_err(), "{prose}");
        }
    }

    #[test]
    fn xunit1_uses_the_file_attribute() {
        // Written by pytest 9.2 with `-o junit_family=xunit1`.
        assert_eq!(
            Pytest.identify(&case(
                "test_c",
                Some("tests.unit.test_x.TestA.TestInner"),
                Some("tests/unit/test_x.py")
            )),
            Some(id(
                "tests/unit/test_x.py::TestA::TestInner::test_c",
                "tests/unit/test_x.py::TestA",
                "tests/unit/test_x.py"
            ))
        );
        assert_eq!(
            native(
                "test_q[1-2]",
                Some("tests.unit.test_x"),
                Some("tests/unit/test_x.py")
            ),
            "tests/unit/test_x.py::test_q[1-2]"
        );
        // A module whose directory has an uppercase segment: the file decides.
        assert_eq!(
            native(
                "test_a",
                Some("src.MyPkg.tests.test_x.TestA"),
                Some("src/MyPkg/tests/test_x.py")
            ),
            "src/MyPkg/tests/test_x.py::TestA::test_a"
        );
        // publish-unit-test-result-action `unsupported-unicode.xml`: file, no classname.
        assert_eq!(
            native("test 2", None, Some("test/test-2.py")),
            "test/test-2.py::test 2"
        );
    }

    #[test]
    fn xunit1_inherited_tests_follow_the_classname() {
        // publish-unit-test-result-action `junit.gloo.elastic.xml`.
        let classname = Some("test.integration.test_elastic_torch.ElasticTorchTests");
        assert_eq!(
            Pytest.identify(&case(
                "test_all_ranks_failure",
                classname,
                Some("test/integration/elastic_common.py")
            )),
            Some(id(
                "test/integration/test_elastic_torch.py::ElasticTorchTests::test_all_ranks_failure",
                "test/integration/test_elastic_torch.py::ElasticTorchTests",
                "test/integration/test_elastic_torch.py"
            ))
        );
        assert_eq!(
            native(
                "test_all_hosts_blacklisted",
                classname,
                Some("test/integration/test_elastic_torch.py")
            ),
            "test/integration/test_elastic_torch.py::ElasticTorchTests::test_all_hosts_blacklisted"
        );
    }

    #[test]
    fn without_classname_or_file_only_node_id_names_count() {
        assert_eq!(
            native("tests/a.py::TestA::test_b[x]", None, None),
            "tests/a.py::TestA::test_b[x]"
        );
        assert_eq!(Pytest.identify(&case("test_my_sum_pos", None, None)), None);
    }

    /// `pytest --collect-only -q` from pytest 9.2.0, with a warning raised at
    /// collection time.
    const COLLECTED: &str = r#"tests/test_top.py::test_top
tests/unit/test_x.py::TestA::test_b
tests/unit/test_x.py::TestA::TestInner::test_c
tests/unit/test_x.py::test_p[a b]
tests/unit/test_x.py::test_p[\xe9]
tests/unit/test_x.py::test_p[x[1]]
tests/unit/test_x.py::test_p[p::q]
tests/unit/test_x.py::test_p[1.5]
tests/unit/test_x.py::test_q[1-2]

=============================== warnings summary ===============================
tests/unit/test_x.py:14
  /tmp/sp_py/tests/unit/test_x.py:14: UserWarning: collect-time warning
    warnings.warn(UserWarning("collect-time warning"))

-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html
9 tests collected in 0.01s
"#;

    #[test]
    fn listing_reads_collect_only_output() {
        let ids = Pytest.parse_listing(COLLECTED).expect("parses");
        assert_eq!(ids.len(), 9);
        assert_eq!(
            ids[0],
            id(
                "tests/test_top.py::test_top",
                "tests/test_top.py::test_top",
                "tests/test_top.py"
            )
        );
        assert_eq!(
            ids[2],
            id(
                "tests/unit/test_x.py::TestA::TestInner::test_c",
                "tests/unit/test_x.py::TestA",
                "tests/unit/test_x.py"
            )
        );
        assert_eq!(
            ids[5],
            id(
                "tests/unit/test_x.py::test_p[x[1]]",
                "tests/unit/test_x.py::test_p[x[1]]",
                "tests/unit/test_x.py"
            )
        );
        assert_eq!(ids[6].native, "tests/unit/test_x.py::test_p[p::q]");
        assert_eq!(ids[6].class, ids[6].native);
    }

    #[test]
    fn class_keys_do_not_overlap() {
        // `file::TestA` would also select `file::TestA::TestInner`, and the
        // file every class in it: neither may be a key beside the other.
        let ids = Pytest.parse_listing(COLLECTED).expect("parses");
        let mut keys: Vec<&str> = ids.iter().map(|id| id.class.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for a in &keys {
            for b in &keys {
                assert!(
                    a == b || !b.starts_with(&format!("{a}::")),
                    "{a} selects {b}"
                );
                assert!(
                    a == b || *b != a.split("::").next().unwrap_or(""),
                    "{b} selects {a}"
                );
            }
        }
    }

    #[test]
    fn listing_and_report_agree() {
        let listed = Pytest.parse_listing(COLLECTED).expect("parses");
        let reported = [
            case(r"test_p[\xe9]", Some("tests.unit.test_x"), None),
            case(
                "test_c",
                Some("tests.unit.test_x.TestA.TestInner"),
                Some("tests/unit/test_x.py"),
            ),
        ];
        for case in &reported {
            let id = Pytest.identify(case).expect("identified");
            assert!(listed.contains(&id), "{id:?}");
        }
    }

    #[test]
    fn listing_skips_summaries_and_stops_at_sections() {
        let text = "tests/test_top.py::test_top\n\n1/9 tests collected (8 deselected) in 0.01s\n";
        assert_eq!(Pytest.parse_listing(text).map(|ids| ids.len()), Ok(1));
        let text = "\n=== warnings summary ===\ntests/x.py:14\nno tests collected (9 deselected) in 0.01s\n";
        assert_eq!(Pytest.parse_listing(text), Ok(vec![]));
        let errors = "tests/test_top.py::test_top\n\n==================================== ERRORS \
                      ====================================\n____ ERROR collecting tests/test_err.py ____\n\
                      E   SyntaxError: invalid syntax\n!!!! Interrupted: 1 error during collection !!!!\n\
                      9 tests collected, 1 error in 0.30s\n";
        assert_eq!(Pytest.parse_listing(errors).map(|ids| ids.len()), Ok(1));
        assert_eq!(Pytest.parse_listing("no tests ran in 0.01s\n"), Ok(vec![]));
    }

    #[test]
    fn listing_normalises_paths_and_accepts_files() {
        let ids = Pytest
            .parse_listing("./tests/a.py::test_x\ntests/b.py\n")
            .expect("parses");
        assert_eq!(
            ids[0],
            id("tests/a.py::test_x", "tests/a.py::test_x", "tests/a.py")
        );
        assert_eq!(ids[1], id("tests/b.py", "tests/b.py", "tests/b.py"));
    }

    #[test]
    fn listing_rejects_what_is_not_a_node_id() {
        // `--collect-only` without `-q` prints a tree.
        let err = Pytest
            .parse_listing("tests/a.py::test_x\n<Module test_x.py>\n")
            .unwrap_err();
        assert_eq!(err.line, 2);
        // `-qq` prints counts per file.
        assert_eq!(
            Pytest
                .parse_listing("tests/test_x.py: 9\n")
                .unwrap_err()
                .line,
            1
        );
        assert_eq!(Pytest.parse_listing("::test_x\n").unwrap_err().line, 1);
        assert_eq!(Pytest.parse_listing("tests/a.py::\n").unwrap_err().line, 1);
    }

    #[test]
    fn xunit2_guesses_match_the_listing_by_dotted_key() {
        // A directory with a capital letter: the classname split guesses
        // the module ends at `tests`, but both ids share one dotted key.
        let recorded = Pytest
            .identify(&case("test_a", Some("tests.MyPkg.test_x.TestA"), None))
            .expect("identified");
        assert_eq!(recorded.native, "tests.py::MyPkg::test_x::TestA::test_a");
        let listed = Pytest
            .parse_listing("tests/MyPkg/test_x.py::TestA::test_a[p::q]\n")
            .expect("parses");
        assert_eq!(
            Pytest.match_keys(&listed[0]),
            ["tests.MyPkg.test_x.TestA::test_a[p::q]"]
        );
        assert_eq!(
            Pytest.match_keys(&recorded),
            ["tests.MyPkg.test_x.TestA::test_a"]
        );
        // A lower-case class is taken for a module, and matched all the same.
        let recorded = Pytest
            .identify(&case("test_b", Some("tests.test_y.lower_case"), None))
            .expect("identified");
        let listed = Pytest
            .parse_listing("tests/test_y.py::lower_case::test_b\n")
            .expect("parses");
        assert_ne!(recorded.native, listed[0].native);
        assert_eq!(Pytest.match_keys(&recorded), Pytest.match_keys(&listed[0]));
        // A bare file has no key.
        assert_eq!(
            Pytest.match_keys(&listed_file("tests/b.py")),
            Vec::<String>::new()
        );
    }

    fn listed_file(path: &str) -> TestId {
        Pytest.parse_listing(path).expect("parses").remove(0)
    }

    fn node(native: &str) -> TestId {
        parse_node_id(native).expect("a node id")
    }

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![
                node("tests/unit/test_x.py::TestA::test_b"),
                node("tests/unit/test_x.py::test_p[a b]"),
                node(r"tests/unit/test_x.py::test_p[\xe9]"),
                node("tests/whole.py::test_1"),
                node("tests/whole.py::TestW::test_2"),
            ],
            vec![
                node("tests/unit/test_x.py::test_p[it's]"),
                node("tests/unit/test_x.py::TestA::test_c"),
                node("tests/other.py::test_o"),
            ],
        ])
    }

    #[test]
    fn renders_whole_files_and_node_ids_unquoted() {
        let r = fixture().render(&Pytest, Granularity::Test, 0, None);
        assert_eq!(
            r.arg_lines(),
            [
                "tests/unit/test_x.py::TestA::test_b",
                r"tests/unit/test_x.py::test_p[\xe9]",
                "tests/unit/test_x.py::test_p[a b]",
                "tests/whole.py",
            ]
        );
        assert_eq!(
            r.output.commands(&[]).expect("runs")[0][..3],
            ["python3", "-m", "pytest"]
        );
        let by_class = Fixture::new(vec![
            vec![
                node("t.py::TestA::test_1"),
                node("t.py::TestA::Inner::test_2"),
            ],
            vec![node("t.py::test_f[1]"), node("u.py::test_u")],
        ]);
        assert_eq!(
            by_class
                .render(&Pytest, Granularity::Class, 0, None)
                .arg_lines(),
            ["t.py::TestA"]
        );
        assert_eq!(
            by_class
                .render(&Pytest, Granularity::Class, 1, None)
                .arg_lines(),
            ["t.py::test_f[1]", "u.py"]
        );
    }

    #[test]
    fn catch_all_ignores_whole_files_and_deselects_the_rest() {
        let r = fixture().render(&Pytest, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.arg_lines(),
            [
                "--ignore=tests/whole.py",
                "--deselect=tests/unit/test_x.py::TestA::test_b",
                r"--deselect=tests/unit/test_x.py::test_p[\xe9]",
                "--deselect=tests/unit/test_x.py::test_p[a b]",
            ]
        );
        assert!(r.notices[0].contains("prefixes"), "{:?}", r.notices);
        // A class key is deselected with its `::`, so `TestAB` stays.
        let f = Fixture::new(vec![
            vec![node("t.py::TestA::test_1")],
            vec![node("t.py::TestAB::test_2")],
        ]);
        assert_eq!(
            f.render(&Pytest, Granularity::Class, 1, Some(1))
                .arg_lines(),
            ["--deselect=t.py::TestA::"]
        );
    }

    #[test]
    fn a_deselect_prefix_of_an_own_test_gives_the_catch_all_up() {
        let f = Fixture::new(vec![
            vec![node("t.py::test_a")],
            vec![node("t.py::test_ab")],
        ]);
        let r = f.render(&Pytest, Granularity::Test, 1, Some(1));
        assert_eq!(r.arg_lines(), ["t.py::test_ab"]);
        assert!(
            r.warnings[0].contains("would also drop `t.py::test_ab`"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn long_selections_go_to_an_args_file() {
        let r = fixture()
            .forced()
            .render(&Pytest, Granularity::Test, 1, None);
        assert_eq!(r.arg_lines(), ["@/tmp/shard.list"]);
        assert_eq!(
            r.files[0].1,
            "tests/other.py\ntests/unit/test_x.py::TestA::test_c\ntests/unit/test_x.py::test_p[it's]\n"
        );
    }

    #[test]
    fn empty_shard_collects_only() {
        let f = Fixture::new(vec![vec![node("t.py::test_a")], vec![]]);
        let r = f.render(&Pytest, Granularity::Test, 1, None);
        assert_eq!(r.arg_lines(), ["--collect-only", "-q"]);
        assert!(r.notices[0].contains("shard 1 has nothing to run"));
    }

    #[test]
    fn ids_written_in_a_shared_scope_are_the_ids_named_alone() {
        // Runs of one class, classes within a file, a module-level test
        // (its own class), a node id as the name, a dotted classname
        // without file, and a class seen again after another.
        let cases = [
            case(
                "test_a",
                Some("tests.test_x.TestA"),
                Some("tests/test_x.py"),
            ),
            case(
                "test_b",
                Some("tests.test_x.TestA"),
                Some("tests/test_x.py"),
            ),
            case(
                "test_c",
                Some("tests.test_x.TestA.Inner"),
                Some("tests/test_x.py"),
            ),
            case("test_d", Some("tests.test_x"), Some("tests/test_x.py")),
            case("test_e", Some("tests.test_x"), Some("tests/test_x.py")),
            case("tests/test_y.py::TestB::test_f", None, None),
            case("tests/test_y.py::test_g", None, None),
            case("test_h", Some("tests.test_z.TestC"), None),
            case(
                "test_i",
                Some("tests.test_x.TestA"),
                Some("./tests/test_x.py"),
            ),
            case("tests/test_y.py", None, None),
        ];
        test_support::assert_ids_in_a_shared_scope(&Pytest, &cases);
    }
}
