//! The suite's checks of how C programs find the library: `library_soname` (the shared
//! library carries the SONAME `libferrocket.so`, and a program linked against it records
//! that name, not a build path) and `pkg_config` (`pkg-config --cflags --libs ferrocket`
//! through the written `ferrocket.pc` gives the include folder, the library folder and
//! `-lferrocket`, and `--modversion` the crate version).

use std::path::Path;
use std::process::Command;

use super::Layout;
use super::elf::{DT_NEEDED, DT_SONAME, dynamic_strings};
use super::programs::Outcome;

/// The SONAME `ffi/build.rs` gives the library (README: "SONAME libferrocket.so").
pub const SONAME: &str = "libferrocket.so";

fn outcome(result: Result<(), String>, scenario: &str) -> Outcome {
    match result {
        Ok(()) => Outcome::Passed,
        Err(e) => {
            eprintln!("{scenario}: {e}");
            Outcome::Failed
        }
    }
}

/// `libferrocket.so`'s SONAME is `SONAME`, and `program` (linked against it) needs it by that
/// name.
pub fn library_soname(layout: &Layout, program: &Path) -> Outcome {
    outcome(check_soname(layout, program), "library_soname")
}

fn check_soname(layout: &Layout, program: &Path) -> Result<(), String> {
    let lib = layout.profile_dir.join("libferrocket.so");
    let data = std::fs::read(&lib).map_err(|e| format!("read {}: {e}", lib.display()))?;
    let soname = dynamic_strings(&data, DT_SONAME)?;
    if soname != [SONAME] {
        return Err(format!(
            "{} has SONAME {soname:?}, want [{SONAME:?}]",
            lib.display()
        ));
    }
    let data = std::fs::read(program).map_err(|e| format!("read {}: {e}", program.display()))?;
    let needed = dynamic_strings(&data, DT_NEEDED)?;
    if !needed.iter().any(|n| n == SONAME) {
        return Err(format!(
            "{} needs {needed:?}, not {SONAME:?}",
            program.display()
        ));
    }
    Ok(())
}

/// `pkg-config` reads the written `ferrocket.pc` (in `pc_dir`) and gives the right flags and
/// version.
pub fn pkg_config(layout: &Layout, pc_dir: &Path) -> Outcome {
    outcome(check_pkg_config(layout, pc_dir), "pkg_config")
}

fn run_pkg_config(pc_dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("pkg-config")
        .args(args)
        .arg("ferrocket")
        .env("PKG_CONFIG_PATH", pc_dir)
        .output()
        .map_err(|e| format!("cannot run pkg-config: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config {} ferrocket failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn check_pkg_config(layout: &Layout, pc_dir: &Path) -> Result<(), String> {
    let flags = run_pkg_config(pc_dir, &["--cflags", "--libs"])?;
    let words: Vec<&str> = flags.split_whitespace().collect();
    let want = [
        format!("-I{}", layout.root.join("include").display()),
        format!("-L{}", layout.profile_dir.display()),
        "-lferrocket".to_owned(),
    ];
    for w in &want {
        if !words.contains(&w.as_str()) {
            return Err(format!(
                "`pkg-config --cflags --libs` gave `{flags}`: no `{w}`"
            ));
        }
    }
    let version = run_pkg_config(pc_dir, &["--modversion"])?;
    if version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "pkg-config --modversion gave `{version}`, want `{}`",
            env!("CARGO_PKG_VERSION")
        ));
    }
    let header = layout.root.join("include/ferrocket.h");
    if !header.is_file() {
        return Err(format!("{} is missing", header.display()));
    }
    Ok(())
}
