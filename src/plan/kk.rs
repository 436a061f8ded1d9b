//! Karmarkar–Karp largest differencing for k-way partitioning.
//!
//! Each number starts as a partial partition `(w, 0, …, 0)`. The two
//! partial partitions whose largest and smallest sums differ most are
//! merged, the largest subset of one with the smallest of the other, until
//! one partition is left. On many numbers it is far better than LPT; on a
//! few per shard it is a different starting point for the local search.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::duration::Micros;

/// Largest `numbers × k` worked on (memory and time grow with it). Beyond
/// it items are small and many, where LPT is already within a hair.
pub const MAX_CELLS: usize = 1 << 18;

const NONE: usize = usize::MAX;

/// One subset of a partial partition: its sum and a linked list of numbers.
#[derive(Debug, Clone, Copy)]
struct Subset {
    sum: Micros,
    head: usize,
    tail: usize,
}

/// For each of `weights`, the subset (0..k) it goes to, subsets by sum
/// descending; `None` above [`MAX_CELLS`]. Deterministic: ties between
/// partial partitions go to the older one, ties between sums keep order.
pub fn partition(weights: &[Micros], k: usize) -> Option<Vec<usize>> {
    let k = k.max(1);
    if weights.is_empty() || weights.len().saturating_mul(k) > MAX_CELLS {
        return None;
    }
    // `next[i]` links number i to the next one in its subset.
    let mut next = vec![NONE; weights.len()];
    let mut partials: Vec<Option<Vec<Subset>>> = Vec::with_capacity(2 * weights.len());
    let mut heap: BinaryHeap<(Micros, Reverse<usize>)> = BinaryHeap::new();
    for (i, &w) in weights.iter().enumerate() {
        let mut subsets = vec![
            Subset {
                sum: 0,
                head: NONE,
                tail: NONE,
            };
            k
        ];
        subsets[0] = Subset {
            sum: w,
            head: i,
            tail: i,
        };
        heap.push((w, Reverse(partials.len())));
        partials.push(Some(subsets));
    }
    while heap.len() > 1 {
        let (Some((_, Reverse(a))), Some((_, Reverse(b)))) = (heap.pop(), heap.pop()) else {
            unreachable!("the heap holds at least two partitions");
        };
        let a = partials[a].take().expect("each partition is merged once");
        let b = partials[b].take().expect("each partition is merged once");
        let mut merged: Vec<Subset> = (0..k)
            .map(|j| concat(&mut next, a[j], b[k - 1 - j]))
            .collect();
        merged.sort_by_key(|s| Reverse(s.sum));
        let spread = merged[0].sum - merged[k - 1].sum;
        heap.push((spread, Reverse(partials.len())));
        partials.push(Some(merged));
    }
    let (_, Reverse(last)) = heap.pop()?;
    let subsets = partials[last].take()?;
    let mut assignment = vec![0; weights.len()];
    for (j, subset) in subsets.iter().enumerate() {
        let mut i = subset.head;
        while i != NONE {
            assignment[i] = j;
            i = next[i];
        }
    }
    Some(assignment)
}

/// Joins two subsets' lists in O(1).
fn concat(next: &mut [usize], a: Subset, b: Subset) -> Subset {
    if a.head == NONE {
        return Subset { sum: b.sum, ..b };
    }
    if b.head == NONE {
        return a;
    }
    next[a.tail] = b.head;
    Subset {
        sum: a.sum + b.sum,
        head: a.head,
        tail: b.tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(weights: &[Micros], k: usize) -> Vec<Micros> {
        let assignment = partition(weights, k).unwrap();
        let mut sums = vec![0; k];
        for (w, s) in weights.iter().zip(assignment) {
            sums[s] += w;
        }
        sums
    }

    #[test]
    fn two_way_differencing_finds_the_classic_partition() {
        // KK on {8,7,6,5,4}: 8-7=1, 6-5=1, {4,1,1} -> 4-1=3, 3-1=2: sums 16, 14.
        assert_eq!(sums(&[8, 7, 6, 5, 4], 2), vec![16, 14]);
    }

    #[test]
    fn every_number_lands_once_and_k_way_balances() {
        let weights: Vec<Micros> = (1..=30).map(|i| i * 37 % 101 + 1).collect();
        let s = sums(&weights, 4);
        assert_eq!(s.iter().sum::<Micros>(), weights.iter().sum::<Micros>());
        let spread = s.iter().max().unwrap() - s.iter().min().unwrap();
        assert!(spread <= 2, "{s:?}");
    }

    #[test]
    fn too_many_cells_is_declined() {
        assert!(partition(&vec![1; MAX_CELLS], 2).is_none());
        assert!(partition(&[], 2).is_none());
        assert_eq!(partition(&[5], 3), Some(vec![0]));
    }
}
