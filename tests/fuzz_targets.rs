//! The cargo-fuzz targets in `fuzz/` are a package of their own, which
//! `cargo test` does not build: a change to the library's API once broke
//! one unnoticed until the next fuzzing run. This checks that they still
//! compile (on the stable toolchain; running them needs nightly, see
//! `fuzz/smoke.sh`).

use std::path::Path;
use std::process::Command;

#[test]
fn the_fuzz_targets_compile_against_the_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A target directory of its own beside this build's, so that neither
    // waits for the other's lock nor rebuilds what the other built.
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>")
        .join("fuzz-check");
    let output = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--bins", "--manifest-path"])
        .arg(root.join("fuzz/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the fuzz targets do not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
