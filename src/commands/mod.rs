//! The frozen-plan subcommands, one per file: a CI run plans once
//! ([`plan`]), fans out one job per shard ([`matrix`]), each job prints its
//! share of that plan ([`select`]), and a fan-in job checks that the shards
//! ran the plan exactly ([`verify`]). The plan file is [`crate::frozen`].

pub mod matrix;
pub mod plan;
pub mod select;
pub mod verify;
