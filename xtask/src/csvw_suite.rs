//! `cargo xtask csvw-suite`: runs the W3C CSVW test suite (validation, JSON, RDF and
//! non-normative manifests) offline and prints passed/failed per manifest.

use anyhow::Result;

use crate::util::{cargo, exec, project_root};

/// Runs the `testsuite` runner; `args` are passed through (`--verbose`, `--earl FILE`,
/// manifest file names). Without `--earl`, the EARL report goes to `target/csvw-earl.ttl`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "--package", "testsuite", "--"]);
    if !args.iter().any(|a| a == "--earl") {
        let report = project_root().join("target/csvw-earl.ttl");
        if let Some(dir) = report.parent() {
            std::fs::create_dir_all(dir)?;
        }
        cmd.arg("--earl").arg(report);
    }
    cmd.args(args);
    exec(&mut cmd)
}
