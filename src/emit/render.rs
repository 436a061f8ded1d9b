//! The render side of a runner: what a runner is told about a shard
//! ([`RenderContext`]) and what it hands back ([`Rendered`]).
//!
//! # Exactly once
//!
//! Every shard computes the same plan, so every shard can compute what every
//! other shard selects. Two rules keep each test on exactly one shard:
//!
//! * **Whole groups.** A group (a [`crate::naming::TestId::file`]: a pytest file, a go
//!   package, a nextest binary, a JVM class) whose every planned test is on
//!   one shard is selected whole there ([`Selection::groups`]), by the
//!   runner's compact form (`tests/a.py`, `go test ./pkg`, `binary_id(=…)`).
//!   No other shard selects anything of that group, so a test of the group
//!   that is not in the plan (new since the timings) runs there and only
//!   there. With `--tests-from` the listing is taken to be the whole suite:
//!   a group whole in the listing is whole in the repository.
//! * **The catch-all.** With `--catch-all` (the default without
//!   `--tests-from`), one shard — the last one that has planned items, so it
//!   never runs empty — selects *everything except what the other shards
//!   select*: the negation of the union of their [`Selection`]s, whole groups
//!   included. It therefore runs its own items and every test the plan does
//!   not know, and never one that another shard runs. A runner that cannot
//!   negate says so with [`RenderContext::cannot_catch_all`].

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Granularity, TestRef};
use crate::case::Text;
use crate::plan;
use crate::timing::Suite;

/// Longest command line (program and arguments, joined by spaces) printed
/// as is. Windows stops at 32,767 characters, GNU `xargs` splits input
/// beyond 128 KiB into several runs (which would break a catch-all), and
/// Linux refuses any single argument of 128 KiB (`formats.md` §12); above
/// this a runner writes its selection to a file or splits it into several
/// commands.
pub const SAFE_COMMAND_BYTES: usize = 30_000;

/// Linux refuses a single argument of `MAX_ARG_STRLEN` = 131,072 bytes or
/// more (including its NUL); a runner never prints one that long.
pub const MAX_ARGUMENT_BYTES: usize = 131_071;

/// A planned test, and the granularity of the item that holds it: the
/// plan's `--by`, or single tests where `--split-large` split a class or
/// file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// The test.
    pub test: TestRef<'a>,
    /// What its item selects.
    pub by: Granularity,
}

impl<'a> Member<'a> {
    /// The key of the item holding the test.
    pub fn key(&self) -> &'a str {
        self.test.key(self.by)
    }
}

/// One item of a shard: its key (a [`crate::naming::TestId::key`]), what the key selects,
/// and one of its tests (for its group, and for runners that need more than
/// the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// The item's key.
    pub key: &'a str,
    /// What the key selects.
    pub by: Granularity,
    /// One of the item's tests.
    pub test: TestRef<'a>,
}

/// The planned tests of every shard, by shard index, each sorted by native
/// id: given as [`Member`]s, or as a plan's test indexes, whose members are
/// made as they are walked. Printing one shard of a million-test plan then
/// holds no members (32 bytes a test) for the shards it does not print.
#[derive(Debug, Clone, Copy)]
pub struct Shards<'a>(Layout<'a>);

#[derive(Debug, Clone, Copy)]
enum Layout<'a> {
    Members(&'a [Vec<Member<'a>>]),
    Planned(Planned<'a>),
}

/// A plan's tests and the items that hold them.
#[derive(Debug, Clone, Copy)]
struct Planned<'a> {
    suite: &'a Suite,
    items: &'a [plan::Item],
    /// The item of each test; empty where test `i` is item `i`.
    item_of_test: &'a [usize],
    /// Per shard, its tests' indexes in native id order.
    shards: &'a [&'a [usize]],
}

impl<'a> Planned<'a> {
    fn member(&self, test: usize) -> Member<'a> {
        let item = self.item_of_test.get(test).copied().unwrap_or(test);
        Member {
            test: self.suite.id(test),
            by: self.items[item].granularity,
        }
    }
}

impl<'a> Shards<'a> {
    /// Shards given as their members.
    pub fn new(members: &'a [Vec<Member<'a>>]) -> Shards<'a> {
        Shards(Layout::Members(members))
    }

    /// The shards of a plan of `suite`'s tests: `shards` holds each shard's test indexes in order, `items` the
    /// plan's items and `item_of_test` the item of each test (empty where
    /// test `i` is item `i`, [`plan::Problem::item_of_test`]).
    pub fn planned(
        suite: &'a Suite,
        items: &'a [plan::Item],
        item_of_test: &'a [usize],
        shards: &'a [&'a [usize]],
    ) -> Shards<'a> {
        Shards(Layout::Planned(Planned {
            suite,
            items,
            item_of_test,
            shards,
        }))
    }

    /// The number of shards.
    pub fn len(&self) -> usize {
        match self.0 {
            Layout::Members(members) => members.len(),
            Layout::Planned(planned) => planned.shards.len(),
        }
    }

    /// Whether there are no shards.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The planned tests of shard `shard`, sorted by native id.
    pub fn members(&self, shard: usize) -> Members<'a> {
        Members(match self.0 {
            Layout::Members(members) => Walk::Members(members[shard].iter()),
            Layout::Planned(planned) => Walk::Planned(planned, planned.shards[shard].iter()),
        })
    }

    /// Every shard's planned tests, by shard index.
    pub fn iter(&self) -> impl Iterator<Item = Members<'a>> + use<'a> {
        let shards = *self;
        (0..shards.len()).map(move |shard| shards.members(shard))
    }
}

/// One shard's planned tests ([`Shards::members`]), in native id order.
#[derive(Debug, Clone)]
pub struct Members<'a>(Walk<'a>);

#[derive(Debug, Clone)]
enum Walk<'a> {
    Members(std::slice::Iter<'a, Member<'a>>),
    Planned(Planned<'a>, std::slice::Iter<'a, usize>),
}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match &mut self.0 {
            Walk::Members(members) => members.next().copied(),
            Walk::Planned(planned, tests) => tests.next().map(|&t| planned.member(t)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.len();
        (len, Some(len))
    }
}

impl ExactSizeIterator for Members<'_> {
    fn len(&self) -> usize {
        match &self.0 {
            Walk::Members(members) => members.len(),
            Walk::Planned(_, tests) => tests.len(),
        }
    }
}

/// Everything a runner needs to print one shard.
#[derive(Debug, Clone)]
pub struct RenderContext<'a> {
    /// The shard to print, 0-based.
    pub index: usize,
    /// The planned tests of every shard, by shard index, each sorted by
    /// native id. All shards, so that a catch-all can negate the others.
    pub shards: Shards<'a>,
    /// The shard that also runs every test not in the plan, if any.
    pub catch_all: Option<usize>,
    /// Where the runner's file form goes when it writes one.
    pub list_file: &'a ListFile,
    /// Per shard, its groups longest first, for a runner that
    /// [starts groups in order](super::Runner::starts_groups_in_order);
    /// empty (key order) when the plan does not say.
    pub longest_first: &'a [Vec<&'a str>],
}

/// A shard's groups ranked longest first ([`RenderContext::start_order`]);
/// empty when the plan ranks none.
#[derive(Debug, Clone, Default)]
pub struct StartOrder<'a>(Option<HashMap<&'a str, usize>>);

impl StartOrder<'_> {
    /// Sorts `groups` (in key order) longest first; groups the plan does
    /// not rank keep their order after those it does.
    pub fn sort(&self, groups: &mut [&str]) {
        if let Some(rank) = &self.0 {
            groups.sort_by_key(|g| rank.get(g).copied().unwrap_or(usize::MAX));
        }
    }
}

/// The file a runner writes its selection to when the command line would be
/// too long (or always, with `--list-file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFile {
    /// Where to write it.
    pub path: PathBuf,
    /// Whether `--list-file` asked for it, so the file form is used even for
    /// a short selection.
    pub forced: bool,
}

impl ListFile {
    /// The path to write: `--list-file` as given, else the automatic path
    /// with `extension` (a jest filter module must end in `.js`).
    pub fn path_for(&self, extension: &str) -> PathBuf {
        if self.forced {
            self.path.clone()
        } else {
            self.path.with_extension(extension)
        }
    }
}

/// What a shard selects: whole groups, and single items outside them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection<'a> {
    /// Groups ([`crate::naming::TestId::file`]) selected whole, sorted.
    pub groups: Vec<&'a str>,
    /// Items of groups that are split across shards, sorted by key.
    pub items: Vec<Item<'a>>,
}

impl Selection<'_> {
    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.items.is_empty()
    }
}

impl<'a> RenderContext<'a> {
    /// The number of shards.
    pub fn count(&self) -> usize {
        self.shards.len()
    }

    /// This shard's planned tests, sorted by native id.
    pub fn tests(&self) -> impl Iterator<Item = TestRef<'a>> + use<'a> {
        self.shards.members(self.index).map(|m| m.test)
    }

    /// Whether this shard has nothing planned.
    pub fn is_empty(&self) -> bool {
        self.shards.members(self.index).len() == 0
    }

    /// This shard's groups ranked longest first, as the plan predicted
    /// them: built once, to sort each of the shard's commands.
    pub fn start_order(&self) -> StartOrder<'a> {
        self.start_order_of(self.index)
    }

    /// [`RenderContext::start_order`] of shard `shard`.
    pub fn start_order_of(&self, shard: usize) -> StartOrder<'a> {
        StartOrder(
            self.longest_first
                .get(shard)
                .filter(|order| !order.is_empty())
                .map(|order| order.iter().enumerate().map(|(r, &g)| (g, r)).collect()),
        )
    }

    /// Whether this shard is the catch-all.
    pub fn is_catch_all(&self) -> bool {
        self.catch_all == Some(self.index)
    }

    /// This shard's items, sorted by key, each once.
    pub fn items(&self) -> Vec<Item<'a>> {
        self.items_of(self.index)
    }

    /// The items of shard `shard`, for runners without a compact group form
    /// (their catch-all then negates exactly these).
    pub fn items_of(&self, shard: usize) -> Vec<Item<'a>> {
        keyed(self.shards.members(shard))
    }

    /// The items of every shard but this one, sorted by key.
    pub fn other_items(&self) -> Vec<Item<'a>> {
        let mut items: Vec<Item<'a>> = (0..self.count())
            .filter(|&s| s != self.index)
            .flat_map(|s| self.items_of(s))
            .collect();
        items.sort_by(|a, b| (a.key, a.by).cmp(&(b.key, b.by)));
        items
    }

    /// Every planned test (of any shard) that belongs to one of `items`,
    /// sorted by native id: how a runner that cannot select a class or file
    /// exactly lists it test by test.
    pub fn tests_of(&self, items: &[Item<'a>]) -> Vec<TestRef<'a>> {
        let wanted: std::collections::BTreeSet<(&str, Granularity)> =
            items.iter().map(|i| (i.key, i.by)).collect();
        let mut tests: Vec<TestRef<'a>> = self
            .shards
            .iter()
            .flatten()
            .filter(|m| wanted.contains(&(m.key(), m.by)))
            .map(|m| m.test)
            .collect();
        tests.sort_unstable_by(|a, b| a.native.cmp(b.native));
        tests.dedup_by(|a, b| a.native == b.native);
        tests
    }

    /// The native ids of [`RenderContext::tests_of`] `items`: for a runner
    /// whose filter names every test one by one.
    pub fn natives_of(&self, items: &[Item<'a>]) -> Vec<&'a str> {
        self.tests_of(items)
            .iter()
            .map(|t| t.native.as_str())
            .collect()
    }

    /// What shard `shard` selects, by the whole-group rule in the module
    /// docs.
    pub fn selection(&self, shard: usize) -> Selection<'a> {
        self.selection_in(shard, &self.whole_groups())
    }

    /// What every shard selects, by shard index: [`Self::selection`] for all
    /// of them, walking the plan once for the group map.
    pub fn selections(&self) -> Vec<Selection<'a>> {
        let whole = self.whole_groups();
        (0..self.count())
            .map(|shard| self.selection_in(shard, &whole))
            .collect()
    }

    /// [`Self::selection`] with the group map computed once by the caller:
    /// building it walks every planned test, so a loop over shards must not
    /// rebuild it per shard.
    fn selection_in(&self, shard: usize, whole: &HashMap<&'a str, Option<usize>>) -> Selection<'a> {
        let mut selection = Selection::default();
        // The group just looked up and whether it is whole here: a group's
        // members come together, and are looked up once.
        let mut last: Option<(&Text, bool)> = None;
        for item in keyed(self.shards.members(shard)) {
            let file = item.test.file;
            let group = file.as_str();
            let is_whole = match last {
                Some((seen, is_whole)) if Text::ptr_eq(seen, file) => is_whole,
                _ => whole.get(group) == Some(&Some(shard)),
            };
            last = Some((file, is_whole));
            if is_whole {
                if selection.groups.last() != Some(&group) {
                    selection.groups.push(group);
                }
            } else {
                selection.items.push(item);
            }
        }
        selection.groups.sort_unstable();
        selection.groups.dedup();
        selection
    }

    /// The union of what every shard but this one selects: what the
    /// catch-all must exclude, exactly.
    pub fn others(&self) -> Selection<'a> {
        let mut union = Selection::default();
        for (shard, selection) in self.selections().into_iter().enumerate() {
            if shard == self.index {
                continue;
            }
            union.groups.extend(selection.groups);
            union.items.extend(selection.items);
        }
        union.groups.sort_unstable();
        union
            .items
            .sort_unstable_by(|a, b| (a.key, a.by).cmp(&(b.key, b.by)));
        union
    }

    /// Every group the plan knows, sorted.
    pub fn all_groups(&self) -> Vec<&'a str> {
        let mut groups: Vec<&str> = self
            .shards
            .iter()
            .flatten()
            .map(|m| m.test.file.as_str())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// For each group, the one shard holding all its tests, or `None` when
    /// the group is split.
    fn whole_groups(&self) -> HashMap<&'a str, Option<usize>> {
        let mut groups: HashMap<&str, Option<usize>> = HashMap::new();
        // A group's tests come together on a shard: a member of the group
        // and shard just seen changes nothing, and is not hashed (a
        // million members were a million file names hashed).
        let mut last: Option<(&Text, usize)> = None;
        for (shard, tests) in self.shards.iter().enumerate() {
            for member in tests {
                let file = member.test.file;
                if last.is_some_and(|(seen, at)| at == shard && Text::ptr_eq(seen, file)) {
                    continue;
                }
                last = Some((file, shard));
                groups
                    .entry(member.test.file.as_str())
                    .and_modify(|s| {
                        if *s != Some(shard) {
                            *s = None;
                        }
                    })
                    .or_insert(Some(shard));
            }
        }
        groups
    }

    /// Whether the file form is to be used for a command line of `bytes`.
    pub fn wants_file(&self, bytes: usize) -> bool {
        self.list_file.forced || bytes > SAFE_COMMAND_BYTES
    }

    /// The notice for a runner that cannot express "everything but": tests
    /// new since the timings run on no shard.
    /// `who` is what cannot (`--runner plain`, `--template`).
    pub fn cannot_catch_all(&self, who: &str, why: &str) -> String {
        format!(
            "{who} cannot select \"every test but these\" ({why}), so shard {} \
             cannot be the catch-all: a test added since the timings were recorded runs on \
             NO shard. Pass the current test list with --tests-from.",
            self.index
        )
    }

    /// The notice for a selection over the safe length that the runner
    /// cannot move to a file.
    pub fn too_long_notice(&self, runner: &str, bytes: usize) -> String {
        format!(
            "shard {}'s command line is {bytes} bytes: more than Windows accepts (32,767 \
             characters) and more than one `xargs` run takes, and --runner {runner} reads no \
             list file; run it with --exec (Linux takes up to 2 MiB) or plan more shards",
            self.index
        )
    }

    /// The notice for a shard with nothing to run.
    pub fn empty_notice(&self, no_op: &str) -> String {
        format!(
            "shard {} has nothing to run; it prints the runner's no-op form: {no_op}",
            self.index
        )
    }
}

/// The items `members` make up, sorted by key and each once.
fn keyed<'a>(members: Members<'a>) -> Vec<Item<'a>> {
    let mut every_one_a_test = true;
    let mut items: Vec<Item<'a>> = members
        .map(|m| {
            every_one_a_test &= m.by == Granularity::Test;
            Item {
                key: m.key(),
                by: m.by,
                test: m.test,
            }
        })
        .collect();
    let order = |a: &Item<'a>, b: &Item<'a>| (a.key, a.by).cmp(&(b.key, b.by));
    // Members come in native id order, each test once: when every item is
    // a test, its key is that id, so the items are in key order and each
    // once already. Checking would compare 100k ids, scattered in memory,
    // twice over.
    if every_one_a_test {
        debug_assert!(
            items.is_sorted_by(|a, b| order(a, b).is_lt()),
            "members come in native id order, each once"
        );
        return items;
    }
    // Otherwise a class or file item's tests may come apart: the (stable)
    // sort is not needed when they do not.
    if !items.is_sorted_by(|a, b| order(a, b).is_le()) {
        items.sort_by(order);
    }
    items.dedup_by(|a, b| a.key == b.key && a.by == b.by);
    items
}

/// One command to run, as an argument vector (no shell involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Where `--exec -- EXTRA_ARGS` go: before `argv[extra_at]` (e.g. right
    /// after `go test`, or before cargo's `--`).
    pub extra_at: usize,
}

impl Command {
    /// A command whose extra arguments go right after its first `lead` words.
    pub fn new(argv: Vec<String>, lead: usize) -> Self {
        Command {
            extra_at: lead.min(argv.len()),
            argv,
        }
    }

    /// The argument vector with `extra` inserted.
    pub fn with_extra(&self, extra: &[String]) -> Vec<String> {
        let mut argv = self.argv[..self.extra_at].to_vec();
        argv.extend(extra.iter().cloned());
        argv.extend(self.argv[self.extra_at..].iter().cloned());
        argv
    }

    /// Bytes on the command line.
    pub fn len(&self) -> usize {
        self.argv.iter().map(|a| a.len() + 1).sum()
    }

    /// Whether there are no words at all.
    pub fn is_empty(&self) -> bool {
        self.argv.is_empty()
    }
}

/// How a shard's selection is printed and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Arguments for one run of the runner, printed one per line and
    /// unquoted, for `pytest @shard.txt` or `xargs -d '\n' RUNNER <
    /// shard.txt`. `--exec` runs `launcher` followed by them (and the extra
    /// arguments); a runner without a launcher cannot `--exec`.
    Args {
        /// The command `--exec` runs them with (`python3 -m pytest`).
        launcher: Option<Vec<String>>,
        /// The arguments.
        args: Vec<String>,
    },
    /// Complete commands, printed one per line as POSIX shell words (`sh
    /// shard.txt` runs them); `--exec` runs them in order.
    Commands(Vec<Command>),
}

impl Output {
    /// The commands `--exec` runs, with `extra` inserted; `None` when the
    /// output is ids without a runner to run them.
    pub fn commands(&self, extra: &[String]) -> Option<Vec<Vec<String>>> {
        match self {
            Output::Args {
                launcher: Some(launcher),
                args,
            } => {
                let mut argv = launcher.clone();
                argv.extend(args.iter().cloned());
                argv.extend(extra.iter().cloned());
                Some(vec![argv])
            }
            Output::Args { launcher: None, .. } => None,
            Output::Commands(commands) => {
                Some(commands.iter().map(|c| c.with_extra(extra)).collect())
            }
        }
    }

    /// How many times running the shard starts the runner: once for
    /// arguments, once per command (none for an empty shard's commands).
    /// Each start pays the runner's start-up, which the learned cost model
    /// charges per start.
    pub fn launches(&self) -> u64 {
        match self {
            Output::Args { .. } => 1,
            Output::Commands(commands) => commands.len() as u64,
        }
    }
}

/// A runner's answer for one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What to print and run.
    pub output: Output,
    /// Files to write before anything is printed: `(path, contents)`.
    pub files: Vec<(PathBuf, String)>,
    /// Things the user should know, printed on stderr as notes.
    pub notices: Vec<String>,
    /// Risks to "every test exactly once" (a test that will run on no
    /// shard), printed on stderr as warnings by every shard.
    pub warnings: Vec<String>,
    /// Whether the shard planned as the catch-all runs only its own tests:
    /// the runner cannot select "every test but these" (a warning says
    /// why), so no shard runs the tests the plan does not know. Set by the
    /// catch-all's render, and by [`crate::shard::render_shards`] on every
    /// shard's.
    pub declined_catch_all: bool,
}

impl Rendered {
    /// Arguments with a launcher, nothing else.
    pub fn args(launcher: &[&str], args: Vec<String>) -> Self {
        Rendered {
            output: Output::Args {
                launcher: Some(launcher.iter().map(|s| s.to_string()).collect()),
                args,
            },
            files: Vec::new(),
            notices: Vec::new(),
            warnings: Vec::new(),
            declined_catch_all: false,
        }
    }

    /// Commands, nothing else.
    pub fn commands(commands: Vec<Command>) -> Self {
        Rendered {
            output: Output::Commands(commands),
            files: Vec::new(),
            notices: Vec::new(),
            warnings: Vec::new(),
            declined_catch_all: false,
        }
    }

    /// Adds a notice.
    pub fn notice(mut self, notice: impl Into<String>) -> Self {
        self.notices.push(notice.into());
        self
    }

    /// Adds a warning.
    pub fn warn(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }

    /// Declines the catch-all ([`Rendered::declined_catch_all`]), with the
    /// warning that says why.
    pub fn decline_catch_all(mut self, warning: impl Into<String>) -> Self {
        self.declined_catch_all = true;
        self.warn(warning)
    }

    /// Adds a file to write.
    pub fn file(mut self, path: PathBuf, contents: String) -> Self {
        self.files.push((path, contents));
        self
    }

    /// The arguments of an [`Output::Args`] (empty for commands); for tests.
    pub fn arg_lines(&self) -> Vec<String> {
        match &self.output {
            Output::Args { args, .. } => args.clone(),
            Output::Commands(_) => Vec::new(),
        }
    }

    /// The printed lines of an [`Output::Commands`] (empty for arguments).
    pub fn command_lines(&self) -> Vec<String> {
        match &self.output {
            Output::Commands(commands) => commands.iter().map(|c| shell_line(&c.argv)).collect(),
            Output::Args { .. } => Vec::new(),
        }
    }

    /// What stdout shows.
    pub fn lines(&self) -> Vec<String> {
        match &self.output {
            Output::Args { args, .. } => args.clone(),
            Output::Commands(_) => self.command_lines(),
        }
    }

    /// Writes [`Rendered::lines`], each ended by a newline, without
    /// copying them into one text first: a shard of a million-test plan
    /// prints a hundred thousand ids. Output that would be one empty line
    /// is nothing, like no lines at all.
    pub fn write_lines(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut write = |lines: &[String]| {
            if let [only] = lines
                && only.is_empty()
            {
                return Ok(());
            }
            lines.iter().try_for_each(|line| {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")
            })
        };
        match &self.output {
            Output::Args { args, .. } => write(args),
            Output::Commands(_) => write(&self.command_lines()),
        }
    }
}

/// One command line as POSIX shell words.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|word| super::shell::quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Test helpers shared by the runners' unit tests: a plan over `TestId`s
/// built without the planner.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::naming::TestId;

    /// Owns the ids and the shard layout a [`RenderContext`] borrows.
    pub struct Fixture {
        /// Per shard, the planned tests.
        pub shards: Vec<Vec<TestId>>,
        /// The list file.
        pub list_file: ListFile,
    }

    impl Fixture {
        /// Shards given as lists of ids.
        pub fn new(shards: Vec<Vec<TestId>>) -> Self {
            Fixture {
                shards: shards
                    .into_iter()
                    .map(|mut s| {
                        s.sort();
                        s
                    })
                    .collect(),
                list_file: ListFile {
                    path: PathBuf::from("/tmp/shard.list"),
                    forced: false,
                },
            }
        }

        /// Forces the file form.
        pub fn forced(mut self) -> Self {
            self.list_file.forced = true;
            self
        }

        /// Renders shard `index` with every item at granularity `by`.
        pub fn render(
            &self,
            runner: &dyn super::super::Runner,
            by: Granularity,
            index: usize,
            catch_all: Option<usize>,
        ) -> Rendered {
            runner
                .render(&self.context(by, index, catch_all).context())
                .expect("renders")
        }

        /// The members of every shard with each item at the granularity
        /// `by` gives its test (as `--split-large` mixes them).
        pub fn mixed(
            &self,
            by: impl Fn(TestRef<'_>) -> Granularity,
            index: usize,
            catch_all: Option<usize>,
        ) -> Owned<'_> {
            let mut owned = self.context(Granularity::Test, index, catch_all);
            for member in owned.shards.iter_mut().flatten() {
                member.by = by(member.test);
            }
            owned
        }

        /// The members of every shard with every item at granularity `by`.
        pub fn context(
            &self,
            by: Granularity,
            index: usize,
            catch_all: Option<usize>,
        ) -> Owned<'_> {
            Owned {
                shards: self
                    .shards
                    .iter()
                    .map(|s| {
                        s.iter()
                            .map(|test| Member {
                                test: test.as_ref(),
                                by,
                            })
                            .collect()
                    })
                    .collect(),
                index,
                catch_all,
                list_file: &self.list_file,
            }
        }
    }

    /// Members a [`RenderContext`] borrows.
    pub struct Owned<'f> {
        /// Per shard, its members.
        pub shards: Vec<Vec<Member<'f>>>,
        index: usize,
        catch_all: Option<usize>,
        list_file: &'f ListFile,
    }

    impl<'f> Owned<'f> {
        /// The context over these members.
        pub fn context(&self) -> RenderContext<'_> {
            self.ranked(&[])
        }

        /// The context over these members, each shard's groups ranked as
        /// `longest_first` says ([`RenderContext::longest_first`]).
        pub fn ranked<'c>(&'c self, longest_first: &'c [Vec<&'c str>]) -> RenderContext<'c> {
            RenderContext {
                index: self.index,
                shards: Shards::new(&self.shards),
                catch_all: self.catch_all,
                list_file: self.list_file,
                longest_first,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Fixture;
    use super::*;
    use crate::naming::TestId;

    fn id(native: &str, class: &str, file: &str) -> TestId {
        TestId {
            native: native.into(),
            class: class.into(),
            file: file.into(),
        }
    }

    fn ctx_fixture() -> Vec<Vec<TestId>> {
        vec![
            vec![
                id("a/x", "a", "a"),
                id("a/y", "a", "a"),
                id("b/z", "b", "b"),
            ],
            vec![id("b/w", "b", "b"), id("c/v", "c", "c")],
        ]
    }

    #[test]
    fn written_lines_are_the_lines_joined_with_a_final_newline() {
        let cases: [&[&str]; 6] = [&[], &[""], &["", ""], &["a"], &["", "a"], &["a b", "c", ""]];
        for lines in cases {
            let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let rendered = Rendered::args(&[], lines.clone());
            let mut expected = rendered.lines().join("\n");
            if !expected.is_empty() {
                expected.push('\n');
            }
            let mut written = Vec::new();
            rendered.write_lines(&mut written).expect("written");
            assert_eq!(
                String::from_utf8(written).expect("UTF-8"),
                expected,
                "{lines:?}"
            );
        }
    }

    #[test]
    fn whole_groups_and_split_items() {
        let fixture = Fixture::new(ctx_fixture());
        let owned = fixture.context(Granularity::Test, 0, Some(1));
        let ctx = owned.context();
        let zero = ctx.selection(0);
        assert_eq!(zero.groups, ["a"]);
        assert_eq!(
            zero.items.iter().map(|i| i.key).collect::<Vec<_>>(),
            ["b/z"]
        );
        let one = ctx.selection(1);
        assert_eq!(one.groups, ["c"]);
        assert_eq!(one.items.iter().map(|i| i.key).collect::<Vec<_>>(), ["b/w"]);
        let ctx1 = RenderContext {
            index: 1,
            ..ctx.clone()
        };
        assert_eq!(ctx1.others(), zero);
        assert_eq!(ctx.all_groups(), ["a", "b", "c"]);
        assert!(ctx1.is_catch_all() && !ctx.is_catch_all());
        let natives: Vec<&str> = ctx
            .tests_of(&ctx1.items())
            .iter()
            .map(|t| t.native.as_str())
            .collect();
        assert_eq!(natives, ["b/w", "c/v"]);
    }

    #[test]
    fn commands_take_extra_arguments_at_their_place() {
        let c = Command::new(
            ["cargo", "test", "--", "--exact", "a"]
                .map(String::from)
                .to_vec(),
            2,
        );
        assert_eq!(
            c.with_extra(&["--release".to_string()]),
            ["cargo", "test", "--release", "--", "--exact", "a"]
        );
        assert_eq!(shell_line(&c.argv), "cargo test -- --exact a");
        let out = Output::Args {
            launcher: Some(vec!["pytest".into()]),
            args: vec!["t.py::a b".into()],
        };
        assert_eq!(
            out.commands(&["-q".into()]),
            Some(vec![vec![
                "pytest".to_string(),
                "t.py::a b".into(),
                "-q".into()
            ]])
        );
    }
}
