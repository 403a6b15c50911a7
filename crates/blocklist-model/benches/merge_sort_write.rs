//! Read + merge + sort + decree-CSV write of N synthetic rows from 5 sources (lower-case ASCII
//! addresses, where the case-folded order equals byte order), against
//! `LC_ALL=C sort -t, -k2,2 -k1,1` over the same rows, in the same run: wall time (criterion)
//! and peak memory (VmHWM of a child process for each, sampled from /proc).
//!
//! `BLOCKLIST_BENCH_ROWS` sets N (default 10,000,000). Run with
//! `cargo bench -p blocklist-model --bench merge_sort_write`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use blocklist_model::{
    NaiveDate, ReaderKind, SourceConfig, UnifiedList, read_source, write_decree_csv,
};
use criterion::Criterion;

const CHILD_ENV: &str = "BLOCKLIST_BENCH_CHILD_DIR";
/// Share of rows per source (MF, SÚKL, SZPI, ÚSKVBL, MZV).
const SHARES: [u64; 5] = [40, 30, 10, 10, 10];

fn sources() -> Vec<SourceConfig> {
    SourceConfig::known_sources()
        .into_iter()
        .map(|mut s| {
            s.reader = ReaderKind::Decree;
            s
        })
        .collect()
}

/// A deterministic xorshift generator: the same rows in every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: [&str; 16] = [
    "casino", "bet", "kamagra", "lekarna", "slots", "poker", "vitamin", "pilulky", "spin", "bonus",
    "jackpot", "herbal", "tablety", "vyhra", "sazky", "fip",
];
const TLDS: [&str; 6] = ["com", "cz", "eu", "net", "online", "shop"];

/// Writes one decree-format file per source and one file with all rows in the unified shape
/// (the input of `sort`). Returns (source files, unified file, rows).
fn generate(dir: &Path, rows: u64) -> (Vec<PathBuf>, PathBuf, u64) {
    std::fs::create_dir_all(dir).unwrap();
    let start = NaiveDate::from_ymd_opt(2017, 7, 26).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let unified_path = dir.join("all-unsorted.csv");
    let mut unified = BufWriter::new(File::create(&unified_path).unwrap());
    let mut paths = Vec::new();
    let mut total = 0;
    for (i, source) in sources().iter().enumerate() {
        let n = rows * SHARES[i] / 100;
        let path = dir.join(format!("source-{i}.csv"));
        let mut out = BufWriter::new(File::create(&path).unwrap());
        out.write_all(b"URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n").unwrap();
        for _ in 0..n {
            let r = rng.next();
            let word = WORDS[(r % 16) as usize];
            let tld = TLDS[((r >> 4) % 6) as usize];
            let num = (r >> 8) % 5_000_000;
            let url = match (r >> 40) % 10 {
                0 => format!("https://www.{word}{num}.{tld}/"),
                1 => format!("{word}{num}.{tld}/{word}"),
                _ => format!("{word}{num}.{tld}"),
            };
            let entered = start + chrono::Days::new((r >> 32) % 3300);
            let removed = if (r >> 50).is_multiple_of(50) {
                (entered + chrono::Days::new(200)).to_string()
            } else {
                String::new()
            };
            write!(out, "{url},{entered},{removed}\r\n").unwrap();
            write!(
                unified,
                "{url},{entered},{removed},{},{}\r\n",
                source.authority, source.dataset
            )
            .unwrap();
        }
        out.flush().unwrap();
        paths.push(path);
        total += n;
    }
    unified.flush().unwrap();
    (paths, unified_path, total)
}

/// Our pipeline: read each source file, merge, write the decree CSV.
fn pipeline(paths: &[PathBuf], out: impl Write) -> u64 {
    let valid_as_of = NaiveDate::from_ymd_opt(2026, 8, 18).unwrap();
    let mut parts = Vec::new();
    for (path, source) in paths.iter().zip(sources()) {
        let bytes = std::fs::read(path).unwrap();
        let read = read_source(&source, &bytes).unwrap();
        drop(bytes);
        parts.push(read.entries);
    }
    let list = UnifiedList::merge_sources(valid_as_of, parts);
    write_decree_csv(&list, BufWriter::with_capacity(1 << 20, out)).unwrap()
}

fn sort_command(unified: &Path) -> Command {
    let mut c = Command::new("sort");
    c.env("LC_ALL", "C")
        .args(["-t,", "-k2,2", "-k1,1"])
        .arg(unified)
        .stdout(Stdio::null());
    c
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd`, sampling the child's peak resident memory until it exits.
fn peak_of(mut cmd: Command) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id();
    let mut peak = 0;
    loop {
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (start.elapsed(), peak)
}

fn main() {
    // Child mode: run the pipeline once and report this process's own peak.
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let dir = PathBuf::from(dir);
        let paths: Vec<PathBuf> = (0..5)
            .map(|i| dir.join(format!("source-{i}.csv")))
            .collect();
        let rows = pipeline(&paths, File::create("/dev/null").unwrap());
        let hwm = vm_hwm_kib(std::process::id()).unwrap_or(0);
        println!("{rows} {hwm}");
        return;
    }
    let rows: u64 = std::env::var("BLOCKLIST_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let dir = std::env::temp_dir().join(format!("blocklist-bench-{}", std::process::id()));
    let (paths, unified, total) = generate(&dir, rows);
    let unified_size = std::fs::metadata(&unified).unwrap().len();

    // Same output rows? Compare our decree CSV with sort's output once.
    let ours_path = dir.join("ours.csv");
    pipeline(&paths, File::create(&ours_path).unwrap());
    let sorted_path = dir.join("sorted.csv");
    let status = sort_command(&unified)
        .stdout(File::create(&sorted_path).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let ours_csv = std::fs::read(&ours_path).unwrap();
    let csv_size = ours_csv.len() as u64;
    let sorted = std::fs::read(&sorted_path).unwrap();
    let header_len = ours_csv.iter().position(|&b| b == b'\n').unwrap() + 1;
    let same = ours_csv[header_len..] == sorted[..];
    drop((ours_csv, sorted));

    // Peak memory and one wall time each, in child processes.
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(&exe);
    child.env(CHILD_ENV, &dir).stdout(Stdio::piped());
    let (ours_wall, ours_peak_sampled) = peak_of(child);
    let (sort_wall, sort_peak) = peak_of(sort_command(&unified));
    let own = Command::new(&exe).env(CHILD_ENV, &dir).output().unwrap();
    let own = String::from_utf8_lossy(&own.stdout);
    let ours_peak = own
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0)
        .max(ours_peak_sampled);

    let mib = |kib: u64| kib as f64 / 1024.0;
    let csv_mib = csv_size as f64 / (1 << 20) as f64;
    println!(
        "rows: {total} from 5 sources; decree CSV {csv_mib:.1} MiB; sort input {:.1} MiB",
        unified_size as f64 / (1 << 20) as f64
    );
    println!("output identical to `LC_ALL=C sort -t, -k2,2 -k1,1` (minus header): {same}");
    println!(
        "one run, wall: blocklist-model {:.2} s, sort {:.2} s, ratio {:.2}",
        ours_wall.as_secs_f64(),
        sort_wall.as_secs_f64(),
        ours_wall.as_secs_f64() / sort_wall.as_secs_f64()
    );
    println!(
        "peak RSS: blocklist-model {:.1} MiB ({:.2}x the CSV), sort {:.1} MiB ({:.2}x the CSV)",
        mib(ours_peak),
        mib(ours_peak) / csv_mib,
        mib(sort_peak),
        mib(sort_peak) / csv_mib
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(1))
        .configure_from_args();
    let mut group = c.benchmark_group(format!("merge_sort_write_{total}"));
    group.bench_function("blocklist_model", |b| {
        b.iter(|| pipeline(&paths, File::create("/dev/null").unwrap()));
    });
    group.bench_function("lc_all_c_sort", |b| {
        b.iter(|| assert!(sort_command(&unified).status().unwrap().success()));
    });
    group.finish();
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
}
