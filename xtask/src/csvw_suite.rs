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

/// `cargo xtask csvw-bench [--size-mb N]`: csv2json and validation throughput of
/// `opendata-csv` (release build) against the Python `csvw` package (pinned in
/// `xtask/deps/requirements.txt`, installed into a venv by `cargo xtask setup`) on the
/// same generated CSV + metadata, in the same run; prints seconds, MB/s and the ratio.
pub(crate) fn bench(args: &[String]) -> Result<()> {
    let mut size_mb: u64 = 100;
    let mut skip_python = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--size-mb" => {
                size_mb = iter
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--size-mb needs a number"))?;
            }
            "--skip-python" => skip_python = true,
            other => anyhow::bail!("unknown csvw-bench option {other}"),
        }
    }
    let dir = project_root().join("target/csvw-bench");
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join(format!("prodeje-{size_mb}mb.csv"));
    let metadata = dir.join(format!("prodeje-{size_mb}mb.csv-metadata.json"));
    generate(&csv, &metadata, size_mb * 1_000_000)?;
    let bytes = std::fs::metadata(&csv)?.len();
    let mb = bytes as f64 / 1e6;
    println!("input: {} ({mb:.1} MB)", csv.display());

    exec(cargo().args([
        "build",
        "--release",
        "--quiet",
        "--package",
        "opendata-csv-cli",
    ]))?;
    let binary = crate::util::target_dir().join("release/opendata-csv");

    // The pinned reference from xtask/deps/requirements.txt, installed by `cargo xtask setup`.
    let python = crate::setup::venv_python();
    let python_ok = skip_python
        || std::process::Command::new(&python)
            .args(["-c", "import csvw"])
            .status()
            .is_ok_and(|s| s.success());
    if !python_ok {
        anyhow::bail!(
            "the Python reference is missing from {}: run `cargo xtask setup`",
            python.display()
        );
    }

    // Each tool runs under /usr/bin/time: wall clock, CPU (user + system) and peak RSS.
    let time_file = dir.join("time.txt");
    let time = |name: &str,
                program: &std::path::Path,
                args: &[&std::ffi::OsStr]|
     -> Result<(f64, f64)> {
        let mut cmd = std::process::Command::new("/usr/bin/time");
        cmd.args(["-f", "%e %U %S %M", "-o"])
            .arg(&time_file)
            .arg(program)
            .args(args)
            .stdout(std::process::Stdio::null());
        let status = cmd.status()?;
        if !status.success() {
            anyhow::bail!("{name} failed with {status}");
        }
        let text = std::fs::read_to_string(&time_file)?;
        let fields: Vec<f64> = text
            .split_whitespace()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [wall, user, sys, rss_kb] = fields[..] else {
            anyhow::bail!("cannot read /usr/bin/time output {text:?}");
        };
        let cpu = user + sys;
        println!(
            "{name:<24} wall {wall:>8.2} s  cpu {cpu:>8.2} s  {:>7.2} MB/s (cpu)  peak RSS {:>6.0} MB",
            mb / cpu,
            rss_kb / 1024.0
        );
        Ok((wall, cpu))
    };
    let json_out = dir.join("out-rust.json");
    let csv_arg = csv.as_os_str();
    let rust_json = time(
        "opendata-csv csv2json",
        &binary,
        &[
            "csv2json".as_ref(),
            csv_arg,
            "--output".as_ref(),
            json_out.as_os_str(),
        ],
    )?;
    let rust_validate = time(
        "opendata-csv validate",
        &binary,
        &["validate".as_ref(), csv_arg],
    )?;
    if skip_python {
        return Ok(());
    }
    let python = python.as_path();
    let py_json_out = dir.join("out-python.json");
    let py_json = time(
        "python csvw to_json",
        python,
        &[
            "-c".as_ref(),
            "import json, sys\nfrom csvw import CSVW\njson.dump(CSVW(sys.argv[1]).to_json(), open(sys.argv[2], 'w'), indent=2)".as_ref(),
            metadata.as_os_str(),
            py_json_out.as_os_str(),
        ],
    )?;
    let py_validate = time(
        "python csvw is_valid",
        python,
        &[
            "-c".as_ref(),
            "import sys\nfrom csvw import CSVW\nc = CSVW(sys.argv[1], validate=True)\nassert c.is_valid, c.warnings[:5]".as_ref(),
            metadata.as_os_str(),
        ],
    )?;
    println!(
        "csv2json:   {:.1}x faster than Python csvw (cpu), {:.1}x (wall)",
        py_json.1 / rust_json.1,
        py_json.0 / rust_json.0
    );
    println!(
        "validation: {:.1}x faster than Python csvw (cpu), {:.1}x (wall)",
        py_validate.1 / rust_validate.1,
        py_validate.0 / rust_validate.0
    );
    Ok(())
}

/// Writes a deterministic CSV of about `target_bytes` (sales records: integer id, Czech text,
/// `d.M.yyyy` dates, decimals with a decimal comma, booleans, a code with a pattern) and its
/// CSVW metadata. Skipped when the file already exists.
fn generate(csv: &std::path::Path, metadata: &std::path::Path, target_bytes: u64) -> Result<()> {
    use std::io::Write as _;

    std::fs::write(
        metadata,
        format!(
            r#"{{
  "@context": ["http://www.w3.org/ns/csvw", {{"@language": "cs"}}],
  "url": "{}",
  "dc:title": "Prodeje (syntetická data pro benchmark)",
  "tableSchema": {{
    "columns": [
      {{"name": "id", "titles": "id", "datatype": "integer", "required": true}},
      {{"name": "obec", "titles": "obec", "datatype": "string"}},
      {{"name": "datum", "titles": "datum", "datatype": {{"base": "date", "format": "d.M.yyyy"}}}},
      {{"name": "castka", "titles": "částka", "datatype": {{"base": "decimal", "format": {{"decimalChar": ","}}}}}},
      {{"name": "zaplaceno", "titles": "zaplaceno", "datatype": {{"base": "boolean", "format": "ano|ne"}}}},
      {{"name": "kod", "titles": "kód", "datatype": {{"base": "string", "format": "[A-Z]{{2}}[0-9]{{4}}"}}}}
    ],
    "primaryKey": "id",
    "aboutUrl": "https://data.example.cz/prodeje/{{id}}"
  }}
}}
"#,
            csv.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("data.csv")
        ),
    )?;
    if csv.exists() {
        return Ok(());
    }
    const TOWNS: &[&str] = &[
        "Praha",
        "Brno",
        "Ostrava",
        "Plzeň",
        "Liberec",
        "Olomouc",
        "České Budějovice",
        "Hradec Králové",
        "Ústí nad Labem",
        "Pardubice",
        "Zlín",
        "Havířov",
        "Kladno",
        "Most",
        "Opava",
        "Frýdek-Místek",
        "Jihlava",
        "Karviná",
        "Teplice",
        "Děčín",
    ];
    let mut out = std::io::BufWriter::new(std::fs::File::create(csv)?);
    out.write_all("id,obec,datum,částka,zaplaceno,kód\r\n".as_bytes())?;
    let mut written = 0u64;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut id = 0u64;
    while written < target_bytes {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        id += 1;
        let line = format!(
            "{id},{},{}.{}.{},\"{},{:02}\",{},{}{}{:04}\r\n",
            TOWNS[(r % 20) as usize],
            r % 28 + 1,
            (r >> 8) % 12 + 1,
            2000 + (r >> 16) % 25,
            (r >> 20) % 100_000,
            (r >> 40) % 100,
            if (r >> 50).is_multiple_of(2) {
                "ano"
            } else {
                "ne"
            },
            char::from(b'A' + ((r >> 52) % 26) as u8),
            char::from(b'A' + ((r >> 57) % 26) as u8),
            (r >> 30) % 10_000,
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok(())
}
