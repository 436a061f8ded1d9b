//! `go test`: top-level tests per package, selected with an anchored `-run`
//! alternation that split packages share when it stays exact
//! (`formats.md` §11.1).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::pattern::{regex_complement, regex_escape};
use super::render::{MAX_ARGUMENT_BYTES, SAFE_COMMAND_BYTES, StartOrder};
use super::*;

/// `go test -run '^(TestA|TestB)$' <package>` commands, one per line.
pub struct Go;

/// Whether `name` is a test `go test -run` can select by itself: a `Test`,
/// `Example` or `Fuzz` function, whose prefix, as in `go/build`'s `isTest`,
/// is not followed by a lowercase letter. Benchmarks only run under
/// `-bench`, `TestMain` is the harness, and subtests (`TestA/x`) are inside
/// their parent's time.
fn is_test_name(name: &str) -> bool {
    if name == "TestMain" || !name.chars().all(|c| c == '_' || c.is_alphanumeric()) {
        return false;
    }
    ["Test", "Example", "Fuzz"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_lowercase()))
    })
}

/// Benchmarks appear in `go test -list` output but are not tests.
fn is_benchmark_name(name: &str) -> bool {
    name.strip_prefix("Benchmark")
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_lowercase()))
        && name.chars().all(|c| c == '_' || c.is_alphanumeric())
}

fn test_id(package: &str, name: &str) -> TestId {
    TestId {
        native: [test_prefix(package).as_str(), name].concat().into(),
        class: package.into(),
        file: package.into(),
    }
}

/// What the ids of a package's tests start with: `<import path>.`.
fn test_prefix(package: &str) -> String {
    format!("{package}.")
}

/// The anchored `-run` pattern selecting exactly `names` at the top level.
/// `regexp.QuoteMeta` keeps every name literal; `/` stays bare, as test
/// names have none.
fn run_pattern(names: &[&str]) -> String {
    let alternatives: Vec<String> = names.iter().map(|n| regex_escape(n, "")).collect();
    match alternatives.as_slice() {
        [one] => format!("^{one}$"),
        _ => format!("^({})$", alternatives.join("|")),
    }
}

/// `go test -run PATTERN PACKAGE`; extra arguments go after `go test`.
fn run_command(pattern: Option<String>, packages: &[&str]) -> Command {
    let mut argv = vec!["go".to_string(), "test".to_string()];
    if let Some(pattern) = pattern {
        argv.push("-run".to_string());
        argv.push(pattern);
    }
    argv.extend(packages.iter().map(|p| p.to_string()));
    Command::new(argv, 2)
}

/// Splits `names` into runs whose `-run` command stays under
/// [`SAFE_COMMAND_BYTES`]: a huge shard becomes several commands rather
/// than one that cannot start.
fn chunks<'a>(names: &[&'a str], package: &str) -> Vec<Vec<&'a str>> {
    let budget = SAFE_COMMAND_BYTES.saturating_sub(package.len() + 24);
    let mut out: Vec<Vec<&'a str>> = Vec::new();
    let mut length = 0;
    for &name in names {
        let cost = regex_escape(name, "").len() + 1;
        match out.last_mut() {
            Some(chunk) if length + cost <= budget => {
                chunk.push(name);
                length += cost;
            }
            _ => {
                out.push(vec![name]);
                length = cost;
            }
        }
    }
    out
}

/// A test item's package and name: test names have no dots, import paths may.
fn split_item(item: &str) -> (&str, &str) {
    item.rsplit_once('.').unwrap_or(("", item))
}

/// One package's line in `go test -list` output: `ok  \t<pkg>\t0.01s`,
/// `ok  \t<pkg>\t(cached)`, `FAIL\t<pkg>\t0.01s`. The package is what the
/// test names before it belong to.
fn package_result(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    let status = words.next()?;
    let package = words.next()?;
    (matches!(status, "ok" | "FAIL") && words.next().is_some()).then_some(package)
}

impl Naming for Go {
    fn name(&self) -> &'static str {
        "go"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        dialect == Dialect::Go
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
        if !is_test_name(&case.name) {
            return None;
        }
        if !scope.holds(case) {
            let package = [&case.classname, &case.suite]
                .into_iter()
                .flatten()
                .map(|p| p.trim())
                .find(|p| !p.is_empty());
            if let Some(package) = package {
                scope.prefix = test_prefix(package);
                scope.file = Some(package.into());
            }
        }
        let package = scope.file.as_ref()?;
        native.push_str(&scope.prefix);
        native.push_str(&case.name);
        Some((Some(package.clone()), package.clone()))
    }

    /// Reads either our own `<import path>.<TestName>` lines or the output
    /// of `go test -list '.*' ./...`, where each package's test names come
    /// before its `ok` (or `FAIL`) line. Lines with spaces (`?   \t<pkg>\t[no
    /// test files]`) and bare words (a `TestMain`'s output, `FAIL`) are
    /// skipped, as are benchmarks; a word with `/` or `.` that is not a
    /// top-level test (`pkg.TestA/sub`) is an error.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        let mut ids = Vec::new();
        let mut pending: Vec<(usize, &str)> = Vec::new();
        for (line_no, line) in listing_lines(text) {
            if let Some(package) = package_result(line) {
                ids.extend(pending.drain(..).map(|(_, name)| test_id(package, name)));
            } else if line.contains(char::is_whitespace) || is_benchmark_name(line) {
                continue;
            } else if is_test_name(line) {
                pending.push((line_no, line));
            } else if let Some((package, name)) = line.rsplit_once('.')
                && !package.is_empty()
                && (is_test_name(name) || is_benchmark_name(name))
            {
                if is_test_name(name) {
                    ids.push(test_id(package, name));
                }
            } else if line.contains(['/', '.']) {
                return Err(ListError {
                    line: line_no,
                    message: format!(
                        "`{line}` is not a top-level go test: expected `<import path>.TestName` \
                         (subtests cannot be listed) or the output of `go test -list '.*' ./...`"
                    ),
                });
            }
        }
        if let Some(&(line, name)) = pending.first() {
            return Err(ListError {
                line,
                message: format!(
                    "`{name}` has no package: bare test names must be followed by their \
                     package's `ok  <import path>` line, as `go test -list '.*' ./...` prints"
                ),
            });
        }
        Ok(ids)
    }
}

impl Runner for Go {
    /// One command per line: `go test P Q` for packages whole on this
    /// shard (no `-run`: new tests in them belong here), then `go test -run
    /// '^(TestA|TestB)$' P Q` for the packages split across shards. `-run`
    /// applies to every package named, so split packages share a command
    /// only when the union of their names selects, in each of them, exactly
    /// the tests planned here, and a name it reaches anew in a package is
    /// reached from no other shard. One `go test` starts once and builds
    /// its packages in parallel, where a command per package pays `go
    /// test`'s start-up again for each. So without a catch-all (the test
    /// list is the suite), packages whole here that were planned test by
    /// test join a split command their names fit, and the shard starts
    /// `go test` once.
    ///
    /// The catch-all runs, per package the plan knows and no other shard
    /// holds whole, every test but the names other shards' commands select
    /// in it, with an anchored complement regex (Go 1.19 has no `-skip`);
    /// packages that exclude the same names share one.
    /// Packages the plan does not know cannot be named, which a notice says.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::commands(Vec::new())
                .notice(ctx.empty_notice("no command (an empty script)")));
        }
        if ctx.is_catch_all() {
            return catch_all(ctx);
        }
        let selections = ctx.selections();
        // A shard's commands depend on its own selection and the claims of
        // the shards before it, never on those after it.
        let mut before = all_split_commands(ctx, &selections[..=ctx.index]);
        let this = before.pop().expect("this shard's commands");
        let mut commands = Vec::new();
        let mut whole: Vec<&str> = selections[ctx.index]
            .groups
            .iter()
            .copied()
            .filter(|package| !this.folded.contains(package))
            .collect();
        // go builds, links and runs packages in argument order, `-p` at a
        // time: the longest first, so that none starts last.
        let order = ctx.start_order();
        order.sort(&mut whole);
        if !whole.is_empty() {
            commands.push(run_command(None, &whole));
        }
        for mut split in this.split {
            order.sort(&mut split.packages);
            commands.push(run_command(
                Some(run_pattern(&split.names)),
                &split.packages,
            ));
        }
        Ok(Rendered::commands(commands))
    }

    fn starts_groups_in_order(&self) -> bool {
        true
    }

    fn runs_groups_serially(&self) -> bool {
        true
    }
}

/// Every split package's top-level test names, each with the shard it is
/// planned on: what a shared `-run` pattern could reach in the package.
struct PlannedNames<'a> {
    /// Per package, each name's shard and its number if it is planned on
    /// several shards ([`NOT_SHARED`] if not).
    by_package: HashMap<&'a str, Vec<(usize, u32)>>,
    /// Names planned on more than one shard (in any packages): only these
    /// can reach one package from two shards' commands. Each has a number,
    /// which [`Claims`] keeps in its stead.
    on_several_shards: HashMap<&'a str, u32>,
}

impl<'a> PlannedNames<'a> {
    fn of(ctx: &RenderContext<'a>) -> Self {
        let mut planned: HashMap<&'a str, Vec<(&'a str, usize)>> = HashMap::new();
        let mut first_shard: HashMap<&'a str, usize> = HashMap::new();
        let mut on_several_shards = HashMap::new();
        for (shard, members) in ctx.shards.iter().enumerate() {
            for member in members.filter(|m| m.by == Granularity::Test) {
                let name = split_item(member.test.native).1;
                planned
                    .entry(member.test.file.as_str())
                    .or_default()
                    .push((name, shard));
                if *first_shard.entry(name).or_insert(shard) != shard {
                    let next = on_several_shards.len() as u32;
                    on_several_shards.entry(name).or_insert(next);
                }
            }
        }
        let by_package = planned
            .into_iter()
            .map(|(package, names)| {
                let numbered = names
                    .into_iter()
                    .map(|(name, shard)| {
                        (
                            shard,
                            on_several_shards.get(name).copied().unwrap_or(NOT_SHARED),
                        )
                    })
                    .collect();
                (package, numbered)
            })
            .collect();
        PlannedNames {
            by_package,
            on_several_shards,
        }
    }

    /// The numbers of `package`'s names planned on shards other than
    /// `shard`, sorted: only names planned on several shards can be in
    /// another package's pattern here, so the others are left out.
    fn elsewhere(&self, package: &str, shard: usize) -> Vec<u32> {
        let mut names: Vec<u32> = self
            .by_package
            .get(package)
            .into_iter()
            .flatten()
            .filter(|&&(s, id)| s != shard && id != NOT_SHARED)
            .map(|&(_, id)| id)
            .collect();
        names.sort_unstable();
        names
    }

    /// The numbers of `names` planned on several shards, sorted.
    fn shared(&self, names: &[&str]) -> Vec<u32> {
        let mut shared: Vec<u32> = names
            .iter()
            .filter_map(|&n| self.on_several_shards.get(n).copied())
            .collect();
        shared.sort_unstable();
        shared
    }
}

/// [`PlannedNames::by_package`]'s number for a name planned on one shard.
const NOT_SHARED: u32 = u32::MAX;

/// One `go test -run` command for split packages: the pattern selects
/// `names` (sorted, each once) in every one of `packages` (in the order
/// they joined; `render` sorts them longest first).
#[derive(Debug, Default)]
struct SplitCommand<'a> {
    packages: Vec<&'a str>,
    names: Vec<&'a str>,
}

/// A [`SplitCommand`] being filled: its packages (each with what earlier
/// shards claim in it), their names planned here (the pattern's), the
/// numbers of those planned on several shards, and the numbers of the
/// names its packages have planned elsewhere, which the pattern must
/// never take in. Only names planned on several shards can be planned
/// here in one package and elsewhere in another, so the checks compare
/// numbers, not names.
#[derive(Default)]
struct Open<'a, 'c> {
    members: Vec<Member<'a, 'c>>,
    names: Vec<&'a str>,
    /// Sorted.
    shared: Vec<u32>,
    /// `shared` as bits, for the fit checks: a package asks each command
    /// about every name of it planned elsewhere (a hundred, at 64 shards).
    shared_bits: NumberBits,
    /// The numbers of names its packages plan elsewhere, as bits.
    forbidden: NumberBits,
    bytes: usize,
}

/// A set of name numbers as bits, in pages of 4,096 made as they are
/// needed. Numbers are handed out from 0 (never [`NOT_SHARED`]); a set
/// costs 8 bytes per 4,096 numbers up to its largest and 512 bytes per
/// page it holds a number in, so a command holding a few names numbered
/// near a million costs a few KB, not the 125 KB of a flat bitmap.
#[derive(Default)]
struct NumberBits(Vec<Option<Box<[u64; 64]>>>);

impl NumberBits {
    fn insert(&mut self, number: u32) {
        debug_assert!(number != NOT_SHARED, "only shared names are numbered");
        let page = (number >> 12) as usize;
        if page >= self.0.len() {
            self.0.resize_with(page + 1, || None);
        }
        let bits = self.0[page].get_or_insert_with(|| Box::new([0; 64]));
        bits[(number >> 6 & 63) as usize] |= 1 << (number & 63);
    }

    fn contains(&self, number: u32) -> bool {
        let page = (number >> 12) as usize;
        self.0
            .get(page)
            .and_then(Option::as_ref)
            .is_some_and(|bits| bits[(number >> 6 & 63) as usize] & (1 << (number & 63)) != 0)
    }
}

/// A package of an [`Open`] command: its name, the numbers of its names
/// planned here that are planned on several shards, sorted, and the names
/// earlier shards claim in it ([`Claims::in_package`]).
struct Member<'a, 'c> {
    package: &'a str,
    shared: Vec<u32>,
    claimed: Option<&'c Numbers>,
}

/// A set of name numbers, hashed by one multiplication: it is only asked
/// what it holds, never walked in an order that shows.
type Numbers = HashSet<u32, BuildHasherDefault<NumberHasher>>;

/// [`Numbers`]' hasher: a `u32` times an odd constant (Fibonacci
/// hashing), whose high bits are well mixed, folded into the low bits the
/// table picks buckets by (alone, numbers sharing their low bits would
/// share buckets).
#[derive(Default)]
struct NumberHasher(u64);

impl Hasher for NumberHasher {
    /// Not used by `u32` keys; folds bytes in, should any other key come.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, number: u32) {
        self.0 = u64::from(number).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

/// The names shards' patterns reach in packages that have no test of that
/// name planned there (a test added since the timings could have it): each
/// is reached from one shard at most, so such a test runs once, and the
/// catch-all leaves it to that shard.
///
/// A command's pattern claims its shared names ([`Open::shared`]) in each
/// of its packages that does not plan them, so a shard's claims are read
/// off its commands when it is done: only the shards already done are
/// asked (a shard's own claims never bar its commands). They are kept per
/// package by their names' numbers ([`PlannedNames::on_several_shards`]):
/// a pattern of a few hundred names over a few dozen packages claims
/// thousands of pairs, which as a hash map of string pairs were hundreds
/// of megabytes at 100k tests.
#[derive(Default)]
struct Claims<'a> {
    by_package: HashMap<&'a str, Numbers>,
}

impl<'a> Claims<'a> {
    /// The numbers of the names earlier shards claim in `package`.
    fn in_package(&self, package: &str) -> Option<&Numbers> {
        self.by_package.get(package)
    }

    /// Keeps what a finished shard claims in each package.
    fn add(&mut self, claimed: Vec<(&'a str, Vec<u32>)>) {
        for (package, names) in claimed {
            self.by_package.entry(package).or_default().extend(names);
        }
    }
}

/// One shard's `-run` commands, and the packages whole on the shard that
/// joined them ([`split_commands`]).
#[derive(Debug, Default)]
struct ShardCommands<'a> {
    split: Vec<SplitCommand<'a>>,
    folded: BTreeSet<&'a str>,
}

/// The split-package commands of the shards `selections` holds (every
/// shard, or the first few), the catch-all's left empty (it prints
/// complements). Computed in shard order, each shard after the claims of
/// those before it, so every shard computes the same ones. Without a
/// catch-all, a package whole on a shard may join them.
fn all_split_commands<'a>(
    ctx: &RenderContext<'a>,
    selections: &[Selection<'a>],
) -> Vec<ShardCommands<'a>> {
    let planned = PlannedNames::of(ctx);
    let mut claims = Claims::default();
    selections
        .iter()
        .enumerate()
        .map(|(shard, selection)| {
            if ctx.catch_all == Some(shard) {
                ShardCommands::default()
            } else {
                let whole = match ctx.catch_all {
                    None => whole_by_test(ctx, shard, selection),
                    Some(_) => Vec::new(),
                };
                let order = ctx.start_order_of(shard);
                let (commands, claimed) =
                    split_commands(selection, &whole, shard, &order, &planned, &claims);
                claims.add(claimed);
                commands
            }
        })
        .collect()
}

/// The packages whole on `shard` that were planned test by test, with
/// their names: only these may run under a `-run` pattern, which selects
/// the tests planned and no others. A package planned as one item stands
/// for every test in it, new ones too.
fn whole_by_test<'a>(
    ctx: &RenderContext<'a>,
    shard: usize,
    selection: &Selection<'a>,
) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut names: BTreeMap<&'a str, Option<Vec<&'a str>>> = selection
        .groups
        .iter()
        .map(|&package| (package, Some(Vec::new())))
        .collect();
    for member in ctx.shards.members(shard) {
        if let Some(slot) = names.get_mut(member.test.file.as_str()) {
            match (member.by, slot.as_mut()) {
                (Granularity::Test, Some(list)) => list.push(split_item(member.test.native).1),
                _ => *slot = None,
            }
        }
    }
    names
        .into_iter()
        .filter_map(|(package, names)| {
            let mut names = names?;
            names.sort_unstable();
            names.dedup();
            Some((package, names))
        })
        .collect()
}

/// Shard `shard`'s split packages as commands, first fit, the package
/// with the most time on the shard first (`order`, else package order).
/// A shard runs its commands one after another, so a long package should
/// run beside as much of the rest as can share its pattern: the longest
/// opens the first command, and a package that fits no open command and
/// opens another is one of the shorter ones. (Commands are printed sorted
/// by their packages, not in this order.)
/// A package joins a command when its names and the command's union stay
/// clear of every member's names planned elsewhere, no name the union
/// would newly reach in a member is claimed by another shard, and the line
/// stays under [`SAFE_COMMAND_BYTES`]. A package whose own names overflow
/// the line gets commands of its own.
///
/// Then each package of `whole` (whole on this shard, planned test by
/// test) joins a command it fits the same way, so that the shard starts
/// `go test` once rather than once more for its whole packages: each
/// start costs go's start-up (0.2-0.5 s), the most a shard pays beyond
/// its tests. It never opens a command of its own.
///
/// Also returns what the commands claim in each package ([`Claims`]).
fn split_commands<'a>(
    selection: &Selection<'a>,
    whole: &[(&'a str, Vec<&'a str>)],
    shard: usize,
    order: &StartOrder<'_>,
    planned: &PlannedNames<'a>,
    claims: &Claims<'a>,
) -> (ShardCommands<'a>, Vec<(&'a str, Vec<u32>)>) {
    let mut by_package: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for item in &selection.items {
        // Items are tests here: coarser items are packages, always whole.
        by_package
            .entry(item.test.file.as_str())
            .or_default()
            .push(split_item(item.key).1);
    }
    let mut packages: Vec<&str> = by_package.keys().copied().collect();
    order.sort(&mut packages);
    let mut open: Vec<Open<'a, '_>> = Vec::new();
    let mut alone: Vec<SplitCommand<'a>> = Vec::new();
    for package in packages {
        let mut names = by_package.remove(package).expect("a package of the shard");
        names.sort_unstable();
        if !join(&mut open, package, &names, shard, planned, claims, true) {
            alone.extend(
                chunks(&names, package)
                    .into_iter()
                    .map(|chunk| SplitCommand {
                        packages: vec![package],
                        names: chunk,
                    }),
            );
        }
    }
    let mut folded = BTreeSet::new();
    if !open.is_empty() {
        for (package, names) in whole {
            if join(&mut open, package, names, shard, planned, claims, false) {
                folded.insert(*package);
            }
        }
    }
    let mut claimed = Vec::new();
    for command in &open {
        for member in &command.members {
            let names: Vec<u32> = command
                .shared
                .iter()
                .copied()
                .filter(|id| member.shared.binary_search(id).is_err())
                .collect();
            if !names.is_empty() {
                claimed.push((member.package, names));
            }
        }
    }
    let mut commands: Vec<SplitCommand<'a>> = open
        .into_iter()
        .map(|o| {
            let mut names = o.names;
            names.sort_unstable();
            names.dedup();
            SplitCommand {
                packages: o.members.into_iter().map(|m| m.package).collect(),
                names,
            }
        })
        .collect();
    commands.extend(alone);
    commands.sort_by(|a, b| a.packages.cmp(&b.packages));
    (
        ShardCommands {
            split: commands,
            folded,
        },
        claimed,
    )
}

/// Adds `package`, whose tests `names` (sorted) are planned on `shard`, to
/// the first command in `open` it fits (see [`split_commands`]), or to a
/// new one when `may_open`. False when it joined none: its names overflow
/// a line, or nothing fits and no command may be opened.
fn join<'a, 'c>(
    open: &mut Vec<Open<'a, 'c>>,
    package: &'a str,
    names: &[&'a str],
    shard: usize,
    planned: &PlannedNames<'a>,
    claims: &'c Claims<'a>,
    may_open: bool,
) -> bool {
    let budget = SAFE_COMMAND_BYTES.saturating_sub(24);
    let bytes = package.len()
        + 1
        + names
            .iter()
            .map(|n| regex_escape(n, "").len() + 1)
            .sum::<usize>();
    if bytes > budget {
        return false;
    }
    let claimed = claims.in_package(package);
    let elsewhere = planned.elsewhere(package, shard);
    let own = planned.shared(names);
    let fits = |command: &Open<'a, 'c>| {
        command.bytes + bytes <= budget
            && !own.iter().any(|&id| command.forbidden.contains(id))
            && !elsewhere.iter().any(|&id| command.shared_bits.contains(id))
            // What the pattern reaches anew in this package...
            && !reaches_claimed(command, &own, claimed)
            // ...and what these names reach anew in the members.
            && !own.iter().any(|&id| {
                !command.shared_bits.contains(id)
                    && command
                        .members
                        .iter()
                        .any(|member| member.claimed.is_some_and(|c| c.contains(&id)))
            })
    };
    let at = match open.iter().position(fits) {
        Some(at) => at,
        None if may_open => {
            open.push(Open::default());
            open.len() - 1
        }
        None => return false,
    };
    let command = &mut open[at];
    command.shared = merge_sorted(&command.shared, &own);
    for &id in &own {
        command.shared_bits.insert(id);
    }
    command.names.extend_from_slice(names);
    for id in elsewhere {
        command.forbidden.insert(id);
    }
    command.bytes += bytes;
    command.members.push(Member {
        package,
        shared: own,
        claimed,
    });
    true
}

/// Whether `command`'s pattern, reaching the names numbered in its
/// `shared`, reaches one of `claimed` in a package planning only `own` of
/// them (sorted). The smaller of `shared` and `claimed` is walked; either
/// way the answer is the same.
fn reaches_claimed(command: &Open<'_, '_>, own: &[u32], claimed: Option<&Numbers>) -> bool {
    let Some(claimed) = claimed else {
        return false;
    };
    let planned_here = |id: &u32| own.binary_search(id).is_ok();
    if command.shared.len() <= claimed.len() {
        command
            .shared
            .iter()
            .any(|id| claimed.contains(id) && !planned_here(id))
    } else {
        claimed
            .iter()
            .any(|&id| command.shared_bits.contains(id) && !planned_here(&id))
    }
}

/// The union of two sorted lists, sorted, each number once.
fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let next = a[i].min(b[j]);
        merged.push(next);
        i += usize::from(a[i] == next);
        j += usize::from(b[j] == next);
    }
    merged.extend_from_slice(&a[i..]);
    merged.extend_from_slice(&b[j..]);
    merged
}

/// The catch-all's commands (see [`Go::render`]).
fn catch_all(ctx: &RenderContext<'_>) -> Result<Rendered, String> {
    let selections = ctx.selections();
    let all = all_split_commands(ctx, &selections);
    let mut whole_elsewhere = BTreeSet::new();
    // Per package, every name another shard's `-run` selects in it: a
    // test added since the timings with such a name runs there.
    // Gathered, then sorted once (it is only looked up).
    let mut elsewhere: HashMap<&str, Vec<&str>> = HashMap::new();
    for (shard, (selection, splits)) in selections.iter().zip(all).enumerate() {
        if shard == ctx.index {
            continue;
        }
        whole_elsewhere.extend(selection.groups.iter().copied());
        for split in splits.split {
            for package in split.packages {
                elsewhere
                    .entry(package)
                    .or_default()
                    .extend(split.names.iter().copied());
            }
        }
    }
    for names in elsewhere.values_mut() {
        names.sort_unstable();
        names.dedup();
    }
    let mut whole = Vec::new();
    // Packages whose tests elsewhere go by the same names share one
    // complement: each excludes exactly what other shards run in it.
    let mut by_excluded: BTreeMap<Vec<&str>, Vec<&str>> = BTreeMap::new();
    for package in ctx.all_groups() {
        if whole_elsewhere.contains(package) {
            continue;
        }
        match elsewhere.get(package) {
            None => whole.push(package),
            Some(names) => by_excluded.entry(names.clone()).or_default().push(package),
        }
    }
    let mut lines: Vec<(Vec<&str>, String)> = Vec::new();
    for (names, packages) in by_excluded {
        let pattern = regex_complement(&names);
        if pattern.len() > MAX_ARGUMENT_BYTES {
            return Err(format!(
                "the catch-all's -run pattern for {} would be {} bytes, more than one \
                 argument may hold; pass --tests-from (no catch-all) or --by file",
                packages[0],
                pattern.len()
            ));
        }
        let budget = SAFE_COMMAND_BYTES.saturating_sub(pattern.len() + 24);
        let mut line: Vec<&str> = Vec::new();
        let mut bytes = 0;
        for package in packages {
            if !line.is_empty() && bytes + package.len() + 1 > budget {
                lines.push((std::mem::take(&mut line), pattern.clone()));
                bytes = 0;
            }
            bytes += package.len() + 1;
            line.push(package);
        }
        lines.push((line, pattern));
    }
    // In package order, as the other shards print theirs.
    lines.sort();
    let order = ctx.start_order();
    let mut commands: Vec<Command> = lines
        .into_iter()
        .map(|(mut packages, pattern)| {
            order.sort(&mut packages);
            run_command(Some(pattern), &packages)
        })
        .collect();
    order.sort(&mut whole);
    if !whole.is_empty() {
        commands.insert(0, run_command(None, &whole));
    }
    Ok(Rendered::commands(commands).warn(format!(
        "shard {} is the catch-all: it runs the tests not planned elsewhere in every package \
         the plan knows, but `go test` cannot exclude packages, so a package added since the \
         timings runs on NO shard; --tests-from avoids this",
        ctx.index
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{self, id_in};

    fn case(name: &str, package: &str) -> TestCase {
        test_support::case(name, Some(package), Some(package), None, Dialect::Go)
    }

    #[test]
    fn accepts_go_only() {
        assert!(Go.accepts(Dialect::Go));
        assert!(!Go.accepts(Dialect::Generic));
        assert!(!Go.accepts(Dialect::Pytest));
    }

    #[test]
    fn identifies_top_level_tests() {
        // gotestsum `junitxml-report.golden`.
        let package = "gotest.tools/gotestsum/testjson/internal/good";
        assert_eq!(
            Go.identify(&case("TestPassed", package)),
            Some(id_in(
                "gotest.tools/gotestsum/testjson/internal/good.TestPassed",
                package
            ))
        );
        // go-junit-report testdata.
        assert_eq!(
            Go.identify(&case("TestOne", "package/bench")),
            Some(id_in("package/bench.TestOne", "package/bench"))
        );
        assert!(Go.identify(&case("Test_under", "p")).is_some());
        assert!(Go.identify(&case("TestÜber", "p")).is_some());
        assert!(Go.identify(&case("Test", "p")).is_some());
        assert!(Go.identify(&case("ExampleHello", "p")).is_some());
        assert!(Go.identify(&case("FuzzY", "p")).is_some());
    }

    #[test]
    fn subtests_and_pseudo_cases_are_not_selectable() {
        for name in [
            "TestNestedSuccess/a/sub",
            "TestNestedSuccess/a",
            "TestNestedSubtests/a#1",
            "BenchmarkDecode/Digits/Huffman/1e4",
            "BenchmarkOne",
            "TestMain",
            "Failure",
            "Testing",
            "",
        ] {
            assert_eq!(Go.identify(&case(name, "package/subtests")), None, "{name}");
        }
    }

    #[test]
    fn package_falls_back_to_the_suite() {
        let mut c = case("TestA", "");
        c.suite = Some("example.com/m/a".into());
        assert_eq!(
            Go.identify(&c),
            Some(id_in("example.com/m/a.TestA", "example.com/m/a"))
        );
        c.suite = None;
        assert_eq!(Go.identify(&c), None);
    }

    /// `go test -list '.*' ./...` from go 1.19.
    const LISTED: &str = "TestAlpha\nTestBeta\nTest_under\nBenchmarkX\nFuzzY\nExampleHello\n\
                          ok  \texample.com/sp/a\t0.002s\nTestÜber\nok  \texample.com/sp/b\t(cached)\n\
                          ?   \texample.com/sp/c\t[no test files]\n";

    #[test]
    fn listing_reads_go_test_list_output() {
        assert_eq!(
            Go.parse_listing(LISTED),
            Ok(vec![
                id_in("example.com/sp/a.TestAlpha", "example.com/sp/a"),
                id_in("example.com/sp/a.TestBeta", "example.com/sp/a"),
                id_in("example.com/sp/a.Test_under", "example.com/sp/a"),
                id_in("example.com/sp/a.FuzzY", "example.com/sp/a"),
                id_in("example.com/sp/a.ExampleHello", "example.com/sp/a"),
                id_in("example.com/sp/b.TestÜber", "example.com/sp/b"),
            ])
        );
    }

    #[test]
    fn listing_reads_native_lines() {
        let text = "github.com/x/y.v2/pkg.TestA\n\nexample.com/m.ExampleB\n";
        assert_eq!(
            Go.parse_listing(text),
            Ok(vec![
                id_in("github.com/x/y.v2/pkg.TestA", "github.com/x/y.v2/pkg"),
                id_in("example.com/m.ExampleB", "example.com/m")
            ])
        );
    }

    #[test]
    fn listing_rejects_subtests_and_orphans() {
        let err = Go.parse_listing("example.com/m.TestA\nexample.com/m.TestA/sub\n");
        assert_eq!(err.unwrap_err().line, 2);
        assert_eq!(Go.parse_listing("TestA/sub\n").unwrap_err().line, 1);
        assert_eq!(
            Go.parse_listing("example.com/m.helper\n").unwrap_err().line,
            1
        );
        assert_eq!(
            Go.parse_listing("ok  \tp\t0.1s\nTestA\nTestB\n")
                .unwrap_err()
                .line,
            2
        );
    }

    #[test]
    fn listing_skips_benchmarks_and_test_main_output() {
        // go 1.19, a package whose TestMain prints and exits 1.
        let text = "setup\nTestD\nBenchmarkD\nteardown\nFAIL\texample.com/sp/d\t0.002s\nFAIL\n";
        assert_eq!(
            Go.parse_listing(text),
            Ok(vec![id_in("example.com/sp/d.TestD", "example.com/sp/d")])
        );
        let text = "example.com/m.BenchmarkX\nsetting up the db\n";
        assert_eq!(Go.parse_listing(text), Ok(vec![]));
    }

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![
                test_id("example.com/sp/a", "TestAlpha"),
                test_id("example.com/sp/a", "TestBeta"),
                test_id("example.com/sp/b", "TestÜber"),
                test_id("github.com/x/y.v2/pkg", "TestA"),
            ],
            vec![
                test_id("example.com/sp/a", "TestGamma"),
                test_id("example.com/sp/b", "TestZ"),
            ],
        ])
    }

    #[test]
    fn whole_packages_join_the_split_packages_command_without_a_catch_all() {
        // One `go test` for the shard: its whole package's one test joins
        // the split packages' pattern, which selects nothing else there.
        let r = fixture().render(&Go, Granularity::Test, 0, None);
        assert_eq!(
            r.command_lines(),
            [
                "go test -run '^(TestA|TestAlpha|TestBeta|TestÜber)$' example.com/sp/a example.com/sp/b github.com/x/y.v2/pkg",
            ]
        );
        assert!(r.notices.is_empty() && r.warnings.is_empty());
        // Extra arguments go right after `go test`.
        assert_eq!(
            r.output
                .commands(&["-count=1".to_string()])
                .expect("commands")[0][..5],
            [
                "go",
                "test",
                "-count=1",
                "-run",
                "^(TestA|TestAlpha|TestBeta|TestÜber)$"
            ]
        );
        // With a catch-all elsewhere, a whole package runs without `-run`,
        // so that a test added to it since the timings runs here.
        let r = fixture().render(&Go, Granularity::Test, 0, Some(1));
        assert_eq!(
            r.command_lines(),
            [
                "go test github.com/x/y.v2/pkg",
                "go test -run '^(TestAlpha|TestBeta|TestÜber)$' example.com/sp/a example.com/sp/b",
            ]
        );
        // A whole package whose names a member's other shard plans stays
        // apart: `TestGamma` in sp/a is shard 1's.
        let f = Fixture::new(vec![
            vec![
                test_id("example.com/sp/a", "TestAlpha"),
                test_id("example.com/sp/c", "TestGamma"),
            ],
            vec![test_id("example.com/sp/a", "TestGamma")],
        ]);
        assert_eq!(
            f.render(&Go, Granularity::Test, 0, None).command_lines(),
            [
                "go test example.com/sp/c",
                "go test -run '^TestAlpha$' example.com/sp/a",
            ]
        );
    }

    #[test]
    fn the_longest_package_takes_the_first_command_and_its_company() {
        // a and z cannot share a pattern (z's TestY would reach a's, which
        // shard 1 runs); mid fits either. Shards run their commands one
        // after another, so mid joins z's command, the longest one.
        let f = Fixture::new(vec![
            vec![
                test_id("a", "TestX"),
                test_id("mid", "TestM"),
                test_id("z", "TestY"),
            ],
            vec![
                test_id("a", "TestY"),
                test_id("mid", "TestM2"),
                test_id("z", "TestZ2"),
            ],
        ]);
        let owned = f.context(Granularity::Test, 0, None);
        let lines = |longest_first: &[Vec<&str>]| {
            Go.render(&owned.ranked(longest_first))
                .expect("renders")
                .command_lines()
        };
        assert_eq!(
            lines(&[vec!["z", "mid", "a"], vec![]]),
            [
                "go test -run '^TestX$' a",
                "go test -run '^(TestM|TestY)$' z mid",
            ]
        );
        // Unranked (a template's plan), first fit goes in package order.
        assert_eq!(
            lines(&[]),
            [
                "go test -run '^(TestM|TestX)$' a mid",
                "go test -run '^TestY$' z",
            ]
        );
    }

    #[test]
    fn catch_all_runs_the_complement_per_known_package() {
        let r = fixture().render(&Go, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.command_lines(),
            [
                // Shard 0's one command selects all three names in both
                // packages: a test added to either with one of those
                // names runs there, so not here. Excluding the same names,
                // the two packages share a command.
                format!(
                    "go test -run '{}' example.com/sp/a example.com/sp/b",
                    regex_complement(&["TestAlpha", "TestBeta", "TestÜber"])
                ),
            ]
        );
        assert!(
            r.warnings[0].contains("cannot exclude packages"),
            "{:?}",
            r.warnings
        );
        // Alone, the catch-all runs every known package whole.
        let alone = Fixture::new(vec![fixture().shards.concat()]);
        assert_eq!(
            alone
                .render(&Go, Granularity::Test, 0, Some(0))
                .command_lines(),
            ["go test example.com/sp/a example.com/sp/b github.com/x/y.v2/pkg"]
        );
    }

    #[test]
    fn packages_share_a_command_only_when_the_union_stays_exact() {
        // TestShared is planned here in a and c, but elsewhere in b: b must
        // not get a pattern naming it. d has nothing in common with anyone.
        let f = Fixture::new(vec![
            vec![
                test_id("example.com/a", "TestShared"),
                test_id("example.com/b", "TestB"),
                test_id("example.com/c", "TestShared"),
                test_id("example.com/d", "TestD"),
            ],
            vec![
                test_id("example.com/a", "TestA2"),
                test_id("example.com/b", "TestShared"),
                test_id("example.com/c", "TestC2"),
                test_id("example.com/d", "TestD2"),
            ],
        ]);
        assert_eq!(
            f.render(&Go, Granularity::Test, 0, None).command_lines(),
            [
                "go test -run '^(TestD|TestShared)$' example.com/a example.com/c example.com/d",
                "go test -run '^TestB$' example.com/b",
            ]
        );
        assert_eq!(
            f.render(&Go, Granularity::Test, 1, None).command_lines(),
            [
                "go test -run '^(TestA2|TestC2|TestD2)$' example.com/a example.com/c example.com/d",
                "go test -run '^TestShared$' example.com/b",
            ]
        );
        // The catch-all leaves to shard 0 every name its commands select.
        let catch_all = f.render(&Go, Granularity::Test, 1, Some(1)).command_lines();
        assert_eq!(
            catch_all[0],
            format!(
                "go test -run '{}' example.com/a example.com/c example.com/d",
                regex_complement(&["TestD", "TestShared"])
            )
        );
        assert_eq!(
            catch_all[1],
            format!(
                "go test -run '{}' example.com/b",
                regex_complement(&["TestB"])
            )
        );
    }

    #[test]
    fn a_name_reached_in_a_package_from_one_shard_is_not_reached_from_another() {
        // Shard 0 runs a and b together: a test added to b as TestX would
        // run there. So shard 1 must not run b with c's TestX too.
        let f = Fixture::new(vec![
            vec![test_id("ex/a", "TestX"), test_id("ex/b", "TestA")],
            vec![test_id("ex/b", "TestB"), test_id("ex/c", "TestX")],
            vec![test_id("ex/a", "TestY"), test_id("ex/c", "TestW")],
        ]);
        let lines = |shard| {
            f.render(&Go, Granularity::Test, shard, None)
                .command_lines()
        };
        assert_eq!(lines(0), ["go test -run '^(TestA|TestX)$' ex/a ex/b"]);
        assert_eq!(
            lines(1),
            ["go test -run '^TestB$' ex/b", "go test -run '^TestX$' ex/c"]
        );
        assert_eq!(lines(2), ["go test -run '^(TestW|TestY)$' ex/a ex/c"]);
    }

    #[test]
    fn render_escapes_names_and_quotes_words() {
        // Not valid go test names, but the escaping must still hold.
        let f = Fixture::new(vec![
            vec![
                test_id("example.com/it's", "Test[a]|b"),
                test_id("example.com/it's", "Test$(x)"),
            ],
            vec![test_id("example.com/it's", "TestOther")],
        ]);
        assert_eq!(
            f.render(&Go, Granularity::Test, 0, None).command_lines(),
            [r"go test -run '^(Test\$\(x\)|Test\[a\]\|b)$' 'example.com/it'\''s'"]
        );
    }

    #[test]
    fn renders_packages_whole_at_coarse_granularity() {
        let f = Fixture::new(vec![
            vec![
                test_id("example.com/sp/b", "TestB"),
                test_id("./odd dir", "TestO"),
            ],
            vec![test_id("example.com/sp/a", "TestA")],
        ]);
        assert_eq!(
            f.render(&Go, Granularity::File, 0, None).command_lines(),
            ["go test './odd dir' example.com/sp/b"]
        );
        assert_eq!(
            f.render(&Go, Granularity::Class, 1, None).command_lines(),
            ["go test example.com/sp/a"]
        );
    }

    #[test]
    fn empty_shard_prints_no_command() {
        let f = Fixture::new(vec![vec![test_id("p", "TestA")], vec![]]);
        let r = f.render(&Go, Granularity::Test, 1, None);
        assert!(r.command_lines().is_empty());
        assert!(
            r.notices[0].contains("shard 1 has nothing to run"),
            "{:?}",
            r.notices
        );
    }

    #[test]
    fn huge_packages_split_into_several_commands() {
        let names: Vec<TestId> = (0..20_000)
            .map(|i| test_id("example.com/big", &format!("TestNumber{i:05}")))
            .collect();
        let f = Fixture::new(vec![
            names.clone(),
            vec![test_id("example.com/big", "TestOther")],
        ]);
        let lines = f.render(&Go, Granularity::Test, 0, None).command_lines();
        assert!(lines.len() > 1);
        let mut seen = 0;
        for line in &lines {
            assert!(line.len() <= SAFE_COMMAND_BYTES, "{}", line.len());
            assert!(line.ends_with(" example.com/big"));
            seen += line.matches("TestNumber").count();
        }
        assert_eq!(seen, names.len());
    }

    #[test]
    fn ids_written_in_a_shared_scope_are_the_ids_named_alone() {
        let cases = [
            case("TestA", "example.com/m/a"),
            case("TestB", "example.com/m/a"),
            case("TestA/sub", "example.com/m/a"),
            case("BenchmarkX", "example.com/m/a"),
            case("TestC", " example.com/m/b "),
            test_support::case("TestD", None, Some("example.com/m/c"), None, Dialect::Go),
            test_support::case("TestE", Some(" "), None, None, Dialect::Go),
            case("TestF", "example.com/m/a"),
        ];
        test_support::assert_ids_in_a_shared_scope(&Go, &cases);
    }
}
