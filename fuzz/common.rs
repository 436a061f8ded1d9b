//! What the targets that plan share: how the first input byte chooses the
//! plan, and each planned item's shard (asserting none is planned twice).

use std::collections::HashMap;

use shardplan::emit::Granularity;
use shardplan::plan::Plan;

/// The shard count (1 to 4) and granularity the control byte picks.
pub fn planning(control: u8) -> (usize, Granularity) {
    let shards = usize::from(control % 4) + 1;
    let by =
        [Granularity::Test, Granularity::Class, Granularity::File][usize::from(control / 4 % 3)];
    (shards, by)
}

/// The shard of every item of `plan`, by key and granularity; panics if
/// an item is on two shards.
pub fn shard_of_items(plan: &Plan) -> HashMap<(&str, Granularity), usize> {
    let mut shard_of = HashMap::new();
    for (shard, content) in plan.shards.iter().enumerate() {
        for &item in &content.items {
            let key = plan.problem.keys[item].as_str();
            let granularity = plan.problem.items[item].granularity;
            assert!(
                shard_of.insert((key, granularity), shard).is_none(),
                "item {key:?} planned twice"
            );
        }
    }
    shard_of
}
