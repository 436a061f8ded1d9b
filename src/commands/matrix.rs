//! `shardplan matrix`: a frozen plan's shards as the JSON a GitHub Actions
//! `strategy.matrix` takes through `fromJSON`, so the plan decides how many
//! jobs run:
//!
//! ```json
//! {"include":[{"index":0,"shard":1,"count":2},{"index":1,"shard":2,"count":2}]}
//! ```
//!
//! `index` is 0-based (what `select --index` takes), `shard` 1-based, and
//! `count` the number of shards. With `--filter` each entry also holds the
//! shard's filter, its printed lines joined by newlines.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::app::{self, Streams};
use crate::error::{Error, Result};
use crate::frozen::FrozenPlan;
use crate::shard::{self, RenderOptions};

/// Options of `shardplan matrix`.
#[derive(Debug, Clone, clap::Args)]
pub struct MatrixArgs {
    /// The plan `shardplan plan` (or --json) wrote.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: PathBuf,

    /// Also give each entry the shard's filter (`filter`: its lines joined
    /// by newlines), for jobs that run it without shardplan. A shard whose
    /// selection needs a list file is an error: use `select` in the job.
    #[arg(long)]
    pub filter: bool,

    /// Print no summary on stderr (warnings are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

/// One job of the matrix.
#[derive(Debug, Serialize)]
struct Entry {
    index: usize,
    shard: usize,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<String>,
}

#[derive(Debug, Serialize)]
struct Matrix {
    include: Vec<Entry>,
}

/// Runs `shardplan matrix`.
pub fn run(args: &MatrixArgs, streams: &mut Streams<'_>) -> Result<()> {
    let plan = FrozenPlan::load(&args.plan)?;
    let count = plan.count();
    let runner = plan.doc.runner.runner();
    let members = plan.members();
    let longest_first = plan.longest_first();
    // Every shard repeats the catch-all's warnings; said once here.
    let mut warnings = BTreeSet::new();
    let mut include = Vec::with_capacity(count);
    for index in 0..count {
        let filter = if args.filter {
            let rendered = shard::render_members(
                &members,
                plan.doc.catch_all,
                &plan.doc.fingerprint,
                index,
                &RenderOptions {
                    longest_first: &longest_first,
                    ..RenderOptions::default()
                },
                runner.as_ref(),
            )?;
            if !rendered.files.is_empty() {
                return Err(Error::input(format!(
                    "shard {index}'s filter needs a list file, which the matrix cannot carry: run `shardplan select --plan {} --index {index}` in the job instead",
                    args.plan.display()
                )));
            }
            let filter = rendered.lines().join("\n");
            warnings.extend(rendered.warnings);
            Some(filter)
        } else {
            None
        };
        include.push(Entry {
            index,
            shard: index + 1,
            count,
            filter,
        });
    }
    let mut json =
        serde_json::to_string(&Matrix { include }).expect("the matrix always serialises");
    json.push('\n');
    app::write_stdout(streams.stdout, &json)?;
    if !args.quiet {
        let _ = writeln!(
            streams.stderr,
            "shardplan: plan {} from {}: {count} jobs",
            plan.doc.fingerprint,
            args.plan.display()
        );
    }
    for warning in warnings {
        let _ = writeln!(streams.stderr, "shardplan: warning: {warning}");
    }
    Ok(())
}
