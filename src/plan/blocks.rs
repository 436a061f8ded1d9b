//! Blocks: the units the constructive algorithms (LPT, largest
//! differencing, complete search) place.
//!
//! An item whose group has no setup cost is a block of its own. A group
//! with a setup cost is one block (its items stay together), unless it is
//! bigger than a shard should be: then it is cut into near-equal pieces
//! that fit, each paying the setup. How many: at least its weight over the
//! room a shard leaves it, and at least what its heaviest items need when
//! only so many fit together ([`super::min_pieces`]: eight 40s tests in
//! 75s of room are eight pieces, not five, since no two fit together);
//! then, should the near-equal cut still leave a piece too big, a few more.
//! Which size fits is a fixed point: cutting a group adds setups, which
//! raises the mean load, which lets pieces be bigger; a few rounds settle
//! it.

use std::cmp::Reverse;

use super::cost::weight;
use super::{Problem, min_pieces};
use crate::duration::Micros;

/// Items placed together, and what they weigh together (one setup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Item indexes, ascending.
    pub items: BlockItems,
    /// The group of the items.
    pub group: usize,
    /// Sum of the items' weights plus the group's setup.
    pub weight: Micros,
}

/// A block's item indexes: most blocks hold one item (every item of a
/// group without setup is a block of its own), kept inline so that a
/// million of them cost no allocation; a boxed slice keeps a block at 32
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockItems {
    /// A single item.
    One(usize),
    /// Several items, ascending.
    Many(Box<[usize]>),
}

const _: () = assert!(std::mem::size_of::<Block>() == 32);

impl std::ops::Deref for BlockItems {
    type Target = [usize];

    fn deref(&self) -> &[usize] {
        match self {
            BlockItems::One(item) => std::slice::from_ref(item),
            BlockItems::Many(items) => items,
        }
    }
}

impl<'a> IntoIterator for &'a BlockItems {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A block of one item of a group without setup, in 8 bytes: what
/// [`Blocks::Singles`] holds instead of a [`Block`] each, as a million of
/// them are sorted while the suite and its items are held. The weight's
/// complement (it fits 32 bits) is the high half and the item the low
/// half, so that ordering the integers puts the heaviest first, then the
/// lowest item: the one comparison a sort needs. The item's group is the
/// item's to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Single(u64);

impl Single {
    /// The single of item `item` weighing `weight`, both under 2^32.
    fn new(weight: u32, item: u32) -> Single {
        Single(u64::from(!weight) << 32 | u64::from(item))
    }

    /// The item's [`weight`].
    pub fn weight(self) -> Micros {
        Micros::from(!((self.0 >> 32) as u32))
    }

    /// The item's index.
    pub fn item(self) -> usize {
        self.0 as u32 as usize
    }
}

/// The blocks of a problem in [`blocks`] order, held as cheaply as they
/// can be. Without a setup anywhere every item is a block of its own, and
/// at a million items 32-byte [`Block`]s were the largest thing planning
/// held beside the problem: then each block is a [`Single`], half that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocks {
    /// No group has a setup: one block per item, by (weight descending,
    /// item ascending), the order [`blocks`] gives them.
    Singles(Vec<Single>),
    /// The blocks as [`blocks`] gives them.
    Blocks(Vec<Block>),
}

impl Blocks {
    /// The blocks of `problem` given `floor` (see [`blocks_above`]).
    pub fn of(problem: &Problem, floor: Micros) -> Blocks {
        // Items and weights (durations under 71 minutes) in 32 bits each.
        let fits = u32::try_from(problem.items.len()).is_ok()
            && u32::try_from(problem.groups.len()).is_ok()
            && problem
                .items
                .iter()
                .all(|item| u32::try_from(item.duration).is_ok());
        if problem.has_setups() || !fits {
            return Blocks::Blocks(blocks_above(problem, floor));
        }
        let mut singles: Vec<Single> = problem
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| Single::new(item.duration.max(1) as u32, index as u32))
            .collect();
        // Items differ, so the order is total and an unstable sort gives
        // the one result.
        singles.sort_unstable();
        Blocks::Singles(singles)
    }

    /// How many blocks there are.
    pub fn len(&self) -> usize {
        match self {
            Blocks::Singles(singles) => singles.len(),
            Blocks::Blocks(blocks) => blocks.len(),
        }
    }

    /// Whether there is no block (no item).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each block's weight, in block order.
    pub fn weights(&self) -> Vec<Micros> {
        match self {
            Blocks::Singles(singles) => singles.iter().map(|s| s.weight()).collect(),
            Blocks::Blocks(blocks) => blocks.iter().map(|b| b.weight).collect(),
        }
    }

    /// Calls `f` with every item of block `block`, ascending.
    pub fn for_each_item(&self, block: usize, mut f: impl FnMut(usize)) {
        match self {
            Blocks::Singles(singles) => f(singles[block].item()),
            Blocks::Blocks(blocks) => blocks[block].items.iter().for_each(|&i| f(i)),
        }
    }
}

/// Rounds of the fixed point that sizes pieces; it settles in two or three.
const ROUNDS: usize = 8;

/// The blocks of `problem`, sorted by (weight descending, first item).
pub fn blocks(problem: &Problem) -> Vec<Block> {
    blocks_above(
        problem,
        problem.lower_bound().value - problem.shard_overhead,
    )
}

/// [`blocks`] given `floor`, the problem's lower bound less the shard
/// overhead, for a caller that has it already: at a million items the
/// bound's sort is worth doing once.
pub fn blocks_above(problem: &Problem, floor: Micros) -> Vec<Block> {
    let members = problem.members();
    let shards = problem.shards.max(1) as u128;
    let sums: Vec<Micros> = members
        .iter()
        .map(|items| items.iter().map(|&i| weight(problem, i as usize)).sum())
        .collect();
    let total: u128 = sums.iter().map(|&s| u128::from(s)).sum::<u128>()
        + problem
            .groups
            .iter()
            .zip(members.iter())
            .filter(|(_, m)| !m.is_empty())
            .map(|(g, _)| u128::from(g.setup))
            .sum::<u128>();
    // Weights of each group's items, heaviest first; filled when a group
    // first turns out too big for a shard.
    let mut sorted: Vec<Option<Vec<Micros>>> = vec![None; members.len()];
    let mut pieces = vec![1usize; members.len()];
    let mut target = floor;
    for _ in 0..ROUNDS {
        let extra: u128 = pieces
            .iter()
            .zip(&problem.groups)
            .map(|(&k, g)| (k as u128 - 1) * u128::from(g.setup))
            .sum();
        target = floor.max((total + extra).div_ceil(shards) as Micros);
        let next: Vec<usize> = (0..members.len())
            .map(|g| {
                let (items, setup, sum) = (members.group(g), problem.groups[g].setup, sums[g]);
                if items.is_empty() || setup == 0 || sum.saturating_add(setup) <= target {
                    return 1;
                }
                let room = target.saturating_sub(setup).max(1);
                let weights = sorted[g].get_or_insert_with(|| {
                    let mut w: Vec<Micros> =
                        items.iter().map(|&i| weight(problem, i as usize)).collect();
                    w.sort_unstable_by(|a, b| b.cmp(a));
                    w
                });
                // As many pieces as the room needs: by total, and by how
                // many of the heaviest items fit together.
                let cap = items.len().min(problem.shards);
                min_pieces(weights, u128::from(sum), room)
                    .unwrap_or(cap)
                    .clamp(1, cap)
            })
            .collect();
        if next == pieces {
            break;
        }
        pieces = next;
    }

    // Room for the pieces the fixed point chose (and one block for each
    // item without setup): no regrowing a million blocks. Where a cut
    // needs more pieces than chosen ([`fitting_split`]), it grows once.
    let mut blocks = Vec::with_capacity(
        members
            .iter()
            .zip(&problem.groups)
            .zip(&pieces)
            .map(|((items, group), &k)| if group.setup == 0 { items.len() } else { k })
            .sum(),
    );
    for (group, items) in members.iter().enumerate() {
        let setup = problem.groups[group].setup;
        if items.is_empty() {
            continue;
        }
        if setup == 0 {
            blocks.extend(items.iter().map(|&i| Block {
                items: BlockItems::One(i as usize),
                group,
                weight: weight(problem, i as usize),
            }));
            continue;
        }
        for mut piece in fitting_split(problem, items, pieces[group], target.saturating_sub(setup))
        {
            piece.sort_unstable();
            let sum: Micros = piece.iter().map(|&i| weight(problem, i)).sum();
            blocks.push(Block {
                items: BlockItems::Many(piece.into_boxed_slice()),
                group,
                weight: sum + setup,
            });
        }
    }
    // Blocks partition the items, so first items differ and the order is
    // total: an unstable sort gives the one result.
    // Weights rarely tie, so the first items are read only when they do.
    blocks.sort_unstable_by(|a, b| {
        b.weight
            .cmp(&a.weight)
            .then_with(|| a.items[0].cmp(&b.items[0]))
    });
    blocks
}

/// Extra pieces [`fitting_split`] tries beyond the count the fixed point
/// gives.
const EXTRA_PIECES: usize = 4;

/// `items` cut by [`split`] into `k` pieces, or up to [`EXTRA_PIECES`]
/// more while a piece exceeds `room` (a shard's share less the setup) and
/// there are items and shards for more.
fn fitting_split(problem: &Problem, items: &[u32], k: usize, room: Micros) -> Vec<Vec<usize>> {
    let mut pieces = split(problem, items, k);
    if k <= 1 {
        return pieces;
    }
    let cap = items.len().min(problem.shards);
    for more in (k + 1..=cap).take(EXTRA_PIECES) {
        let fits = pieces
            .iter()
            .all(|p| p.iter().map(|&i| weight(problem, i)).sum::<Micros>() <= room);
        if fits {
            break;
        }
        pieces = split(problem, items, more);
    }
    pieces
}

/// `items` cut into `k` near-equal pieces by LPT (heaviest first to the
/// lightest piece, the lowest index on ties). No piece is empty.
fn split(problem: &Problem, items: &[u32], k: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = items.iter().map(|&i| i as usize).collect();
    if k <= 1 {
        return vec![order];
    }
    order.sort_by_key(|&i| (Reverse(weight(problem, i)), i));
    let mut pieces: Vec<(Micros, Vec<usize>)> = vec![(0, Vec::new()); k];
    for item in order {
        let lightest = (0..k)
            .min_by_key(|&p| (pieces[p].0, p))
            .expect("k is at least 2");
        pieces[lightest].0 += weight(problem, item);
        pieces[lightest].1.push(item);
    }
    pieces.into_iter().map(|(_, items)| items).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{one_file_worth_splitting, two_files_with_heavy_setups};
    use super::*;

    #[test]
    fn items_without_setup_are_blocks_of_their_own() {
        let p = Problem::plain(&[("a", 5), ("b", 7)], 2);
        let b = blocks(&p);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].items[..], [1]);
        assert_eq!(b[0].weight, 7);
    }

    #[test]
    fn singles_are_the_blocks_of_a_problem_without_setups() {
        let p = Problem::plain(&[("a", 5), ("b", 7), ("c", 5), ("d", 0), ("e", 7)], 2);
        let Blocks::Singles(singles) = Blocks::of(&p, 0) else {
            panic!("no setups: singles");
        };
        let from_blocks: Vec<(Micros, Vec<usize>, usize)> = blocks(&p)
            .into_iter()
            .map(|b| (b.weight, b.items.to_vec(), b.group))
            .collect();
        let from_singles: Vec<(Micros, Vec<usize>, usize)> = singles
            .iter()
            .map(|s| {
                let item = s.item();
                (s.weight(), vec![item], p.items[item].group_index())
            })
            .collect();
        assert_eq!(from_singles, from_blocks);
        // With a setup, the blocks are kept as they are.
        let p = two_files_with_heavy_setups();
        assert_eq!(
            Blocks::of(&p, p.lower_bound().value),
            Blocks::Blocks(blocks(&p))
        );
    }

    #[test]
    fn groups_with_setup_stay_whole_unless_oversized() {
        let p = two_files_with_heavy_setups();
        let b = blocks(&p);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].weight, 50);

        // One file of four 10s tests, 5s setup, two shards: two pieces.
        let p = one_file_worth_splitting();
        let b = blocks(&p);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].weight, 25);
        assert_eq!(b[1].weight, 25);
    }
}
