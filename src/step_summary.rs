//! `--summary markdown`: a table of the shards for a CI job's summary page,
//! with bars ([`crate::bars`]) scaled to the slowest shard. It is appended to
//! `--summary-file`, else to `$GITHUB_STEP_SUMMARY` when GitHub Actions set
//! it, else written to stderr.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::bars;
use crate::duration::{Micros, human};
use crate::error::{Error, Result};
use crate::frozen::Document;

/// A summary table asked for: where it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryRequest {
    /// The file to append to; `None`: `$GITHUB_STEP_SUMMARY` when set, else
    /// stderr.
    pub file: Option<PathBuf>,
}

/// Width of a full bar, in characters.
const BAR_WIDTH: usize = 24;

/// A Markdown table: a heading, rows of cells each with a bar, and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The heading above the table.
    pub title: String,
    /// Column headings; right-aligned but the first, and a bar column after.
    pub headers: Vec<String>,
    /// Each row's cells and the value its bar shows.
    pub rows: Vec<(Vec<String>, Micros)>,
    /// Paragraphs below the table.
    pub notes: Vec<String>,
}

impl Table {
    /// The table as Markdown, bars scaled to the largest value.
    pub fn to_markdown(&self) -> String {
        let max = self.rows.iter().map(|(_, v)| *v).max().unwrap_or(0);
        let mut out = format!("### {}\n\n|", self.title);
        for header in &self.headers {
            out += &format!(" {header} |");
        }
        out += " |\n|";
        for i in 0..self.headers.len() {
            out += if i == 0 { ":---|" } else { "---:|" };
        }
        out += ":---|\n";
        for (cells, value) in &self.rows {
            out += "|";
            for cell in cells {
                out += &format!(" {cell} |");
            }
            let bar = bars::bar(*value, max, BAR_WIDTH);
            out += &format!(" {} |\n", bar.trim_end());
        }
        for note in &self.notes {
            out += &format!("\n{note}\n");
        }
        out.push('\n');
        out
    }
}

/// The table of a plan's shards; `this` marks the job's own shard, and
/// `catch_all` the shard that runs every test not in the plan: the plan's,
/// unless its render declined ([`crate::emit::Rendered::declined_catch_all`]).
pub fn plan_table(doc: &Document, this: Option<usize>, catch_all: Option<usize>) -> Table {
    let predicted = doc.predicted();
    let rows = doc
        .shards
        .iter()
        .zip(&predicted)
        .map(|(shard, &load)| {
            let mut name = shard.index.to_string();
            if Some(shard.index) == this {
                name = format!("**{name}** (this job)");
            }
            if Some(shard.index) == catch_all {
                name += " catch-all";
            }
            (vec![name, human(load), shard.test_count.to_string()], load)
        })
        .collect();
    let bound = crate::duration::seconds_to_micros(doc.lower_bound_seconds).unwrap_or(0);
    let slowest = predicted.iter().copied().max().unwrap_or(0);
    let mut notes = vec![format!(
        "{} {}, runner `{}`, by {}. Lower bound {} ({}); slowest shard {} = {:.3} × bound.",
        doc.tests_planned,
        doc.runner.runner().units(),
        doc.runner.runner().name(),
        doc.by.name(),
        human(bound),
        doc.lower_bound_reason,
        human(slowest),
        doc.ratio_to_lower_bound
    )];
    if let Some(catch_all) = catch_all {
        notes.push(format!(
            "The catch-all shard {catch_all} also runs every test not in the plan."
        ));
    }
    Table {
        title: format!(
            "shardplan: {} shards, plan `{}`",
            doc.shards.len(),
            doc.fingerprint
        ),
        headers: ["shard", "predicted", doc.runner.runner().units()]
            .map(String::from)
            .to_vec(),
        rows,
        notes,
    }
}

/// Writes `text` where `request` says (see the module docs); nothing
/// without a request. `lookup` reads an environment variable.
pub fn write(
    request: Option<&SummaryRequest>,
    text: impl FnOnce() -> String,
    lookup: &dyn Fn(&str) -> Option<String>,
    stderr: &mut dyn Write,
) -> Result<()> {
    let Some(request) = request else {
        return Ok(());
    };
    let target = request.file.clone().or_else(|| {
        lookup("GITHUB_STEP_SUMMARY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let text = text();
    match target {
        Some(path) => OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|e| Error::in_file(&path, format!("cannot write the summary: {e}"))),
        None => {
            let _ = stderr.write_all(text.as_bytes());
            Ok(())
        }
    }
}

/// [`write()`] with the process environment.
pub fn write_from_env(
    request: Option<&SummaryRequest>,
    text: impl FnOnce() -> String,
    stderr: &mut dyn Write,
) -> Result<()> {
    write(request, text, &|name| std::env::var(name).ok(), stderr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_right_align_numbers_and_end_with_bars() {
        let table = Table {
            title: "t".into(),
            headers: vec!["shard".into(), "predicted".into()],
            rows: vec![
                (vec!["0".into(), "2.0s".into()], 2),
                (vec!["1".into(), "1.0s".into()], 1),
            ],
            notes: vec!["note".into()],
        };
        assert_eq!(
            table.to_markdown(),
            format!(
                "### t\n\n| shard | predicted | |\n|:---|---:|:---|\n| 0 | 2.0s | {} |\n| 1 | 1.0s | {} |\n\nnote\n\n",
                "█".repeat(24),
                "█".repeat(12)
            )
        );
    }

    #[test]
    fn the_summary_goes_to_the_file_then_github_then_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let github = dir.path().join("github.md");
        let lookup = |name: &str| {
            (name == "GITHUB_STEP_SUMMARY").then(|| github.to_string_lossy().into_owned())
        };
        let mut request = SummaryRequest::default();
        let mut stderr = Vec::new();
        write(None, || "unused".into(), &lookup, &mut stderr).unwrap();
        assert!(!github.exists() && stderr.is_empty());
        write(Some(&request), || "one\n".into(), &lookup, &mut stderr).unwrap();
        write(Some(&request), || "two\n".into(), &lookup, &mut stderr).unwrap();
        assert_eq!(std::fs::read_to_string(&github).unwrap(), "one\ntwo\n");
        write(Some(&request), || "three\n".into(), &|_| None, &mut stderr).unwrap();
        assert_eq!(stderr, b"three\n");
        let chosen = dir.path().join("chosen.md");
        request.file = Some(chosen.clone());
        write(Some(&request), || "four\n".into(), &lookup, &mut stderr).unwrap();
        assert_eq!(std::fs::read_to_string(chosen).unwrap(), "four\n");
    }
}
