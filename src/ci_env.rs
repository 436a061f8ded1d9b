//! Which shard this CI job is, from the variables CI providers set for
//! parallel jobs, when `--index`/`--shards` are not given.
//!
//! Each provider sets an index and a count; some count from 1. An explicit
//! `--index`/`--shards`/`--shard` always wins over the environment. When
//! several providers' variables are set, the first in [`PROVIDERS`] is used
//! (and the summary names the one it shadowed): shardplan's own variables,
//! then Bazel's (a sharded test action runs *inside* some CI job, so its
//! variables are the more specific), then the CI services.
//!
//! GitHub Actions sets no such variables: a matrix job passes
//! `--index ${{ strategy.job-index }} --shards ${{ strategy.job-total }}`.

use crate::error::{Error, Result};

/// One provider's pair of variables.
#[derive(Debug, PartialEq, Eq)]
pub struct Provider {
    /// How the summary names the provider.
    pub name: &'static str,
    /// The variable holding this job's index.
    pub index_var: &'static str,
    /// The variable holding the number of parallel jobs.
    pub count_var: &'static str,
    /// The index of the first job: 0 or 1.
    pub base: u64,
}

/// Every provider shardplan reads, in order of precedence.
pub const PROVIDERS: [Provider; 8] = [
    Provider {
        name: "shardplan",
        index_var: "SHARDPLAN_INDEX",
        count_var: "SHARDPLAN_SHARDS",
        base: 0,
    },
    Provider {
        name: "Bazel",
        index_var: "TEST_SHARD_INDEX",
        count_var: "TEST_TOTAL_SHARDS",
        base: 0,
    },
    Provider {
        name: "GitLab CI",
        index_var: "CI_NODE_INDEX",
        count_var: "CI_NODE_TOTAL",
        base: 1,
    },
    Provider {
        name: "CircleCI",
        index_var: "CIRCLE_NODE_INDEX",
        count_var: "CIRCLE_NODE_TOTAL",
        base: 0,
    },
    Provider {
        name: "Buildkite",
        index_var: "BUILDKITE_PARALLEL_JOB",
        count_var: "BUILDKITE_PARALLEL_JOB_COUNT",
        base: 0,
    },
    Provider {
        name: "Semaphore",
        index_var: "SEMAPHORE_JOB_INDEX",
        count_var: "SEMAPHORE_JOB_COUNT",
        base: 1,
    },
    Provider {
        name: "Azure Pipelines",
        index_var: "SYSTEM_JOBPOSITIONINPHASE",
        count_var: "SYSTEM_TOTALJOBSINPHASE",
        base: 1,
    },
    Provider {
        name: "Bitbucket Pipelines",
        index_var: "BITBUCKET_PARALLEL_STEP",
        count_var: "BITBUCKET_PARALLEL_STEP_COUNT",
        base: 0,
    },
];

/// The most shards `--shards` accepts; a count beyond it is a bad value.
const MAX_SHARDS: u64 = 100_000;

/// This job's shard as a provider's variables give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// Whose variables they are.
    pub provider: &'static Provider,
    /// The shard, 0-based.
    pub index: usize,
    /// The number of shards.
    pub count: usize,
    /// A lower-precedence provider whose variables are also set, ignored.
    pub shadowed: Option<&'static Provider>,
}

impl Detected {
    /// Where the shard came from, for the summary:
    /// `GitLab CI: CI_NODE_INDEX=2 of CI_NODE_TOTAL=4 (1-based)`.
    pub fn describe(&self) -> String {
        let p = self.provider;
        let mut text = format!(
            "{}: {}={} of {}={} ({}-based)",
            p.name,
            p.index_var,
            self.index as u64 + p.base,
            p.count_var,
            self.count,
            p.base
        );
        if let Some(other) = self.shadowed {
            text += &format!(
                "; {}'s {}/{} are also set and were ignored",
                other.name, other.index_var, other.count_var
            );
        }
        text
    }
}

/// Reads the shard from the environment through `lookup` (a variable's
/// value, or `None` when unset; an empty value counts as unset). `Ok(None)`
/// when no provider's variables are set. A provider with only one of its
/// two variables, a value that is not a number, a count of 0 or an index
/// out of range is a usage error naming the variable and its value.
pub fn detect(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<Detected>> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let present = |p: &Provider| get(p.index_var).is_some() || get(p.count_var).is_some();
    let Some(at) = PROVIDERS.iter().position(present) else {
        return Ok(None);
    };
    let provider = &PROVIDERS[at];
    let shadowed = PROVIDERS[at + 1..].iter().find(|p| present(p));
    let value = |var: &str, other: &str| -> Result<u64> {
        let raw = get(var).ok_or_else(|| {
            Error::usage(format!(
                "{other} is set but {var} is not: {} sets both for a parallel job; set the other or pass --shards N --index I",
                provider.name
            ))
        })?;
        raw.trim().parse::<u64>().map_err(|_| {
            Error::usage(format!(
                "{var}={raw:?} is not a whole number (it should hold {})",
                if var == provider.index_var {
                    format!("this job's {}-based index", provider.base)
                } else {
                    "the number of parallel jobs".to_string()
                }
            ))
        })
    };
    let count = value(provider.count_var, provider.index_var)?;
    let index = value(provider.index_var, provider.count_var)?;
    if count == 0 || count > MAX_SHARDS {
        return Err(Error::usage(format!(
            "{}={count} is not a number of shards (1 to {MAX_SHARDS})",
            provider.count_var
        )));
    }
    let last = count - 1 + provider.base;
    if index < provider.base || index > last {
        return Err(Error::usage(format!(
            "{}={index} is out of range for {}={count}: {}'s index is {}-based, from {} to {last}",
            provider.index_var, provider.count_var, provider.name, provider.base, provider.base
        )));
    }
    Ok(Some(Detected {
        provider,
        index: (index - provider.base) as usize,
        count: count as usize,
        shadowed,
    }))
}

/// [`detect`] on the process environment.
pub fn detect_from_env() -> Result<Option<Detected>> {
    detect(&|name| std::env::var(name).ok())
}

/// The variables shardplan reads, for messages: `SHARDPLAN_INDEX/SHARDPLAN_SHARDS, …`.
pub fn variable_names() -> String {
    PROVIDERS
        .iter()
        .map(|p| format!("{}/{}", p.index_var, p.count_var))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_in(vars: &[(&str, &str)]) -> Result<Option<Detected>> {
        detect(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn shard(vars: &[(&str, &str)]) -> (&'static str, usize, usize) {
        let found = detect_in(vars).expect("valid").expect("detected");
        (found.provider.name, found.index, found.count)
    }

    #[test]
    fn every_provider_with_its_base() {
        let cases: [(&str, &str, &str, &str, usize); 8] = [
            ("SHARDPLAN_INDEX", "0", "SHARDPLAN_SHARDS", "3", 0),
            ("TEST_SHARD_INDEX", "2", "TEST_TOTAL_SHARDS", "3", 2),
            ("CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "3", 0),
            ("CIRCLE_NODE_INDEX", "2", "CIRCLE_NODE_TOTAL", "3", 2),
            (
                "BUILDKITE_PARALLEL_JOB",
                "1",
                "BUILDKITE_PARALLEL_JOB_COUNT",
                "3",
                1,
            ),
            ("SEMAPHORE_JOB_INDEX", "3", "SEMAPHORE_JOB_COUNT", "3", 2),
            (
                "SYSTEM_JOBPOSITIONINPHASE",
                "2",
                "SYSTEM_TOTALJOBSINPHASE",
                "3",
                1,
            ),
            (
                "BITBUCKET_PARALLEL_STEP",
                "0",
                "BITBUCKET_PARALLEL_STEP_COUNT",
                "3",
                0,
            ),
        ];
        for (provider, (index_var, index, count_var, count, expected)) in
            PROVIDERS.iter().zip(cases)
        {
            let found = shard(&[(index_var, index), (count_var, count)]);
            assert_eq!(found, (provider.name, expected, 3), "{index_var}");
        }
    }

    #[test]
    fn nothing_set_or_empty_values_detect_nothing() {
        assert_eq!(detect_in(&[]), Ok(None));
        assert_eq!(
            detect_in(&[("CI_NODE_INDEX", ""), ("CI_NODE_TOTAL", " ")]),
            Ok(None)
        );
    }

    #[test]
    fn one_based_indexes_are_checked_against_their_base() {
        let e = detect_in(&[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "4")]).unwrap_err();
        assert_eq!(
            e.message,
            "CI_NODE_INDEX=0 is out of range for CI_NODE_TOTAL=4: GitLab CI's index is 1-based, from 1 to 4"
        );
        assert_eq!(
            shard(&[("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "4")]),
            ("GitLab CI", 3, 4)
        );
        let e = detect_in(&[("CIRCLE_NODE_INDEX", "4"), ("CIRCLE_NODE_TOTAL", "4")]).unwrap_err();
        assert!(e.message.contains("0-based, from 0 to 3"), "{}", e.message);
    }

    #[test]
    fn bad_values_name_the_variable_and_value() {
        let e =
            detect_in(&[("SEMAPHORE_JOB_INDEX", "two"), ("SEMAPHORE_JOB_COUNT", "4")]).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Usage);
        assert_eq!(
            e.message,
            "SEMAPHORE_JOB_INDEX=\"two\" is not a whole number (it should hold this job's 1-based index)"
        );
        let e = detect_in(&[("TEST_SHARD_INDEX", "0"), ("TEST_TOTAL_SHARDS", "0")]).unwrap_err();
        assert!(
            e.message
                .starts_with("TEST_TOTAL_SHARDS=0 is not a number of shards"),
            "{}",
            e.message
        );
        let e = detect_in(&[
            ("BUILDKITE_PARALLEL_JOB", "-1"),
            ("BUILDKITE_PARALLEL_JOB_COUNT", "2"),
        ])
        .unwrap_err();
        assert!(
            e.message.contains("BUILDKITE_PARALLEL_JOB=\"-1\""),
            "{}",
            e.message
        );
        let e = detect_in(&[("BITBUCKET_PARALLEL_STEP", "1")]).unwrap_err();
        assert!(
            e.message.starts_with(
                "BITBUCKET_PARALLEL_STEP is set but BITBUCKET_PARALLEL_STEP_COUNT is not"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn precedence_is_the_table_order_and_names_the_shadowed() {
        let vars = [
            ("CIRCLE_NODE_INDEX", "1"),
            ("CIRCLE_NODE_TOTAL", "2"),
            ("SHARDPLAN_INDEX", "0"),
            ("SHARDPLAN_SHARDS", "5"),
            ("CI_NODE_INDEX", "bad"),
        ];
        let found = detect_in(&vars).unwrap().unwrap();
        assert_eq!(
            (found.provider.name, found.index, found.count),
            ("shardplan", 0, 5)
        );
        // The shadowed provider's bad value is never read.
        assert_eq!(found.shadowed.map(|p| p.name), Some("GitLab CI"));
        assert_eq!(
            found.describe(),
            "shardplan: SHARDPLAN_INDEX=0 of SHARDPLAN_SHARDS=5 (0-based); GitLab CI's CI_NODE_INDEX/CI_NODE_TOTAL are also set and were ignored"
        );
        let found = detect_in(&vars[..2]).unwrap().unwrap();
        assert_eq!(
            found.describe(),
            "CircleCI: CIRCLE_NODE_INDEX=1 of CIRCLE_NODE_TOTAL=2 (0-based)"
        );
    }
}
