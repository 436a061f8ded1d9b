//! The folder layout is the architecture: layers that only import
//! downward (ARCHITECTURE.md). This test reads every source file and fails
//! on an import that reaches up a layer, or on clap outside the command
//! layer, naming the file and the line, so a shortcut cannot creep back in.
//! Unit-test modules (`#[cfg(test)]` to the end of a file) may use anything.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first, and the top-level modules in each.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "model",
        &[
            "duration", "error", "identity", "bars", "warnings", "choice", "case", "naming", "text",
        ],
    ),
    ("readers", &["report", "inputs"]),
    (
        "timing table and history store",
        &["timing", "history", "learned"],
    ),
    ("planning", &["plan"]),
    ("rendering", &["emit"]),
    (
        "library API",
        &[
            "options",
            "pipeline",
            "shard",
            "frozen",
            "summary",
            "step_summary",
            "explain",
            "whatif",
            "ci_env",
            "exec",
            "flaky",
            "rerun",
            "costs",
        ],
    ),
    ("command layer", &["app", "cli", "commands", "main"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/plan/lpt.rs`: plan).
fn module_of(path: &Path, src: &Path) -> String {
    let relative = path.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// The file's lines up to its unit tests, without comments.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .map(|(i, line)| (i + 1, line.split("//").next().unwrap_or("")))
}

#[test]
fn every_layer_imports_only_the_layers_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file, &src);
        let shown = file.strip_prefix(root).unwrap().display();
        if module == "lib" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            violations.push(format!(
                "{shown}: module `{module}` is in no layer: add it to LAYERS and ARCHITECTURE.md"
            ));
            continue;
        };
        let text = fs::read_to_string(file).unwrap();
        for (number, line) in code_lines(&text) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let used: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(theirs) = layer_of(&used)
                    && theirs > own
                {
                    violations.push(format!(
                        "{shown}:{number}: {} ({}) reaches up to {} ({})",
                        module, LAYERS[own].0, used, LAYERS[theirs].0
                    ));
                }
            }
            let command_layer = own == LAYERS.len() - 1;
            if !command_layer && (line.contains("clap::") || line.contains("use clap")) {
                violations.push(format!("{shown}:{number}: clap outside the command layer"));
            }
        }
    }
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}
