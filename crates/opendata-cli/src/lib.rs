#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]
// Library code reports failures as errors and never panics on input; the few places that
// cannot fail carry an `#[allow]` with the reason. Tests may unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::error::Error;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap_complete::Shell;

#[cfg(feature = "testing")]
pub mod testing;

/// The error report a binary prints on standard error: `program: message: cause: …`, each
/// cause of the chain once.
///
/// Libraries differ in whether an error's message repeats its source (`cannot read x: No
/// such file…` whose source is that same `No such file…`); a cause whose text the report
/// already holds is left out, so the reader sees every fact exactly once whatever the
/// libraries do.
pub fn error_report(program: &str, error: &(dyn Error + 'static)) -> String {
    let mut report = String::new();
    let mut next: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(cause) = next {
        let text = cause.to_string();
        let text = text.trim();
        if !text.is_empty() && !report.contains(text) {
            if !report.is_empty() {
                report.push_str(": ");
            }
            report.push_str(text);
        }
        next = cause.source();
    }
    format!("{program}: {report}")
}

/// The "Exit codes" section for a command's `after_help`, so `--help` lists the codes and
/// the man page (which renders `after_help`) does too.
pub fn exit_codes_help(codes: &[(u8, &str)]) -> String {
    let mut help = String::from("Exit codes:\n");
    for (code, meaning) in codes {
        help.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    help.truncate(help.trim_end().len());
    help
}

/// What [`write_docs`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedDocs {
    /// `man/man1/<command>.1` and one page per subcommand (`<command>-<subcommand>.1`).
    pub man_pages: Vec<PathBuf>,
    /// `completions/bash/<command>`, `completions/zsh/_<command>`,
    /// `completions/fish/<command>.fish`: the names the shells' vendor directories expect.
    pub completions: Vec<PathBuf>,
}

/// Writes the man pages (clap_mangen: the command and every subcommand) and the bash, zsh
/// and fish completions (clap_complete) of `cmd` under `dir`.
pub fn write_docs(mut cmd: clap::Command, dir: &Path) -> io::Result<GeneratedDocs> {
    let name = cmd.get_name().to_owned();
    cmd.build();
    let man_dir = dir.join("man/man1");
    fs::create_dir_all(&man_dir)?;
    let mut docs = GeneratedDocs::default();
    write_man_pages(&cmd, &name, &man_dir, &mut docs.man_pages)?;
    for (shell, sub, file) in [
        (Shell::Bash, "bash", name.clone()),
        (Shell::Zsh, "zsh", format!("_{name}")),
        (Shell::Fish, "fish", format!("{name}.fish")),
    ] {
        let shell_dir = dir.join("completions").join(sub);
        fs::create_dir_all(&shell_dir)?;
        let path = shell_dir.join(file);
        let mut out = BufWriter::new(File::create(&path)?);
        clap_complete::generate(shell, &mut cmd, &name, &mut out);
        out.flush()?;
        docs.completions.push(path);
    }
    Ok(docs)
}

fn write_man_pages(
    cmd: &clap::Command,
    page: &str,
    man_dir: &Path,
    written: &mut Vec<PathBuf>,
) -> io::Result<()> {
    let path = man_dir.join(format!("{page}.1"));
    let mut out = BufWriter::new(File::create(&path)?);
    clap_mangen::Man::new(cmd.clone().name(page.to_owned())).render(&mut out)?;
    out.flush()?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        write_man_pages(sub, &format!("{page}-{}", sub.get_name()), man_dir, written)?;
    }
    Ok(())
}

/// The hidden entry point `cargo xtask release` uses: when the arguments are exactly
/// `--generate-docs DIR`, writes the man pages and completions of `cmd()` under `DIR` and
/// returns the exit code to leave with; otherwise returns `None` and the binary parses its
/// arguments as usual. (Not a flag of the command itself, so it shows in neither `--help`
/// nor the man page.)
pub fn generate_docs_if_asked(cmd: impl FnOnce() -> clap::Command) -> Option<ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let [flag, dir] = args.as_slice() else {
        return None;
    };
    if flag != "--generate-docs" {
        return None;
    }
    let cmd = cmd();
    let program = cmd.get_name().to_owned();
    Some(match write_docs(cmd, Path::new(dir)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            let mut stderr = io::stderr().lock();
            // Nothing else can be done when standard error is gone.
            let _ = writeln!(
                stderr,
                "{}",
                error_report(&program, &CannotWrite(PathBuf::from(dir), error))
            );
            ExitCode::from(2)
        }
    })
}

#[derive(Debug)]
struct CannotWrite(PathBuf, io::Error);

impl std::fmt::Display for CannotWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot write the docs under {}: {}",
            self.0.display(),
            self.1
        )
    }
}

impl Error for CannotWrite {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read /nonexistent.csv: {}", self.0)
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_repeated_by_its_message_is_printed_once() {
        let error = Outer(io::Error::from(io::ErrorKind::NotFound));
        let report = error_report("opendata-csv", &error);
        assert_eq!(
            report,
            "opendata-csv: cannot read /nonexistent.csv: entity not found"
        );
    }

    #[test]
    fn causes_not_in_the_message_are_appended() {
        #[derive(Debug)]
        struct Context(io::Error);
        impl std::fmt::Display for Context {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot open the state")
            }
        }
        impl Error for Context {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Context(io::Error::other("disk full"));
        assert_eq!(
            error_report("x", &error),
            "x: cannot open the state: disk full"
        );
    }

    #[test]
    fn exit_codes_are_listed() {
        assert_eq!(
            exit_codes_help(&[(0, "ok"), (2, "usage")]),
            "Exit codes:\n    0  ok\n    2  usage"
        );
    }

    #[test]
    fn writes_man_pages_for_the_command_and_its_subcommands_and_three_completions() {
        let cmd = clap::Command::new("demo")
            .about("A demo")
            .after_help(exit_codes_help(&[(0, "ok"), (1, "failed")]))
            .subcommand(clap::Command::new("run").about("Runs"))
            .subcommand(clap::Command::new("secret").hide(true));
        let dir = tempfile::tempdir().unwrap();
        let docs = write_docs(cmd, dir.path()).unwrap();
        let names: Vec<String> = docs
            .man_pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["demo.1", "demo-run.1"]);
        let page = fs::read_to_string(dir.path().join("man/man1/demo.1")).unwrap();
        assert!(page.contains("Exit codes:"), "{page}");
        assert!(page.contains(".TH demo 1"), "{page}");
        assert!(
            !page.contains("secret"),
            "a hidden subcommand is not documented: {page}"
        );
        for file in ["bash/demo", "zsh/_demo", "fish/demo.fish"] {
            let text = fs::read_to_string(dir.path().join("completions").join(file)).unwrap();
            assert!(text.contains("run"), "{file}: {text}");
        }
    }
}
