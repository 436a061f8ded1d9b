//! Frozen plans: the files that carry one plan between CI jobs, so that
//! every job (and every rerun of a job) runs its share of the same plan.
//!
//! * The **plan document** is what `--json` prints and `shardplan plan`
//!   writes: everything the plan is, and everything `select` needs to print
//!   any shard for the runner without reading timings again. `--previous`
//!   reads the same document.
//! * A **shard record** (`shardplan-shard.json`) is what `select --record
//!   DIR` leaves beside a shard's result reports: which plan and which shard
//!   they come from, for `verify`.
//!
//! # Plan document, format version 1
//!
//! One line of JSON. The keys up to `shards[].tests` are the original
//! version-1 keys; `catch_all`, `suite` and `shards[].members` were added
//! without changing any of them, so a reader of the first version-1
//! documents reads these too. `select`, `matrix` and `verify` need
//! `members`, and refuse a document without them by name.
//!
//! ```json
//! {"version":1,"fingerprint":"f3af8ef1f1593d86","total_seconds":3.373,"lower_bound_seconds":0.84325,
//!  "makespan_seconds":0.845,"ratio_to_lower_bound":1.0021,"gap":0.002075,"lower_bound_reason":"total/N",
//!  "shard_overhead_seconds":0.0,"setup_seconds":0.0,"runner":"pytest","by":"file","algorithm":"best",
//!  "tests_planned":20,"tests_with_timings":20,"catch_all":3,"suite":"timings",
//!  "shards":[{"index":0,"predicted_seconds":0.845,"setup_seconds":0.0,"test_count":5,
//!    "tests":["tests/test_parsing.py"],
//!    "members":[{"id":"tests/test_parsing.py::test_parse_empty","class":"tests/test_parsing.py","file":"tests/test_parsing.py"}]}]}
//! ```
//!
//! * `tests`: the shard's items as the runner names them (test ids, or
//!   classes/files with `--by class|file`).
//! * `members`: every planned test of those items, sorted by id, with the
//!   runner's `class` and `file` for it; `by` only where the item holding
//!   the test has another granularity than the plan's `by` (a test of a
//!   class or file that `--split-large` split).
//! * `catch_all`: the shard that also runs every test not in the plan, or
//!   `null`. `suite`: `tests-from` when the planned tests are the runner's
//!   listing, `timings` when they are the tests the timings knew.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::{self, BufRead, Read, Seek};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::case::{Recent, Text, TextBlock};
use crate::duration::{
    Instant, Micros, format_timestamp, micros_to_seconds, parse_timestamp, seconds_to_micros,
};
use crate::emit::{Granularity, Member, RunnerKind, TestId};
use crate::error::{Error, Result};
use crate::learned::{CostModel, GroupRange, Term, TermSource};
use crate::options::PlanOptions;
use crate::pipeline::{Churn, Planned};
use crate::plan::Algorithm;
use crate::report::json;
use crate::report::json_scan::{self, Bail, JsonStr, Scanner};

/// The plan document's format version.
pub const VERSION: u32 = 1;

/// Where the planned tests came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuiteSource {
    /// The runner's listing (`--tests-from`): exactly the suite as it is.
    TestsFrom,
    /// The tests the timings knew: tests deleted since may be in it.
    Timings,
}

/// The whole plan, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// [`VERSION`].
    pub version: u32,
    /// Hash of everything the plan depends on.
    pub fingerprint: String,
    /// Sum of the items' durations, without setups.
    pub total_seconds: f64,
    /// No plan can finish before this.
    pub lower_bound_seconds: f64,
    /// The slowest shard's prediction.
    pub makespan_seconds: f64,
    /// `makespan / bound`, to 4 decimals.
    pub ratio_to_lower_bound: f64,
    /// `makespan / bound - 1`: how far above optimal the plan can be.
    pub gap: f64,
    /// Which argument gives the bound (`total/N`, `largest item`, …).
    pub lower_bound_reason: String,
    /// Fixed cost of every shard, included in every prediction.
    pub shard_overhead_seconds: f64,
    /// Group setups paid over all shards, included in the predictions.
    pub setup_seconds: f64,
    /// Whose names and filters.
    pub runner: RunnerKind,
    /// What was placed on shards.
    pub by: Granularity,
    /// How it was packed.
    pub algorithm: Algorithm,
    /// Tests planned.
    pub tests_planned: usize,
    /// Of those, tests with measured durations.
    pub tests_with_timings: usize,
    /// With `--previous`: items kept from it, moved, and the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churn: Option<Churn>,
    /// The shard that also runs every test not in the plan.
    #[serde(default)]
    pub catch_all: Option<usize>,
    /// Where the planned tests came from; absent in the first documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<SuiteSource>,
    /// The cost model's terms and where each came from; absent in the
    /// first documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_model: Option<CostModelDoc>,
    /// Every shard, by index.
    pub shards: Vec<ShardDoc>,
}

/// The cost model of a [`Document`]: `{"shard_startup": {"seconds": 0.41,
/// "source": "learned", "runs": 2}, "group_cost": {"seconds": 0.0, "source":
/// "default"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostModelDoc {
    /// Paid once by every shard: the plan's shard overhead.
    pub shard_startup: TermDoc,
    /// Paid once per group a shard touches, beyond its measured setup.
    pub group_cost: TermDoc,
    /// Tests running at once, when given or learned: `{"factor": 1.85,
    /// "source": "learned", "runs": 1}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<ConcurrencyDoc>,
    /// `true` when the start-up is paid per group, not per shard: the
    /// runner starts once per group (cargo). Absent when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub start_up_per_group: bool,
    /// When the start-up and per-group cost were learned from shards of
    /// one size, whose division of the overhead is a guess: the fewest and
    /// most groups those shards held. Absent when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_from_shards_of_one_size: Option<GroupRange>,
}

/// The concurrency of a [`CostModelDoc`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConcurrencyDoc {
    /// Tests running at once on average.
    pub factor: f64,
    /// `learned` or `given`.
    pub source: String,
    /// When learned: from how many runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

/// One term of a [`CostModelDoc`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermDoc {
    /// The term.
    pub seconds: f64,
    /// `learned` (from the timing history), `given` (on the command line)
    /// or `default` (0).
    pub source: String,
    /// When learned: from how many runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

impl From<Term> for TermDoc {
    fn from(term: Term) -> TermDoc {
        let (source, runs) = match term.source {
            TermSource::Learned(runs) => ("learned", Some(runs)),
            TermSource::Given => ("given", None),
            TermSource::Default => ("default", None),
        };
        TermDoc {
            seconds: micros_to_seconds(term.micros),
            source: source.to_string(),
            runs,
        }
    }
}

impl From<CostModel> for CostModelDoc {
    fn from(model: CostModel) -> CostModelDoc {
        let concurrency = (!model.concurrency.is_default()).then(|| {
            let (source, runs) = match model.concurrency.source {
                TermSource::Learned(runs) => ("learned", Some(runs)),
                TermSource::Given => ("given", None),
                TermSource::Default => ("default", None),
            };
            ConcurrencyDoc {
                factor: model.concurrency.value.0 as f64 / 1000.0,
                source: source.to_string(),
                runs,
            }
        });
        CostModelDoc {
            shard_startup: model.shard_startup.into(),
            group_cost: model.group_cost.into(),
            concurrency,
            start_up_per_group: model.startup_per_group,
            learned_from_shards_of_one_size: model.one_size,
        }
    }
}

/// One shard of a [`Document`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardDoc {
    /// The shard's index, 0-based.
    pub index: usize,
    /// Predicted duration: overhead, items and group setups.
    pub predicted_seconds: f64,
    /// The part of the prediction that is group setup.
    pub setup_seconds: f64,
    /// Tests on the shard.
    pub test_count: usize,
    /// The shard's items as the runner names them.
    #[serde(deserialize_with = "packed_texts")]
    pub tests: Vec<Text>,
    /// Every planned test of those items; absent in the first documents.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "packed_members"
    )]
    pub members: Option<Vec<MemberDoc>>,
    /// The shard's groups longest first, for a runner that starts groups
    /// in the order its command names them (go); absent for others, and in
    /// documents written before it was kept (key order then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_first: Option<Vec<String>>,
    /// The group (a go package, a test file) whose tests, one after another
    /// in one of the runner's workers, set `predicted_seconds` rather than
    /// the shard's share of its workers' time ([`crate::plan::Chains`]);
    /// absent when the share is the longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_chain: Option<String>,
}

/// One planned test of a shard. Its parts are shared text: a plan lends
/// its own ids, and a document read back packs them into blocks as it
/// reads them, so that a million members are not three million strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberDoc {
    /// The runner's id for the test.
    pub id: Text,
    /// Its class as the runner selects it.
    pub class: Text,
    /// Its file (group) as the runner selects it.
    pub file: Text,
    /// The granularity of the item holding it, where not the plan's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Granularity>,
}

/// [`MemberDoc`] as the document spells it, by the same name (serde's
/// errors name the type they expected).
mod spelled {
    use super::{Cow, Deserialize, Granularity};

    /// One member's strings, borrowed from the document where they can be.
    #[derive(Deserialize)]
    pub(super) struct MemberDoc<'a> {
        #[serde(borrow)]
        pub id: Cow<'a, str>,
        #[serde(borrow)]
        pub class: Cow<'a, str>,
        #[serde(borrow)]
        pub file: Cow<'a, str>,
        #[serde(default)]
        pub by: Option<Granularity>,
    }
}

/// Reads a shard's `members` (or `null`): the ids written into shared
/// blocks as they come, and each class and file shared with the member
/// before it when the same, as members of one class or file come together.
fn packed_members<'de, D: Deserializer<'de>>(
    input: D,
) -> std::result::Result<Option<Vec<MemberDoc>>, D::Error> {
    struct Members;
    impl<'de> serde::de::Visitor<'de> for Members {
        type Value = Option<Vec<MemberDoc>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            input: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            input.deserialize_seq(self)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut members = MemberPacker::default();
            while let Some(member) = seq.next_element::<spelled::MemberDoc<'_>>()? {
                members.push(member);
            }
            Ok(Some(members.finish()))
        }
    }
    input.deserialize_option(Members)
}

/// Reads a shard's `tests` (its items' keys), written into shared blocks
/// as they come.
fn packed_texts<'de, D: Deserializer<'de>>(input: D) -> std::result::Result<Vec<Text>, D::Error> {
    struct Texts;
    impl<'de> serde::de::Visitor<'de> for Texts {
        type Value = Vec<Text>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut texts = TextPacker::default();
            while let Some(text) = seq.next_element::<Cow<'_, str>>()? {
                texts.push(&text);
            }
            Ok(texts.finish())
        }
    }
    input.deserialize_seq(Texts)
}

impl Document {
    /// The plan document in `input` read fast ([`FrozenPlan::load`] tries
    /// it first), or `None` where the whole text must be parsed instead:
    /// when it is `Some`, it is what `serde_json` parses from the text.
    pub fn read_fast(input: &mut dyn BufRead) -> Option<Document> {
        read_fast(input).ok()
    }
}

/// The plan document in `input`, read a value at a time ([`json_scan`]):
/// the shards' `tests` and `members` an entry at a time, everything else
/// gathered into small objects that serde reads as ever. The same
/// document as `serde_json::from_reader` gives, or [`Bail`] on anything
/// unusual (a repeated key, a BOM, which the document parser refuses),
/// for the whole text to be parsed with its errors placed.
fn read_fast(input: &mut dyn BufRead) -> std::result::Result<Document, Bail> {
    if input.fill_buf().map_err(|_| Bail)?.starts_with(json::BOM) {
        return Err(Bail);
    }
    let mut scanner = Scanner::new(input)?;
    let mut head = Gathered::default();
    let mut shards = None;
    scanner.object(|scanner, key| {
        head.key(&key)?;
        match key.as_str() {
            "shards" => {
                let mut read = Vec::new();
                scanner.array(|scanner| {
                    read.push(read_shard(scanner)?);
                    Ok(())
                })?;
                shards = Some(read);
                Ok(())
            }
            _ => head.value(scanner, &key),
        }
    })?;
    scanner.end()?;
    let mut doc: Document = head.parse(&[("shards", "[]")])?;
    doc.shards = shards.ok_or(Bail)?;
    Ok(doc)
}

/// One shard of a plan document, for [`read_fast`]: its `tests` and
/// `members` as [`packed_texts`] and [`packed_members`] read them.
fn read_shard(scanner: &mut Scanner<'_>) -> std::result::Result<ShardDoc, Bail> {
    let mut small = Gathered::default();
    let (mut tests, mut members) = (None, None);
    scanner.object(|scanner, key| {
        small.key(&key)?;
        match key.as_str() {
            "tests" => {
                let mut texts = TextPacker::default();
                scanner.array(|scanner| {
                    scanner.with_value(|bytes, _| {
                        texts.push(&json_scan::parse::<JsonStr>(bytes)?.0);
                        Ok(())
                    })
                })?;
                tests = Some(texts.finish());
                Ok(())
            }
            "members" if scanner.peek()? == Some(b'n') => {
                scanner.value::<()>()?;
                members = Some(None);
                Ok(())
            }
            "members" => {
                let known = tests.as_deref().unwrap_or_default();
                let mut read = MemberPacker::sharing(known);
                scanner.each_object(|bytes, _| {
                    read.push(json_scan::parse(bytes)?);
                    Ok(())
                })?;
                members = Some(Some(read.finish()));
                Ok(())
            }
            _ => small.value(scanner, &key),
        }
    })?;
    // Left out, a required `tests` is serde's to miss.
    let stand_ins: &[(&str, &str)] = if tests.is_some() {
        &[("tests", "[]")]
    } else {
        &[]
    };
    let mut shard: ShardDoc = small.parse(stand_ins)?;
    shard.tests = tests.unwrap_or_default();
    shard.members = members.unwrap_or_default();
    Ok(shard)
}

/// An object's small values gathered, as JSON, while [`read_fast`] reads
/// its large ones itself.
#[derive(Default)]
struct Gathered {
    json: Vec<u8>,
    keys: HashSet<String>,
}

impl Gathered {
    /// Notes `key`; a key seen before is [`Bail`] (serde refuses it in a
    /// struct, by name).
    fn key(&mut self, key: &str) -> std::result::Result<(), Bail> {
        if self.keys.insert(key.to_string()) {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Writes `"key":`, after a `{` or a `,`.
    fn open_key(&mut self, key: &str) -> std::result::Result<(), Bail> {
        self.json
            .push(if self.json.is_empty() { b'{' } else { b',' });
        serde_json::to_writer(&mut self.json, key).map_err(|_| Bail)?;
        self.json.push(b':');
        Ok(())
    }

    /// Gathers the value of `key` that comes next.
    fn value(&mut self, scanner: &mut Scanner<'_>, key: &str) -> std::result::Result<(), Bail> {
        self.open_key(key)?;
        scanner.with_value(|bytes, _| {
            self.json.extend_from_slice(bytes);
            Ok(())
        })
    }

    /// The gathered object, with `stand_ins` (key, JSON value) for the
    /// values read apart, as a `T`.
    fn parse<T: for<'de> Deserialize<'de>>(
        mut self,
        stand_ins: &[(&str, &str)],
    ) -> std::result::Result<T, Bail> {
        for (key, value) in stand_ins {
            self.open_key(key)?;
            self.json.extend_from_slice(value.as_bytes());
        }
        if self.json.is_empty() {
            self.json.push(b'{');
        }
        self.json.push(b'}');
        json_scan::parse(&self.json)
    }
}

/// Texts written into shared blocks as they come ([`packed_texts`]).
#[derive(Default)]
struct TextPacker {
    texts: Vec<Text>,
    block: TextBlock,
}

impl TextPacker {
    /// Writes the next text.
    fn push(&mut self, text: &str) {
        self.block.push(text);
        if self.block.is_full() {
            self.texts.extend(self.block.finish());
        }
    }

    /// The texts written, in order.
    fn finish(mut self) -> Vec<Text> {
        self.texts.extend(self.block.finish());
        self.texts
    }
}

/// Members as they are read ([`packed_members`]): their ids written into
/// shared blocks, and each class and file shared with the member before
/// it when the same, as members of one class or file come together. An id
/// that is the next of `known` (the shard's items, read before: in a plan
/// by test, the members themselves, in the same order) shares its text.
#[derive(Default)]
struct MemberPacker<'k> {
    members: Vec<MemberDoc>,
    natives: TextBlock,
    classes: Recent,
    files: Recent,
    /// The id of a member whose id waits in `natives`.
    placeholder: Text,
    known: &'k [Text],
    /// The next of `known` to look for.
    next: usize,
}

impl<'k> MemberPacker<'k> {
    /// A packer that shares the text of `known` ids (see the type).
    fn sharing(known: &'k [Text]) -> Self {
        MemberPacker {
            known,
            ..MemberPacker::default()
        }
    }

    /// Keeps the next member; its id waits in `natives` for its block,
    /// unless it is the next known one.
    fn push(&mut self, member: spelled::MemberDoc<'_>) {
        let known = self
            .known
            .get(self.next)
            .filter(|known| known.as_str() == member.id);
        let id = match known {
            Some(known) => {
                self.next += 1;
                // The ids waiting go to the members before this one.
                pack(&mut self.natives, &mut self.members);
                known.clone()
            }
            None => {
                self.natives.push(&member.id);
                self.placeholder.clone()
            }
        };
        self.members.push(MemberDoc {
            id,
            class: self.classes.share(&member.class),
            file: self.files.share(&member.file),
            by: member.by,
        });
        if self.natives.is_full() {
            pack(&mut self.natives, &mut self.members);
        }
    }

    /// The members kept, in order, each with its id.
    fn finish(mut self) -> Vec<MemberDoc> {
        pack(&mut self.natives, &mut self.members);
        self.members
    }
}

/// Hands the ids written to `natives` to the last members, one each, in
/// order.
fn pack(natives: &mut TextBlock, members: &mut [MemberDoc]) {
    let start = members.len() - natives.len();
    for (member, native) in members[start..].iter_mut().zip(natives.finish()) {
        member.id = native;
    }
}

impl Document {
    /// The document of a plan made with `options`, its catch-all as
    /// [`crate::shard::catch_all`] decides it.
    pub fn from_planned(planned: &Planned, options: &PlanOptions) -> Document {
        let catch_all = crate::shard::catch_all(planned, options);
        let plan = &planned.plan;
        let bound = plan.lower_bound();
        let ratio = plan.ratio_to(bound);
        let members = crate::shard::members(planned);
        let mut longest_first =
            crate::shard::longest_first(planned, options.runner.runner().as_ref()).into_iter();
        Document {
            version: VERSION,
            fingerprint: planned.fingerprint.clone(),
            total_seconds: micros_to_seconds(plan.total()),
            lower_bound_seconds: micros_to_seconds(bound.value),
            makespan_seconds: micros_to_seconds(plan.makespan()),
            ratio_to_lower_bound: (ratio * 10_000.0).round() / 10_000.0,
            gap: ((ratio - 1.0) * 1_000_000.0).round() / 1_000_000.0,
            lower_bound_reason: bound.reason.describe().to_string(),
            shard_overhead_seconds: micros_to_seconds(plan.problem.shard_overhead),
            setup_seconds: micros_to_seconds(plan.setup_paid()),
            runner: options.runner,
            by: options.by,
            algorithm: options.algorithm,
            tests_planned: planned.suite.tests.len(),
            tests_with_timings: planned.suite.measured(),
            churn: planned.churn,
            catch_all,
            suite: Some(if options.tests_from.is_some() {
                SuiteSource::TestsFrom
            } else {
                SuiteSource::Timings
            }),
            cost_model: Some(planned.cost_model.into()),
            shards: plan
                .shards
                .iter()
                .zip(&members)
                .enumerate()
                .map(|(index, (shard, members))| ShardDoc {
                    index,
                    predicted_seconds: micros_to_seconds(shard.load),
                    setup_seconds: micros_to_seconds(shard.setup),
                    longest_chain: shard
                        .chain
                        .map(|group| plan.problem.groups[group].key.clone()),
                    test_count: shard
                        .items
                        .iter()
                        .map(|&i| plan.problem.tests_in(i) as usize)
                        .sum(),
                    tests: plan.key_texts(index),
                    members: Some(
                        members
                            .iter()
                            .map(|m| MemberDoc {
                                id: m.test.native.clone(),
                                class: m.test.class.clone(),
                                file: m.test.file.clone(),
                                by: (m.by != options.by).then_some(m.by),
                            })
                            .collect(),
                    ),
                    longest_first: longest_first
                        .next()
                        .map(|groups| groups.into_iter().map(str::to_string).collect()),
                })
                .collect(),
        }
    }

    /// The document as one line of JSON, newline-terminated.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string(self).expect("the plan document always serialises");
        text.push('\n');
        text
    }

    /// [`Document::to_json`] written to `out` as it is made: a million
    /// tests' plan is 160 MB of text, not held at once.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        serde_json::to_writer(&mut out, self).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Each shard's prediction in microseconds.
    pub fn predicted(&self) -> Vec<Micros> {
        self.shards
            .iter()
            .map(|s| seconds_to_micros(s.predicted_seconds).unwrap_or(0))
            .collect()
    }
}

/// A plan document read back for `select`, `matrix` and `verify`, checked
/// to place every planned test on exactly one shard.
#[derive(Debug, Clone)]
pub struct FrozenPlan {
    /// The file it was read from.
    pub path: PathBuf,
    /// The document.
    pub doc: Document,
    /// Per shard, its planned tests and the granularity of their items.
    tests: Vec<Vec<(TestId, Granularity)>>,
}

impl FrozenPlan {
    /// Reads and checks the plan at `path`; errors name the file and, for
    /// malformed JSON, the line and column.
    pub fn load(path: &Path) -> Result<FrozenPlan> {
        let cannot_read = |e: io::Error| Error::in_file(path, format!("cannot read the plan: {e}"));
        let mut file = fs::File::open(path).map_err(cannot_read)?;
        // A million tests' plan is 160 MB: read a piece at a time when the
        // fast reader can; anything it is not sure of is parsed whole. Only
        // a regular file is read twice; anything else (a pipe) is read once,
        // through this same handle.
        if file.metadata().is_ok_and(|m| m.is_file()) {
            let fast = Document::read_fast(&mut io::BufReader::with_capacity(1 << 16, &file));
            if let Some(doc) = fast {
                return FrozenPlan::from_document(doc, path)
                    .map_err(|message| Error::in_file(path, message));
            }
            file.rewind().map_err(cannot_read)?;
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(cannot_read)?;
        // Parsed from memory, which is quicker than from the file and
        // places errors as ever; a million tests' plan is 160 MB of text,
        // let go of as soon as its (compact) document is made.
        let parsed: serde_json::Result<Document> = serde_json::from_str(&text);
        drop(text);
        let doc = parsed.map_err(|e| {
            let message = e.to_string();
            // serde_json appends the position; the error prints it first.
            let message = match message.rfind(" at line ") {
                Some(cut) if e.line() > 0 => message[..cut].to_string(),
                _ => message,
            };
            let error = Error::in_file(
                path,
                format!("not a plan written by `shardplan plan` or --json: {message}"),
            );
            if e.line() > 0 {
                error.at(e.line() as u64, e.column() as u64)
            } else {
                error
            }
        })?;
        FrozenPlan::from_document(doc, path).map_err(|message| Error::in_file(path, message))
    }

    /// Checks a document: its version, shard indexes, members, and that
    /// every planned test is on exactly one shard, in one of its items.
    /// The members are then moved out of the document into the plan
    /// ([`FrozenPlan::members`]), which leaves each shard's `members` an
    /// empty list: a million of them are not held twice.
    pub fn from_document(
        mut doc: Document,
        path: &Path,
    ) -> std::result::Result<FrozenPlan, String> {
        check_document(&doc)?;
        let mut tests = Vec::with_capacity(doc.shards.len());
        for shard in &mut doc.shards {
            let members = shard.members.replace(Vec::new()).unwrap_or_default();
            let mut ids: Vec<(TestId, Granularity)> = members
                .into_iter()
                .map(|member| {
                    let id = TestId {
                        native: member.id,
                        class: member.class,
                        file: member.file,
                    };
                    (id, member.by.unwrap_or(doc.by))
                })
                .collect();
            ids.sort_by(|a, b| a.0.native.cmp(&b.0.native));
            tests.push(ids);
        }
        Ok(FrozenPlan {
            path: path.to_path_buf(),
            doc,
            tests,
        })
    }

    /// Every shard's planned tests, sorted by id, for rendering.
    pub fn members(&self) -> Vec<Vec<Member<'_>>> {
        self.tests
            .iter()
            .map(|shard| {
                shard
                    .iter()
                    .map(|(test, by)| Member {
                        test: test.as_ref(),
                        by: *by,
                    })
                    .collect()
            })
            .collect()
    }

    /// The number of shards.
    pub fn count(&self) -> usize {
        self.tests.len()
    }

    /// Per shard, its groups longest first as the plan kept them (see
    /// [`ShardDoc::longest_first`]); empty when it kept none.
    pub fn longest_first(&self) -> Vec<Vec<&str>> {
        if self.doc.shards.iter().all(|s| s.longest_first.is_none()) {
            return Vec::new();
        }
        self.doc
            .shards
            .iter()
            .map(|s| {
                s.longest_first
                    .iter()
                    .flatten()
                    .map(String::as_str)
                    .collect()
            })
            .collect()
    }
}

/// [`FrozenPlan::from_document`]'s checks, in document order, so that the
/// first fault found is the one named.
fn check_document(doc: &Document) -> std::result::Result<(), String> {
    if doc.version != VERSION {
        return Err(format!(
            "plan format version {} is not supported (this shardplan reads version {VERSION})",
            doc.version
        ));
    }
    if doc.shards.is_empty() {
        return Err("the plan has no shards".to_string());
    }
    if let Some(catch_all) = doc.catch_all.filter(|&c| c >= doc.shards.len()) {
        return Err(format!(
            "catch_all is shard {catch_all}, but the plan has {} shards",
            doc.shards.len()
        ));
    }
    let member_count = doc
        .shards
        .iter()
        .map(|shard| shard.members.as_ref().map_or(0, Vec::len))
        .sum();
    let mut shard_of: HashMap<&str, usize> = HashMap::with_capacity(member_count);
    for (position, shard) in doc.shards.iter().enumerate() {
        if shard.index != position {
            return Err(format!(
                "shard number {position} in the list says \"index\": {}; shards must be listed in order from 0",
                shard.index
            ));
        }
        let Some(members) = &shard.members else {
            return Err(format!(
                "shard {position} has no \"members\": the plan was written by an older shardplan; write it again with `shardplan plan`"
            ));
        };
        // Each item of the shard, and whether a member is of it.
        let mut used: HashMap<&str, bool> = HashMap::with_capacity(shard.tests.len());
        for item in &shard.tests {
            used.insert(item.as_str(), false);
        }
        for member in members {
            if let Some(other) = shard_of.insert(member.id.as_str(), position) {
                return Err(format!(
                    "test {:?} is on shards {other} and {position}; a plan places every test on exactly one shard",
                    member.id
                ));
            }
            let key = match member.by.unwrap_or(doc.by) {
                Granularity::Test => &member.id,
                Granularity::Class => &member.class,
                Granularity::File => &member.file,
            };
            let Some(item_used) = used.get_mut(key.as_str()) else {
                return Err(format!(
                    "test {:?} of shard {position} belongs to item {key:?}, which is not among the shard's \"tests\"",
                    member.id
                ));
            };
            *item_used = true;
        }
        // The first by name, whatever order the map holds them in.
        let empty = used
            .iter()
            .filter(|(_, used)| !**used)
            .map(|(item, _)| item)
            .min();
        if let Some(empty) = empty {
            return Err(format!(
                "item {empty:?} of shard {position} has no test among its \"members\""
            ));
        }
    }
    Ok(())
}

/// The name of the shard record `select --record DIR` writes.
pub const RECORD_FILE: &str = "shardplan-shard.json";

/// The value of a shard record's `format` key.
const RECORD_FORMAT: &str = "shardplan-shard";

/// Which plan and shard a directory of result reports comes from:
/// `{"format":"shardplan-shard","version":1,"fingerprint":"…","index":1,"shards":4,"runner":"pytest","started":"2026-12-06T05:39:02.123456Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Always `shardplan-shard`.
    pub format: String,
    /// Always 1.
    pub version: u32,
    /// The plan's fingerprint.
    pub fingerprint: String,
    /// The shard, 0-based.
    pub index: usize,
    /// The plan's shard count.
    pub shards: usize,
    /// The plan's runner.
    pub runner: RunnerKind,
    /// When `select --record` ran, RFC 3339 in UTC with microseconds: the
    /// shard's start, from which `merge` learns its wall time (see
    /// [`crate::costs`]). Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// How many times the shard starts its runner (go's split packages
    /// take several `go test` commands), each paying the start-up: `merge`
    /// learns the start-up per launch from it; 0 for a rerun with nothing
    /// to rerun. Absent (one) in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launches: Option<u64>,
    /// When the runner `select --exec` started exited, RFC 3339 in UTC
    /// with microseconds: the shard's end, the runner's exit after its
    /// last report included (which no report shows). Absent when
    /// `select` did not run the runner itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// What the plan predicted the shard would take, in seconds (its
    /// `predicted_seconds`): `merge` says how far the shard's wall time
    /// was from it. Absent for a rerun of failed tests, which the plan
    /// did not predict, and in records written before it was kept.
    #[serde(
        rename = "predicted_seconds",
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_seconds"
    )]
    pub predicted: Option<Micros>,
}

/// An optional duration kept as seconds in JSON, as plan documents keep
/// theirs, and as whole microseconds in memory.
mod optional_seconds {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::duration::{Micros, micros_to_seconds, seconds_to_micros};

    pub fn serialize<S: Serializer>(value: &Option<Micros>, out: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(micros) => out.serialize_f64(micros_to_seconds(*micros)),
            None => out.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Option<Micros>, D::Error> {
        match Option::<f64>::deserialize(input)? {
            None => Ok(None),
            Some(seconds) => seconds_to_micros(seconds).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "predicted_seconds is {seconds}, not a duration in seconds"
                ))
            }),
        }
    }
}

impl ShardRecord {
    /// The record of shard `index` of `plan`.
    pub fn new(plan: &Document, index: usize) -> ShardRecord {
        ShardRecord {
            format: RECORD_FORMAT.to_string(),
            version: 1,
            fingerprint: plan.fingerprint.clone(),
            index,
            shards: plan.shards.len(),
            runner: plan.runner,
            started: None,
            launches: None,
            finished: None,
            predicted: None,
        }
    }

    /// The same record, saying the plan predicted the shard would take
    /// `predicted`.
    pub fn predicting(self, predicted: Micros) -> ShardRecord {
        ShardRecord {
            predicted: Some(predicted),
            ..self
        }
    }

    /// The same record, saying the shard starts its runner `launches`
    /// times.
    pub fn launching(self, launches: u64) -> ShardRecord {
        ShardRecord {
            launches: Some(launches),
            ..self
        }
    }

    /// How many times the shard starts its runner: one unless recorded.
    pub fn launch_count(&self) -> u64 {
        self.launches.unwrap_or(1)
    }

    /// The same record, saying the shard started at `at`.
    pub fn started_at(self, at: Instant) -> ShardRecord {
        ShardRecord {
            started: Some(format_timestamp(at)),
            ..self
        }
    }

    /// When the shard started, if the record says.
    pub fn start(&self) -> Option<Instant> {
        self.started.as_deref().and_then(parse_timestamp)
    }

    /// The same record, saying the shard's runner exited at `at`.
    pub fn finished_at(self, at: Instant) -> ShardRecord {
        ShardRecord {
            finished: Some(format_timestamp(at)),
            ..self
        }
    }

    /// When the shard's runner exited, if the record says.
    pub fn finish(&self) -> Option<Instant> {
        self.finished.as_deref().and_then(parse_timestamp)
    }

    /// Writes the record into `dir` (created if missing); returns its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        fs::create_dir_all(dir).map_err(|e| {
            Error::in_file(dir, format!("cannot create the --record directory: {e}"))
        })?;
        let path = dir.join(RECORD_FILE);
        let mut text = serde_json::to_string(self).expect("a shard record always serialises");
        text.push('\n');
        fs::write(&path, text)
            .map_err(|e| Error::in_file(&path, format!("cannot write the shard record: {e}")))?;
        Ok(path)
    }

    /// Reads the record at `path`.
    pub fn read(path: &Path) -> Result<ShardRecord> {
        let text = fs::read_to_string(path)
            .map_err(|e| Error::in_file(path, format!("cannot read the shard record: {e}")))?;
        let record: ShardRecord = serde_json::from_str(&text).map_err(|e| {
            Error::in_file(
                path,
                format!("not a shard record written by `shardplan select --record`: {e}"),
            )
        })?;
        if record.format != RECORD_FORMAT || record.version != 1 {
            return Err(Error::in_file(
                path,
                format!(
                    "not a shard record this shardplan reads (format {:?}, version {})",
                    record.format, record.version
                ),
            ));
        }
        // A stamp `merge` cannot read would quietly turn the shard into an
        // older record without a wall time; say so instead.
        for (key, stamp) in [("started", &record.started), ("finished", &record.finished)] {
            if let Some(raw) = stamp
                && parse_timestamp(raw).is_none()
            {
                return Err(Error::in_file(
                    path,
                    format!(
                        "`{key}` is {raw:?}, not an RFC 3339 time such as \
                             2026-12-06T05:39:02.123456Z; rewrite the record with \
                             `shardplan select --record` or delete the key"
                    ),
                ));
            }
        }
        Ok(record)
    }
}

/// The shard record in `file`'s directory or the nearest one above it
/// (for a relative path, up to the current directory), read once per
/// directory.
pub fn record_for(
    file: &Path,
    cache: &mut BTreeMap<PathBuf, Option<(PathBuf, ShardRecord)>>,
) -> Result<Option<(PathBuf, ShardRecord)>> {
    let mut visited = Vec::new();
    let mut found = None;
    let mut dir = file.parent();
    while let Some(current) = dir {
        if let Some(known) = cache.get(current) {
            found = known.clone();
            break;
        }
        visited.push(current.to_path_buf());
        let candidate = current.join(RECORD_FILE);
        if candidate.is_file() {
            found = Some((candidate.clone(), ShardRecord::read(&candidate)?));
            break;
        }
        dir = current.parent();
    }
    for dir in visited {
        cache.insert(dir, found.clone());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, file: &str) -> MemberDoc {
        MemberDoc {
            id: id.into(),
            class: file.into(),
            file: file.into(),
            by: None,
        }
    }

    fn doc(by: Granularity, shards: Vec<(Vec<&str>, Vec<MemberDoc>)>) -> Document {
        Document {
            version: VERSION,
            fingerprint: "0123456789abcdef".to_string(),
            total_seconds: 2.0,
            lower_bound_seconds: 1.0,
            makespan_seconds: 1.0,
            ratio_to_lower_bound: 1.0,
            gap: 0.0,
            lower_bound_reason: "total/N".to_string(),
            shard_overhead_seconds: 0.0,
            setup_seconds: 0.0,
            runner: RunnerKind::Pytest,
            by,
            algorithm: Algorithm::Best,
            tests_planned: 3,
            tests_with_timings: 3,
            churn: None,
            catch_all: None,
            suite: Some(SuiteSource::Timings),
            cost_model: None,
            shards: shards
                .into_iter()
                .enumerate()
                .map(|(index, (tests, members))| ShardDoc {
                    index,
                    predicted_seconds: 1.0,
                    setup_seconds: 0.0,
                    test_count: members.len(),
                    tests: tests.into_iter().map(Text::from).collect(),
                    members: Some(members),
                    longest_first: None,
                    longest_chain: None,
                })
                .collect(),
        }
    }

    fn check(doc: Document) -> std::result::Result<FrozenPlan, String> {
        FrozenPlan::from_document(doc, Path::new("plan.json"))
    }

    #[test]
    fn a_document_round_trips_and_renders_members() {
        let d = doc(
            Granularity::File,
            vec![
                (
                    vec!["a.py"],
                    vec![member("a.py::y", "a.py"), member("a.py::x", "a.py")],
                ),
                (vec!["b.py"], vec![member("b.py::z", "b.py")]),
            ],
        );
        let back: Document = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(back, d);
        let frozen = check(back).unwrap();
        let members = frozen.members();
        let natives: Vec<&str> = members[0].iter().map(|m| m.test.native.as_str()).collect();
        assert_eq!(natives, ["a.py::x", "a.py::y"]);
        assert!(members[0].iter().all(|m| m.by == Granularity::File));
        assert_eq!(frozen.count(), 2);
    }

    /// What the fast reader and serde's whole-text parse make of `text`,
    /// and whether the fast reader read it itself.
    fn both_readers(text: &str) -> (serde_json::Result<Document>, Option<Document>) {
        let whole = serde_json::from_str(text);
        let fast = read_fast(&mut text.as_bytes()).ok();
        (whole, fast)
    }

    /// A document with a bit of everything: ids that need escapes, more
    /// members than a text block holds, members left out and `null`.
    fn varied_doc() -> Document {
        let many: Vec<MemberDoc> = (0..11_000)
            // 297 KB of ids: more than one text block (256 KiB).
            .map(|i| member(&format!("t.py::test_{i:08}_padding"), "t.py"))
            .collect();
        let mut d = doc(
            Granularity::Test,
            vec![
                (
                    vec!["a.py::x[\"q\" \\ é]", "a.py::y"],
                    vec![
                        member("a.py::x[\"q\" \\ é]", "a.py"),
                        member("a.py::y", "a.py"),
                    ],
                ),
                (Vec::new(), Vec::new()),
                (vec!["t.py::many"], many),
                (vec!["c.py::z"], vec![member("c.py::z", "c.py")]),
            ],
        );
        d.shards[3].members = None;
        d.shards[1].longest_first = Some(vec!["g1".to_string(), "g\u{1}".to_string()]);
        d.catch_all = Some(3);
        d.cost_model = Some(CostModelDoc {
            shard_startup: TermDoc {
                seconds: 0.25,
                source: "given".to_string(),
                runs: None,
            },
            group_cost: TermDoc {
                seconds: 0.0,
                source: "learned".to_string(),
                runs: Some(3),
            },
            concurrency: None,
            start_up_per_group: true,
            learned_from_shards_of_one_size: Some(GroupRange {
                fewest_groups: 9,
                most_groups: 11,
            }),
        });
        d
    }

    #[test]
    fn members_that_are_items_and_members_that_are_not_keep_their_ids() {
        // Items that are tests (shared by the members that are them), a
        // file, and members in between that are no item.
        let d = doc(
            Granularity::Test,
            vec![(
                vec!["a.py::t1", "a.py::t2", "b.py", "c.py::t9"],
                vec![
                    member("0.py::first", "0.py"),
                    member("a.py::t1", "a.py"),
                    member("a.py::between", "a.py"),
                    member("a.py::t2", "a.py"),
                    member("b.py::x", "b.py"),
                    member("b.py::y", "b.py"),
                    member("c.py::t9", "c.py"),
                ],
            )],
        );
        let fast = Document::read_fast(&mut d.to_json().as_bytes()).unwrap();
        assert_eq!(fast, d);
        let ids: Vec<&str> = fast.shards[0]
            .members
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "0.py::first",
                "a.py::t1",
                "a.py::between",
                "a.py::t2",
                "b.py::x",
                "b.py::y",
                "c.py::t9"
            ]
        );
    }

    #[test]
    fn the_fast_reader_reads_a_document_as_serde_does() {
        let d = varied_doc();
        let text = d.to_json();
        let (whole, fast) = both_readers(&text);
        assert_eq!(whole.unwrap(), d);
        assert_eq!(fast, Some(d.clone()));
        let shard_2 = &fast.unwrap().shards[2];
        let natives: Vec<&str> = shard_2.members.as_ref().unwrap()[..2]
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(
            natives,
            ["t.py::test_00000000_padding", "t.py::test_00000001_padding"]
        );
    }

    #[test]
    fn odd_documents_read_the_same_either_way_or_are_left_to_serde() {
        let text = varied_doc().to_json();
        let read_fast_too = [
            text.replace(",\"", ",\n  \""),
            text.replacen("\"members\":[]", "\"members\":null", 1),
            text.replacen(
                "{\"version\"",
                "{\"later\":{\"a\":[1,{\"b\":null}]},\"version\"",
                1,
            ),
            text.replacen("{\"index\":1", "{\"extra\":true,\"index\":1", 1),
            text.replacen("\"a.py::y\"", "\"a.py::\\u0079\"", 2),
        ];
        for (n, document) in read_fast_too.iter().enumerate() {
            assert_ne!(*document, text, "document {n} is the document");
            let (whole, fast) = both_readers(document);
            assert!(fast.is_some(), "document {n}: {:?}", whole.err());
            assert!(fast == whole.ok(), "document {n}");
            // Values straddling the reader's buffers.
            for capacity in [3, 5, 64] {
                let mut buffered = io::BufReader::with_capacity(capacity, document.as_bytes());
                let read = Document::read_fast(&mut buffered);
                assert!(read == fast, "document {n}, buffer {capacity}");
            }
        }
        let left_to_serde = [
            format!("\u{feff}{text}"),
            text.replacen("\"version\":1", "\"version\":1,\"version\":1", 1),
            text.replacen("\"index\":1", "\"index\":1,\"index\":1", 1),
            text.replacen("\"tests\":[\"c.py::z\"]", "\"tests\":[7]", 1),
            text.replacen(",\"tests\":[\"c.py::z\"]", "", 1),
            text.replacen(",\"shards\":[", ",\"shards_\":[", 1),
            text.replacen("\"file\":\"a.py\"", "\"file\":3", 1),
            text.replacen("\"members\":[]", "\"members\":nul", 1),
            text[..text.len() / 2].to_string(),
            format!("{} x", text.trim_end()),
            text.replacen("\"runner\":\"pytest\"", "\"runner\":\"nope\"", 1),
        ];
        for (n, document) in left_to_serde.iter().enumerate() {
            assert_ne!(*document, text, "document {n} is the document");
            let (whole, fast) = both_readers(document);
            assert!(fast.is_none(), "document {n}");
            if n > 0 {
                assert!(whole.is_err(), "document {n}");
            }
        }
    }

    #[test]
    fn a_plan_the_fast_reader_leaves_is_loaded_whole_and_bad_bytes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let d = doc(
            Granularity::File,
            vec![
                (vec!["a.py"], vec![member("a.py::y", "a.py")]),
                (vec!["b.py"], vec![member("b.py::z", "b.py")]),
            ],
        );
        let text = d.to_json();
        let expected = check(d).unwrap();
        // Nested deeper than the fast reader goes: parsed whole.
        let deep = json_scan::nested_past_the_scanner(&text);
        assert!(Document::read_fast(&mut deep.as_bytes()).is_none());
        fs::write(&path, &deep).unwrap();
        let loaded = FrozenPlan::load(&path).unwrap();
        assert_eq!((loaded.doc, loaded.tests), (expected.doc, expected.tests));
        // Not UTF-8 where serde would skip it: refused, as it always was.
        let mut bad = b"{\"later\":\"\xff\xfe\",".to_vec();
        bad.extend_from_slice(&text.as_bytes()[1..]);
        assert!(Document::read_fast(&mut &bad[..]).is_none());
        fs::write(&path, &bad).unwrap();
        let e = FrozenPlan::load(&path).unwrap_err();
        assert!(e.to_string().contains("valid UTF-8"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_plan_from_a_named_pipe_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.fifo");
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIP a_plan_from_a_named_pipe_is_read_once: no mkfifo");
            return;
        }
        let d = doc(
            Granularity::File,
            vec![(vec!["a.py"], vec![member("a.py::y", "a.py")])],
        );
        let text = d.to_json();
        let expected = check(d).unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || fs::write(path, text).unwrap())
        };
        let loaded = FrozenPlan::load(&path).unwrap();
        writer.join().unwrap();
        assert_eq!((loaded.doc, loaded.tests), (expected.doc, expected.tests));
    }

    #[test]
    fn members_read_back_across_text_blocks_and_null() {
        // 20,000 ids of 22 bytes fill more than one text block.
        let members: Vec<MemberDoc> = (0..20_000)
            .map(|i| MemberDoc {
                by: (i % 7 == 0).then_some(Granularity::Test),
                ..member(
                    &format!("f{}.py::test_{i:07}", i / 100),
                    &format!("f{}.py", i / 100),
                )
            })
            .collect();
        let keys: Vec<String> = (0..200).map(|f| format!("f{f}.py")).collect();
        let d = doc(
            Granularity::File,
            vec![(keys.iter().map(String::as_str).collect(), members)],
        );
        let back: Document = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(back, d);
        // A shard's `members` may be null, as an old document without them.
        let text = d
            .to_json()
            .replacen("\"members\":[", "\"members\":null,\"was\":[", 1);
        let old: Document = serde_json::from_str(&text).unwrap();
        assert_eq!(old.shards[0].members, None);
    }

    #[test]
    fn inconsistent_documents_are_refused_by_name() {
        let twice = doc(
            Granularity::Test,
            vec![
                (vec!["a.py::x"], vec![member("a.py::x", "a.py")]),
                (vec!["a.py::x"], vec![member("a.py::x", "a.py")]),
            ],
        );
        assert_eq!(
            check(twice).unwrap_err(),
            "test \"a.py::x\" is on shards 0 and 1; a plan places every test on exactly one shard"
        );
        let stray = doc(
            Granularity::Test,
            vec![(vec!["a.py::x"], vec![member("a.py::y", "a.py")])],
        );
        assert!(
            check(stray)
                .unwrap_err()
                .contains("belongs to item \"a.py::y\"")
        );
        let empty_item = doc(
            Granularity::File,
            vec![(vec!["a.py", "b.py"], vec![member("a.py::x", "a.py")])],
        );
        assert!(
            check(empty_item)
                .unwrap_err()
                .contains("item \"b.py\" of shard 0")
        );
        let mut old = doc(Granularity::Test, vec![(vec![], vec![])]);
        old.shards[0].members = None;
        assert!(check(old).unwrap_err().contains("has no \"members\""));
        let mut newer = doc(Granularity::Test, vec![(vec![], vec![])]);
        newer.version = 2;
        assert!(
            check(newer)
                .unwrap_err()
                .contains("version 2 is not supported")
        );
        let mut bad_catch_all = doc(Granularity::Test, vec![(vec![], vec![])]);
        bad_catch_all.catch_all = Some(1);
        assert!(
            check(bad_catch_all)
                .unwrap_err()
                .contains("catch_all is shard 1")
        );
    }

    #[test]
    fn malformed_plans_are_named_with_their_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        fs::write(&path, "{\"version\": 1,\n \"runner\": 7}").unwrap();
        let e = FrozenPlan::load(&path).unwrap_err();
        assert_eq!(e.path.as_deref(), Some(path.as_path()));
        assert_eq!(e.position.map(|p| p.0), Some(2));
        assert!(
            e.message.starts_with("not a plan written by"),
            "{}",
            e.message
        );
        assert!(!e.message.contains(" at line "), "{}", e.message);
    }

    #[test]
    fn shard_records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let d = doc(Granularity::Test, vec![(vec![], vec![]), (vec![], vec![])]);
        let record = ShardRecord::new(&d, 1);
        let path = record.write(&dir.path().join("out")).unwrap();
        assert_eq!(path.file_name().unwrap(), RECORD_FILE);
        assert_eq!(ShardRecord::read(&path).unwrap(), record);
        fs::write(&path, "{\"format\":\"x\",\"version\":1,\"fingerprint\":\"f\",\"index\":0,\"shards\":1,\"runner\":\"go\"}").unwrap();
        assert!(
            ShardRecord::read(&path)
                .unwrap_err()
                .message
                .contains("format \"x\"")
        );
    }

    #[test]
    fn a_record_keeps_what_the_plan_predicted_in_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let d = doc(Granularity::Test, vec![(vec![], vec![])]);
        let record = ShardRecord::new(&d, 0).predicting(3_810_000);
        let path = record.write(dir.path()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""predicted_seconds":3.81"#), "{text}");
        assert_eq!(ShardRecord::read(&path).unwrap(), record);
        fs::write(&path, text.replace("3.81", "-1")).unwrap();
        let message = ShardRecord::read(&path).unwrap_err().to_string();
        assert!(
            message.contains("predicted_seconds is -1, not a duration in seconds"),
            "{message}"
        );
    }

    #[test]
    fn a_stamp_merge_cannot_read_is_an_error_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let d = doc(Granularity::Test, vec![(vec![], vec![])]);
        let path = ShardRecord::new(&d, 0)
            .started_at(1_000_000)
            .write(dir.path())
            .unwrap();
        assert!(ShardRecord::read(&path).unwrap().start().is_some());
        let written = fs::read_to_string(&path).unwrap();
        for (key, value) in [
            ("started", "yesterday"),
            ("finished", "2026-13-01T00:00:00Z"),
        ] {
            let mut record: serde_json::Value = serde_json::from_str(&written).unwrap();
            record[key] = serde_json::Value::from(value);
            fs::write(&path, record.to_string()).unwrap();
            let message = ShardRecord::read(&path).unwrap_err().to_string();
            assert!(
                message.contains(&format!("`{key}` is \"{value}\""))
                    && message.contains(RECORD_FILE),
                "{message}"
            );
        }
    }
}
