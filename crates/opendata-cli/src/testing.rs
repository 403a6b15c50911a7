//! Support for the tools' own tests (feature `testing`): the failure report every tool must
//! print — one report naming the file, each cause once, the documented exit code.

// Test assertions: panicking is how they report.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::ffi::OsStr;
use std::path::Path;

/// Runs the binary and checks its failure report: the exit code, one report on standard
/// error whose first line starts with the program's name and names `path`, and no cause twice.
pub fn fails_with(program: &str, args: &[&OsStr], code: i32, path: &Path) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    // One report, on its first line: the program, the path, the cause (a parser may add the
    // offending line with a caret below it).
    let name = Path::new(program).file_name().unwrap().to_string_lossy();
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with(&format!("{name}: ")), "{stderr}");
    assert_eq!(
        stderr.matches(&format!("{name}: ")).count(),
        1,
        "one report: {stderr}"
    );
    assert!(
        first.contains(&path.display().to_string()),
        "names {}: {stderr}",
        path.display()
    );
    for cause in ["(os error", "Is a directory", "No such file"] {
        assert!(
            stderr.matches(cause).count() <= 1,
            "`{cause}` more than once: {stderr}"
        );
    }
    stderr
}
