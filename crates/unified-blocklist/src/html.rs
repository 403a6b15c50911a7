//! The Czech web page `index.html`: every row rendered on the server, so the page works
//! without JavaScript; a small inline script only adds filtering and sorting.

use crate::provenance::SourceProvenance;
use crate::rows::ListRow;
use crate::source::SourceKind;
use crate::state::Health;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What the page says besides the rows.
#[derive(Debug, Clone)]
pub struct PageInfo {
    /// The date the list is valid as of.
    pub valid_as_of: NaiveDate,
    /// When this publication was made.
    pub published_at: DateTime<Utc>,
    /// The sources and their health.
    pub sources: Vec<SourceProvenance>,
}

/// Formats a date the Czech way (`22. 11. 2026`).
pub fn czech_date(date: NaiveDate) -> String {
    date.format("%-d. %-m. %Y").to_string()
}

fn czech_iso_cell(iso: &str) -> String {
    // Sort keys stay ISO (data-k); people read the Czech form.
    match NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(date) => czech_date(date),
        Err(_) => iso.to_owned(),
    }
}

pub(crate) const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1b1b1b;background:#fff}
header,main,footer{max-width:80rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.6rem;margin:1.2rem 0 .4rem}
.souhrn{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:.5rem 0;padding:0;list-style:none}
.odkazy{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;padding:0;list-style:none}
a{color:#0b4fa3}
form{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:end;margin:1rem 0}
label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
input,select{font:inherit;padding:.3rem .4rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td:first-child{word-break:break-all}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" ▲"}
th[aria-sort=descending] button::after{content:" ▼"}
tr.vymazano td{color:#6b6b6b}
thead th{position:sticky;top:0;background:#f4f6f9}
#stav-zdroju{margin:1rem 0 1.5rem}
#stav-zdroju th{position:static}
tr.zdroj-zastaraly td,tr.zdroj-chybi td{background:#fff4e5}
.stav-varovani{font-weight:600;color:#8a4b00}
"#;

// Filtering and sorting only; no data is fetched, no external resources.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  var form = document.getElementById("filtr");
  var table = document.getElementById("seznam");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("hledat");
  var source = document.getElementById("zdroj");
  var state = document.getElementById("stav");
  var count = document.getElementById("zobrazeno");
  form.hidden = false;
  function apply() {
    var needle = text.value.trim().toLowerCase();
    var wanted = source.value;
    var status = state.value;
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1) &&
        (!wanted || row.getAttribute("data-zdroj") === wanted) &&
        (!status || row.getAttribute("data-stav") === status);
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = String(shown);
  }
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    var label = th.textContent;
    th.textContent = "";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var key = function (row) {
        var cell = row.cells[column];
        return cell.getAttribute("data-k") || cell.textContent;
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? order : -order;
      });
      var fragment = document.createDocumentFragment();
      rows.forEach(function (row) { fragment.appendChild(row); });
      body.appendChild(fragment);
    });
  });
  apply();
})();
"#;

/// Renders `index.html` for `rows` (in published order).
pub fn render_page(rows: &[ListRow], info: &PageInfo) -> String {
    let active = rows.iter().filter(|r| r.is_active()).count();
    let removed = rows.len() - active;
    let sources: BTreeSet<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    let valid = czech_date(info.valid_as_of);
    let valid_iso = info.valid_as_of.format("%Y-%m-%d");
    let published = info.published_at.format("%Y-%m-%dT%H:%M:%SZ");

    let mut html = String::with_capacity(300 + rows.len() * 260);
    html.push_str("<!DOCTYPE html>\n<html lang=\"cs\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>Jednotný seznam blokovaných internetových stránek</title>\n");
    html.push_str(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Změny seznamu\" href=\"zmeny.atom\">\n",
    );
    let _ = write!(html, "<style>{STYLE}</style>\n</head>\n<body>\n<header>\n");
    html.push_str("<h1>Jednotný seznam blokovaných internetových stránek</h1>\n");
    html.push_str(
        "<p>Seznam internetových stránek podle § 115b zákona č. 127/2005 Sb. a vyhlášky \
         č. 569/2025 Sb., sestavený ze seznamů orgánů veřejné moci zveřejněných \
         v Národním katalogu otevřených dat.</p>\n",
    );
    let _ = writeln!(html, "<ul class=\"souhrn\">");
    let _ = writeln!(
        html,
        "<li>Platnost ke dni: <time datetime=\"{valid_iso}\" id=\"platnost\">{valid}</time></li>"
    );
    let _ = writeln!(
        html,
        "<li>Aktivních záznamů: <strong id=\"aktivni\">{active}</strong></li>"
    );
    let _ = writeln!(
        html,
        "<li>Vymazaných záznamů: <strong id=\"vymazane\">{removed}</strong></li>"
    );
    let _ = writeln!(
        html,
        "<li>Celkem záznamů: <strong id=\"celkem\">{}</strong></li>",
        rows.len()
    );
    let _ = writeln!(
        html,
        "<li>Zveřejněno: <time datetime=\"{published}\">{published}</time></li>"
    );
    html.push_str("</ul>\n<nav aria-label=\"Ke stažení\">\n<ul class=\"odkazy\">\n");
    for (href, label) in [
        ("jednotny-seznam.csv", "CSV"),
        ("jednotny-seznam.csv-metadata.json", "Metadata CSV (CSVW)"),
        ("jednotny-seznam-rozsireny.csv", "Rozšířené CSV"),
        (
            "jednotny-seznam-rozsireny.csv-metadata.json",
            "Metadata rozšířeného CSV",
        ),
        ("jednotny-seznam.rpz", "Zóna RPZ"),
        ("domeny.txt", "Seznam domén"),
        ("zmeny.csv", "Změny (CSV)"),
        ("zmeny.atom", "Změny (Atom)"),
        ("dcat.ttl", "Záznam DCAT-AP-CZ"),
        ("stav.json", "Stav zdrojů (JSON)"),
        ("manifest.json", "Původ dat (manifest)"),
        ("archiv/", "Archiv"),
        ("SHA256SUMS", "Kontrolní součty"),
    ] {
        let _ = writeln!(html, "<li><a href=\"{href}\">{label}</a></li>");
    }
    html.push_str("</ul>\n</nav>\n</header>\n<main>\n");
    sources_section(&mut html, &info.sources);
    html.push_str(&crate::lookup::lookup_form(None, None, "h2"));

    // The filter is hidden until the script runs: without JavaScript it would do nothing.
    html.push_str("<form id=\"filtr\" role=\"search\" aria-label=\"Filtr seznamu\" hidden>\n");
    html.push_str(
        "<label for=\"hledat\">Hledat<input id=\"hledat\" type=\"search\" autocomplete=\"off\"></label>\n",
    );
    html.push_str("<label for=\"zdroj\">Zdroj<select id=\"zdroj\">\n<option value=\"\">Všechny zdroje</option>\n");
    for source in &sources {
        let source = escape(source);
        let _ = writeln!(html, "<option value=\"{source}\">{source}</option>");
    }
    html.push_str("</select></label>\n");
    html.push_str(
        "<label for=\"stav\">Stav<select id=\"stav\">\n<option value=\"\">Všechny</option>\n\
         <option value=\"aktivni\">Aktivní</option>\n<option value=\"vymazano\">Vymazané</option>\n\
         </select></label>\n",
    );
    let _ = writeln!(
        html,
        "<p aria-live=\"polite\">Zobrazeno záznamů: <strong id=\"zobrazeno\">{}</strong></p>",
        rows.len()
    );
    html.push_str("</form>\n");

    html.push_str("<table id=\"seznam\">\n");
    let _ = writeln!(
        html,
        "<caption>Jednotný seznam platný ke dni {valid}</caption>"
    );
    html.push_str(
        "<thead>\n<tr><th scope=\"col\">Adresa (URL)</th><th scope=\"col\">Datum zápisu</th>\
         <th scope=\"col\">Datum výmazu</th><th scope=\"col\">Zdroj</th>\
         <th scope=\"col\">Název datové sady</th></tr>\n</thead>\n<tbody>\n",
    );
    for row in rows {
        let (class, status) = if row.is_active() {
            ("", "aktivni")
        } else {
            (" class=\"vymazano\"", "vymazano")
        };
        let source = escape(&row.source);
        let _ = writeln!(
            html,
            "<tr{class} data-zdroj=\"{source}\" data-stav=\"{status}\"><td>{}</td>\
             <td data-k=\"{}\">{}</td><td data-k=\"{}\">{}</td><td>{source}</td><td>{}</td></tr>",
            escape(&row.url),
            escape(&row.entered),
            escape(&czech_iso_cell(&row.entered)),
            escape(&row.removed),
            escape(&czech_iso_cell(&row.removed)),
            escape(&row.dataset),
        );
    }
    html.push_str("</tbody>\n</table>\n</main>\n<footer>\n");
    html.push_str(
        "<p>Data jsou otevřená; strojově čitelná podoba je v souboru CSV s metadaty CSVW.</p>\n",
    );
    let _ = write!(
        html,
        "</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    html
}

/// The Czech section listing each source with its state and the date its data is valid as
/// of; a stale or missing source is marked in words, not only by colour.
fn sources_section(html: &mut String, sources: &[SourceProvenance]) {
    if sources.is_empty() {
        return;
    }
    let degraded = sources
        .iter()
        .filter(|s| s.state != Health::Current)
        .count();
    html.push_str(
        "<section aria-labelledby=\"zdroje-nadpis\">\n<h2 id=\"zdroje-nadpis\">Stav zdrojů</h2>\n",
    );
    if degraded > 0 {
        let _ = writeln!(
            html,
            "<p class=\"stav-varovani\" role=\"status\">⚠ Některé zdroje se při poslední aktualizaci nepodařilo načíst ({degraded}). Jejich záznamy jsou v seznamu tak, jak byly naposledy platně načteny; podrobnosti jsou v tabulce a v souboru <a href=\"stav.json\">stav.json</a>.</p>"
        );
    }
    html.push_str(
        "<table id=\"stav-zdroju\">\n<thead>\n<tr><th scope=\"col\">Zdroj</th><th scope=\"col\">Datová sada</th>\
         <th scope=\"col\">Stav</th><th scope=\"col\">Data platná ke dni</th><th scope=\"col\">Záznamů</th>\
         <th scope=\"col\">Poznámka</th></tr>\n</thead>\n<tbody>\n",
    );
    for s in sources {
        let (class, state) = match (s.state, s.alarm) {
            (Health::Current, _) => ("", "Aktuální".to_owned()),
            (Health::Stale, false) => (" class=\"zdroj-zastaraly\"", "⚠ Zastaralý".to_owned()),
            (Health::Stale, true) => (
                " class=\"zdroj-zastaraly\"",
                "⚠ Zastaralý déle, než je povoleno".to_owned(),
            ),
            (Health::Missing, _) => (" class=\"zdroj-chybi\"", "⚠ Chybí".to_owned()),
        };
        let name = match s.kind {
            SourceKind::Catalogue => escape(&s.authority),
            SourceKind::Manual => escape(crate::manual::MANUAL_SOURCE_NAME),
        };
        let dataset = match (&s.dataset_iri, s.kind) {
            (Some(iri), SourceKind::Catalogue) => format!(
                "<a href=\"https://data.gov.cz/datová-sada?iri={}\">{}</a>",
                escape(
                    &percent_encoding::utf8_percent_encode(iri, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                ),
                escape(&s.dataset_title)
            ),
            _ => escape(&s.dataset_title),
        };
        let valid = s.data_valid_as_of.map_or_else(
            || "–".to_owned(),
            |d| {
                format!(
                    "<time datetime=\"{}\">{}</time>",
                    d.format("%Y-%m-%d"),
                    czech_date(d)
                )
            },
        );
        let entries = s
            .copy
            .as_ref()
            .map_or_else(|| "0".to_owned(), |c| c.rows.entries.to_string());
        let note = match (&s.last_attempt.failure, s.state) {
            (Some(failure), Health::Stale) => format!(
                "Poslední pokus {}: {}. V seznamu zůstávají záznamy z posledních platných dat.",
                czech_date(crate::source::prague_date(s.last_attempt.at)),
                escape(&failure.message)
            ),
            (Some(failure), _) => format!(
                "Poslední pokus {}: {}. Záznamy zdroje v seznamu nejsou.",
                czech_date(crate::source::prague_date(s.last_attempt.at)),
                escape(&failure.message)
            ),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            html,
            "<tr{class} data-zdroj-id=\"{}\"><td>{name}</td><td>{dataset}</td><td>{state}</td><td>{valid}</td><td>{entries}</td><td>{note}</td></tr>",
            escape(&s.id)
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn every_value_is_escaped() {
        let row = ListRow {
            url: "<script>alert(1)</script>".into(),
            entered: "2024-01-01".into(),
            removed: "\"><img src=x>".into(),
            source: "A & B \"quoted\"".into(),
            dataset: "<b>title</b>".into(),
        };
        let info = PageInfo {
            valid_as_of: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            published_at: DateTime::from_timestamp(0, 0).unwrap(),
            sources: Vec::new(),
        };
        let page = render_page(&[row], &info);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"));
        assert!(!page.contains("<b>title"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("data-zdroj=\"A &amp; B &quot;quoted&quot;\""));
        assert!(page.contains("<html lang=\"cs\">"));
        assert!(page.contains("<th scope=\"col\">Adresa (URL)</th>"));
        assert!(page.contains("<strong id=\"vymazane\">1</strong>"));
    }

    #[test]
    fn czech_dates() {
        assert_eq!(
            czech_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()),
            "5. 1. 2026"
        );
    }
}
