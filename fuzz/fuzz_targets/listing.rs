//! `--tests-from` listings (each runner's own list output, or shardplan's
//! ids one per line) from any bytes, as every runner reads them: a list of
//! ids or an error naming a line of the text, never a panic. A list that
//! is read plans into 1 to 4 shards (every test new, with no timings),
//! each listed test on exactly one shard. LPT plans it, as it is quick:
//! the planners themselves are the `pipeline` target's to fuzz.
#![no_main]

use std::collections::HashSet;

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use shardplan::choice::Choice;
use shardplan::emit::{Granularity, RunnerKind};
use shardplan::plan::{self, Algorithm, Costs, Plan};
use shardplan::timing::{self, TimingTable};

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let (shards, by) = common::planning(control);
    let text = String::from_utf8_lossy(input);
    let lines = text.lines().count();
    for kind in <RunnerKind as Choice>::ALL {
        let runner = kind.runner();
        let ids = match runner.parse_listing(&text) {
            Ok(ids) => ids,
            Err(error) => {
                assert!(
                    error.line >= 1 && error.line <= lines.max(1),
                    "--runner {}: line {} of {lines}: {}",
                    runner.name(),
                    error.line,
                    error.message
                );
                continue;
            }
        };
        let (table, _) = TimingTable::build(&[], runner.as_ref());
        let suite = timing::suite(table, Some(&ids), runner.as_ref());
        let listed: HashSet<&str> = ids.iter().map(|id| id.native.as_str()).collect();
        assert_eq!(suite.tests.len(), listed.len(), "every listed test, once");
        let problem = plan::problem(&suite, by, shards, &Costs::default());
        let Ok(plan) = Plan::build(problem, Algorithm::Lpt.planner().as_ref()) else {
            continue;
        };
        let shard_of = common::shard_of_items(&plan);
        for id in suite.ids() {
            let placed = [by, Granularity::Test]
                .iter()
                .any(|&g| shard_of.contains_key(&(id.key(g), g)));
            assert!(
                placed,
                "listed test {:?} is on no shard",
                id.native.as_str()
            );
        }
    }
});
