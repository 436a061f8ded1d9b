//! Plan documents and shard records as `select`, `matrix` and `merge` read
//! them (a plan job's artifact, a shard's `select --record`): any bytes
//! give a plan, a record or an error message, never a panic. A plan that
//! is accepted has every member on exactly one shard, and every shard
//! renders with the plan's runner as `select` renders it. The fast reader
//! `select` tries first reads a document as serde does, or leaves it to
//! serde.
#![no_main]

use std::collections::HashSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use shardplan::frozen::{Document, FrozenPlan, ShardRecord};
use shardplan::shard::{self, RenderOptions};
use shardplan::step_summary;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = serde_json::from_slice::<ShardRecord>(data) {
        let _ = (record.start(), record.finish(), record.launch_count());
    }
    // `FrozenPlan::load` parses the file's text when the fast reader
    // leaves it: not UTF-8 is refused before serde sees it.
    let parsed = std::str::from_utf8(data)
        .map_err(|_| ())
        .and_then(|text| serde_json::from_str::<Document>(text).map_err(|_| ()));
    let capacity = 1 + usize::from(data.first().copied().unwrap_or(0));
    let mut buffered = std::io::BufReader::with_capacity(capacity, data);
    if let Some(fast) = Document::read_fast(&mut buffered) {
        assert_eq!(parsed.as_ref().ok(), Some(&fast));
    }
    let Ok(doc) = parsed else {
        return;
    };
    let Ok(plan) = FrozenPlan::from_document(doc, Path::new("plan.json")) else {
        return;
    };
    let doc = &plan.doc;
    assert_eq!(doc.predicted().len(), plan.count());
    let _ = step_summary::plan_table(doc, Some(0), doc.catch_all).to_markdown();
    let members = plan.members();
    let longest_first = plan.longest_first();
    let runner = doc.runner.runner();
    let mut seen = HashSet::new();
    for (index, shard) in members.iter().enumerate() {
        for member in shard {
            assert!(
                seen.insert(member.test.native.as_str()),
                "{} is on two shards",
                member.test.native.as_str()
            );
        }
        let options = RenderOptions {
            list_file: None,
            template: None,
            longest_first: &longest_first,
        };
        let _ = shard::render_members(
            &members,
            doc.catch_all,
            &doc.fingerprint,
            index,
            &options,
            runner.as_ref(),
        );
    }
});
