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

/// Width `--help` wraps the exit codes to (clap wraps help text only with its `wrap_help`
/// feature, which the tools do without).
const HELP_WIDTH: usize = 79;

/// `"  NNN  "`: where the meaning of a code starts, and its continuation lines.
const CODE_INDENT: usize = 7;

/// The "Exit codes" section for a command's `after_help`, so `--help` lists the codes and
/// the man page has them too (as its EXIT STATUS section, see [`write_docs`]).
pub fn exit_codes_help(codes: &[(u8, &str)]) -> String {
    exit_codes_help_with("Exit codes:", codes, "")
}

/// [`exit_codes_help`] with a heading of its own (`Exit codes of `update`:`) and a closing
/// note (e.g. the codes of other subcommands). In `--help` each meaning is wrapped under
/// itself; the man page gets one item per code, wrapped by `man` to the reader's width.
pub fn exit_codes_help_with(heading: &str, codes: &[(u8, &str)], note: &str) -> String {
    let mut help = format!("{heading}\n");
    let indent = " ".repeat(CODE_INDENT);
    for (code, meaning) in codes {
        for (index, line) in wrap(meaning, HELP_WIDTH - CODE_INDENT).iter().enumerate() {
            if index == 0 {
                help.push_str(&format!("  {code:>3}  "));
            } else {
                help.push_str(&indent);
            }
            help.push_str(line);
            help.push('\n');
        }
    }
    for line in wrap(note, HELP_WIDTH) {
        help.push_str(&line);
        help.push('\n');
    }
    help.truncate(help.trim_end().len());
    help
}

/// Greedy word wrap to `width` characters (a longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The man page's EXIT STATUS section from an `after_help` that [`exit_codes_help_with`]
/// wrote: the heading, one tagged paragraph (`.TP`) per code with its wrapped lines joined
/// again, and the note as a paragraph. `None` for any other `after_help`.
fn exit_status_section(after_help: &str) -> Option<roff::Roff> {
    let mut lines = after_help.lines();
    let heading = lines.next()?;
    if !heading.starts_with("Exit codes") {
        return None;
    }
    let indent = " ".repeat(CODE_INDENT);
    let mut items: Vec<(u8, String)> = Vec::new();
    let mut note = String::new();
    for line in lines {
        let code = line
            .get(..CODE_INDENT)
            .filter(|lead| lead.starts_with("  ") && lead.ends_with("  "))
            .and_then(|lead| lead.trim().parse::<u8>().ok());
        let continuation = line.strip_prefix(&indent).filter(|_| note.is_empty());
        match (code, continuation, items.last_mut()) {
            (Some(code), _, _) => items.push((code, line.get(CODE_INDENT..)?.trim().to_owned())),
            (None, Some(more), Some((_, meaning))) => {
                meaning.push(' ');
                meaning.push_str(more.trim());
            }
            _ => {
                if !note.is_empty() {
                    note.push(' ');
                }
                note.push_str(line.trim());
            }
        }
    }
    let mut section = roff::Roff::new();
    section.control("SH", ["EXIT STATUS"]);
    section.text([roff::roman(heading)]);
    for (code, meaning) in items {
        section.control("TP", std::iter::empty::<&str>());
        section.text([roff::bold(code.to_string())]);
        section.text([roff::roman(meaning)]);
    }
    if !note.is_empty() {
        section.control("PP", std::iter::empty::<&str>());
        section.text([roff::roman(note)]);
    }
    Some(section)
}

/// One man page: clap_mangen's, with the exit codes as an EXIT STATUS section (before
/// VERSION, where man pages put it) instead of clap_mangen's EXTRA section, which would run
/// the codes together into one filled paragraph.
fn render_man_page(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let after_help = cmd
        .get_after_long_help()
        .or_else(|| cmd.get_after_help())
        .map(ToString::to_string);
    let Some(section) = after_help.as_deref().and_then(exit_status_section) else {
        return clap_mangen::Man::new(cmd).render(out);
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(
        cmd.after_help(None::<&'static str>)
            .after_long_help(None::<&'static str>),
    )
    .render(&mut page)?;
    let mut exit_status = Vec::new();
    section.to_writer(&mut exit_status)?;
    let at = page
        .windows(b"\n.SH VERSION".len())
        .position(|window| window == b"\n.SH VERSION")
        .map_or(page.len(), |at| at + 1);
    let (before, after) = page.split_at(at);
    out.write_all(before)?;
    out.write_all(&exit_status)?;
    out.write_all(after)
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
    render_man_page(cmd.clone().name(page.to_owned()), &mut out)?;
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

    const LONG: &str = "published, or nothing changed, but one or more sources are stale (their \
                        last good copy is in the list) or missing (no rows), each logged";

    #[test]
    fn help_wraps_each_meaning_under_itself() {
        let help = exit_codes_help_with(
            "Exit codes of `update`:",
            &[(0, "ok"), (3, LONG)],
            "`verify` exits 0 when the rebuild is byte-identical, 1 on any difference, 6 when \
             the publication cannot be read.",
        );
        let lines: Vec<&str> = help.lines().collect();
        assert_eq!(lines[0], "Exit codes of `update`:");
        assert_eq!(lines[1], "    0  ok");
        assert!(lines[2].starts_with("    3  published,"), "{help}");
        assert!(lines[3].starts_with("       ") && !lines[3].starts_with("        "));
        assert!(
            lines.iter().all(|l| l.chars().count() <= HELP_WIDTH),
            "{help}"
        );
        assert!(lines.last().unwrap().ends_with("cannot be read."), "{help}");
    }

    #[test]
    fn man_page_has_one_tagged_paragraph_per_exit_code() {
        let cmd = clap::Command::new("demo")
            .version("1.0")
            .about("A demo")
            .after_help(exit_codes_help_with(
                "Exit codes of `update`:",
                &[(0, "ok"), (3, LONG), (6, "local failure")],
                "`verify` exits 1 on any difference.",
            ));
        let mut page = Vec::new();
        render_man_page(cmd, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(!page.contains(".SH EXTRA"), "{page}");
        let section = &page[page.find(".SH \"EXIT STATUS\"").expect(&page)..];
        assert!(
            section.find(".SH VERSION").is_some(),
            "EXIT STATUS comes before VERSION: {page}"
        );
        assert_eq!(section.matches(".TP").count(), 3, "{section}");
        // The wrapped meaning is one text line again; man fills it to the reader's width.
        assert!(
            section.contains("\n.TP\n\\fB3\\fR\npublished, or nothing changed, but one or more sources are stale (their last good copy is in the list) or missing (no rows), each logged\n"),
            "{section}"
        );
        assert!(
            section.contains(".PP\n`verify` exits 1 on any difference."),
            "{section}"
        );
    }

    #[test]
    fn other_after_help_is_rendered_as_clap_mangen_does() {
        let cmd = clap::Command::new("demo").after_help("See the README.");
        let mut page = Vec::new();
        render_man_page(cmd, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".SH EXTRA\nSee the README."), "{page}");
    }
}
