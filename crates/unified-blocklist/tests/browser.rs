//! Tier `browser`: the published web page in real headless Chromium (started per check by
//! this test; `cargo xtask tier browser` publishes the list, serves it with
//! `unified-blocklist serve` and sets `UB_BROWSER_URL`, `UB_BROWSER_OUT`, `UB_SCREENSHOT`).

use std::process::Command;
use unified_blocklist::rows::read_decree_csv;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set; run `cargo xtask tier browser`"))
}

fn chromium(args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into()))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Console messages Chromium logged (`INFO:CONSOLE(…)` lines with `--enable-logging=stderr`).
fn console_messages(url: &str) -> Vec<String> {
    let (_, stderr) = chromium(&[
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
    ]);
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "tier browser: cargo xtask tier browser"]
fn the_page_has_no_console_errors() {
    let base = env("UB_BROWSER_URL");
    let control = console_messages(&format!("{base}console-control.html"));
    assert!(
        control
            .iter()
            .any(|l| l.contains("deliberate control error")),
        "the console check does not see console errors: {control:?}"
    );
    let messages = console_messages(&format!("{base}index.html"));
    assert!(messages.is_empty(), "{messages:#?}");
}

#[test]
#[ignore = "tier browser: cargo xtask tier browser"]
fn rows_filtering_and_sorting_work() {
    let base = env("UB_BROWSER_URL");
    let out = std::path::PathBuf::from(env("UB_BROWSER_OUT"));
    let rows = read_decree_csv(&std::fs::read(out.join("jednotny-seznam.csv")).unwrap()).unwrap();
    let result = harness_result(&format!("{base}harness.html"));
    assert_eq!(result["error"], serde_json::Value::Null, "{result}");
    assert_eq!(result["rows"], rows.len(), "row count equals the CSV's");
    assert_eq!(result["formVisible"], true);
    assert_eq!(result["lang"], "cs");
    assert_eq!(result["headers"].as_array().unwrap().len(), 5);
    let casino = rows
        .iter()
        .filter(|r| {
            [&r.url, &r.source, &r.dataset]
                .iter()
                .any(|v| v.to_lowercase().contains("casino"))
        })
        .count();
    assert!(casino > 0);
    assert_eq!(result["textCasino"], casino);
    assert_eq!(result["shownCasino"], casino.to_string());
    let sukl = rows
        .iter()
        .filter(|r| r.source == "Státní ústav pro kontrolu léčiv")
        .count();
    assert!(sukl > 0);
    assert_eq!(result["sourceSukl"], sukl);
    assert_eq!(result["nothing"], 0);
    assert_eq!(result["allAgain"], rows.len());
    assert_eq!(result["sortedAscending"], true);
    assert_eq!(result["ariaSort"], "ascending");
    assert_eq!(result["sortedDescending"], true);
}

#[test]
#[ignore = "tier browser: cargo xtask tier browser"]
fn a_screenshot_is_produced() {
    let base = env("UB_BROWSER_URL");
    let path = env("UB_SCREENSHOT");
    let _ = std::fs::remove_file(&path);
    chromium(&[
        "--virtual-time-budget=3000",
        "--window-size=1280,1600",
        &format!("--screenshot={path}"),
        &format!("{base}index.html"),
    ]);
    let png = std::fs::read(&path).unwrap_or_else(|e| panic!("no screenshot at {path}: {e}"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        png.len() > 20_000,
        "a blank page would be tiny: {} bytes",
        png.len()
    );
}

#[test]
#[ignore = "tier browser: cargo xtask tier browser"]
fn the_page_works_without_javascript() {
    let base = env("UB_BROWSER_URL");
    let out = std::path::PathBuf::from(env("UB_BROWSER_OUT"));
    let rows = read_decree_csv(&std::fs::read(out.join("jednotny-seznam.csv")).unwrap()).unwrap();
    let result = harness_result(&format!("{base}nojs-harness.html"));
    assert_eq!(result["rows"], rows.len());
    assert_eq!(
        result["visibleRows"],
        rows.len(),
        "every row is rendered without JavaScript"
    );
    assert_eq!(
        result["formHidden"], true,
        "the inert filter stays hidden without JavaScript"
    );
}

/// Runs a harness page and returns the JSON it leaves in `#result`.
fn harness_result(url: &str) -> serde_json::Value {
    let (dom, stderr) = chromium(&["--virtual-time-budget=10000", "--dump-dom", url]);
    let json = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result in the DOM:\n{dom}\n{stderr}"));
    let json = json
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// axe-core's result for one page state (see `tests/browser/axe-harness.html`).
fn axe(page: &str, mode: &str) -> serde_json::Value {
    let base = env("UB_BROWSER_URL");
    let page = percent_encode(page);
    harness_result(&format!(
        "{base}axe-harness.html?stranka={page}&rezim={mode}"
    ))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The page states a reader meets; each must pass axe-core's WCAG 2.1 A and AA rules with no
/// violation (the accessibility act 99/2019 Sb. requires WCAG 2.1 AA of public-sector sites).
const PAGE_STATES: &[(&str, &str)] = &[
    ("index.html", "js"),
    ("index.html", "filtr"),
    ("index.html", "bezjs"),
    ("archiv/", "js"),
    ("vyhledat", "js"),
    ("vyhledat?adresa=www.1xbet.com&k=2020-01-01", "js"),
    ("vyhledat?adresa=www.1xbet.com", "js"),
    ("vyhledat?adresa=neblokovana-stranka.cz", "js"),
    ("vyhledat?adresa=http%3A%2F%2F", "js"),
];

#[test]
#[ignore = "tier browser: cargo xtask tier browser"]
fn every_page_state_meets_wcag_2_1_aa() {
    // The check sees violations where there are some.
    let control = axe("axe-control.html", "js");
    let ids: Vec<&str> = control["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("{control}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    for rule in ["image-alt", "label", "html-has-lang", "color-contrast"] {
        assert!(ids.contains(&rule), "{rule} not reported: {control}");
    }
    for (page, mode) in PAGE_STATES {
        let result = axe(page, mode);
        assert_eq!(
            result["error"],
            serde_json::Value::Null,
            "{page} {mode}: {result}"
        );
        assert!(
            result["passes"].as_u64().unwrap() >= 10,
            "{page} {mode}: axe ran too few rules: {result}"
        );
        assert_eq!(
            result["violations"].as_array().map(Vec::len),
            Some(0),
            "{page} ({mode}) violates WCAG 2.1 A/AA: {result:#}"
        );
        if *mode == "bezjs" {
            assert_eq!(result["scripts"], 1, "only axe itself runs: {result}");
        }
    }
}

#[test]
#[ignore = "tier browser: cargo xtask tier browser"]
fn the_lookup_form_works_without_javascript() {
    let base = env("UB_BROWSER_URL");
    let ask = |query: &str| harness_result(&format!("{base}form-harness.html?{query}"));
    // 1xbet.com: listed by MF on 26 July 2017, removed on 4 January 2023 (the real MF list).
    let then = ask("adresa=https%3A%2F%2Fwww.1xbet.com%2Fcs&k=2020-01-01");
    assert_eq!(then["error"], serde_json::Value::Null, "{then}");
    assert!(
        then["url"]
            .as_str()
            .unwrap()
            .starts_with("/vyhledat?adresa="),
        "{then}"
    );
    assert_eq!(then["blocked"], "ano", "{then}");
    let verdict = then["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("Ministerstvo financí") && verdict.contains("26. 7. 2017"),
        "{then}"
    );
    assert_eq!(then["addressKept"], "https://www.1xbet.com/cs");
    let now = ask("adresa=www.1xbet.com");
    assert_eq!(now["blocked"], "ne", "{now}");
    assert!(
        now["firstRecord"].as_str().unwrap().contains("4. 1. 2023"),
        "{now}"
    );
    let idn = ask("adresa=mezin%C3%A1rodn%C3%ADonlinecasino.com");
    assert_eq!(idn["blocked"], "ano", "{idn}");
    let never = ask("adresa=neblokovana-stranka-pro-test.cz");
    assert_eq!(never["blocked"], "ne", "{never}");
    assert_eq!(never["records"], 0);
}
