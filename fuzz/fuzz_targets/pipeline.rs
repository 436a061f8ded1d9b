//! The whole pipeline on arbitrary bytes: read them as a report (format
//! detected as `shardplan` detects it), plan N shards, and render every
//! shard with every runner. Asserts that every planned test is in exactly
//! one shard's members and that no printed line carries a raw newline or
//! control character (one test must never become two lines, and a report
//! must never reach the terminal's escape sequences).
//!
//! Written against the lowest-level public API (report → timing → plan →
//! emit) so that it does not depend on the command-line layers.
#![no_main]

use std::path::PathBuf;

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use shardplan::choice::Choice;
use shardplan::emit::{
    Granularity, ListFile, Member, RenderContext, RunnerKind, Shards, unprintable,
};
use shardplan::plan::{self, Algorithm, Costs, Plan};
use shardplan::report;
use shardplan::timing::{self, TimingTable};

/// Every runner `--runner` offers.
const RUNNERS: &[RunnerKind] = <RunnerKind as Choice>::ALL;

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let (shards, by) = common::planning(control);
    let catch_all_on = control & 0x80 != 0;
    let head = &input[..input.len().min(4096)];
    let formats = report::formats();
    let Some(format) = formats.iter().find(|f| f.sniff(head)) else {
        return;
    };
    let Ok(report) = format.read(&mut &input[..]) else {
        return;
    };
    let list_file = ListFile {
        path: PathBuf::from("/nonexistent/shardplan-fuzz.list"),
        // Bit 6 forces every runner's file form (`--list-file`).
        forced: control & 0x40 != 0,
    };
    for kind in RUNNERS {
        let runner = kind.runner();
        let (table, _) = TimingTable::build(&report.cases, runner.as_ref());
        let suite = timing::suite(table, None, runner.as_ref());
        let problem = plan::problem(&suite, by, shards, &Costs::default());
        let Ok(plan) = Plan::build(problem, Algorithm::Best.planner().as_ref()) else {
            continue;
        };
        // Each test goes to the shard of the item that holds it: the plan's
        // granularity, else the test itself (as `shard::members` does).
        let shard_of = common::shard_of_items(&plan);
        let mut members: Vec<Vec<Member<'_>>> = vec![Vec::new(); plan.shards.len()];
        for test in suite.ids() {
            let mut placed = 0;
            for granularity in [by, Granularity::Test] {
                if let Some(&shard) = shard_of.get(&(test.key(granularity), granularity)) {
                    members[shard].push(Member {
                        test,
                        by: granularity,
                    });
                    placed += 1;
                    break;
                }
            }
            assert_eq!(placed, 1, "test {:?} is on no shard", test.native);
        }
        let total: usize = members.iter().map(Vec::len).sum();
        assert_eq!(total, suite.tests.len(), "every test exactly once");
        let catch_all = catch_all_on
            .then(|| plan.shards.iter().rposition(|s| !s.items.is_empty()))
            .flatten();
        // The order a runner that starts groups in order gets from the plan.
        let longest_first = plan.groups_longest_first();
        for index in 0..shards {
            let ctx = RenderContext {
                index,
                shards: Shards::new(&members),
                catch_all,
                list_file: &list_file,
                longest_first: &longest_first,
            };
            let Ok(rendered) = runner.render(&ctx) else {
                continue;
            };
            for line in rendered.lines() {
                assert!(
                    unprintable(&line).is_none(),
                    "--runner {} prints a control character: {line:?}",
                    runner.name()
                );
            }
            for (path, contents) in &rendered.files {
                assert!(
                    contents.lines().all(|l| unprintable(l).is_none()),
                    "--runner {} writes a control character to {path:?}",
                    runner.name()
                );
            }
            for text in rendered.notices.iter().chain(&rendered.warnings) {
                assert!(
                    text.lines().all(|l| unprintable(l).is_none()),
                    "--runner {} says a control character: {text:?}",
                    runner.name()
                );
            }
        }
    }
});
