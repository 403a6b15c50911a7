//! The DCAT-AP-CZ records that register the unified list in NKOD through a local catalogue
//! (LKOD) of the "DCAT-AP Dokumenty" kind: `katalog.jsonld` (the catalogue document NKOD
//! harvests, valid against the OFN catalogue schema), `dcat.jsonld` (the dataset record,
//! valid against the OFN dataset schema) and `dcat.ttl` (the same catalogue, dataset and
//! distributions in Turtle).
//!
//! Every IRI is dereferenceable in the publication: the catalogue's IRI is the URL of
//! `katalog.jsonld`, the dataset's the URL of `dcat.jsonld` (what the harvester fetches for
//! each dataset the catalogue lists), and each distribution's a fragment of `dcat.jsonld`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The JSON-LD context of the OFN "Rozhraní katalogů otevřených dat" (2024-05-28).
pub const OFN_CONTEXT: &str = "https://ofn.gov.cz/dcat-ap-cz-rozhraní-katalogů-otevřených-dat/2024-05-28/kontexty/rozhraní-katalogů-otevřených-dat.jsonld";

const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const MEDIA_TYPE: &str = "http://www.iana.org/assignments/media-types/";
const PU: &str = "https://data.gov.cz/podmínky-užití/";

/// Who publishes the list and where; from the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DcatSettings {
    /// The public URL the publication is served at, ending with `/` (must be `https://`:
    /// DCAT-AP-CZ requires HTTPS access URLs).
    pub public_url: String,
    /// The publisher's IRI in the public-authority register (RPP).
    pub publisher_iri: String,
    /// The publisher's name (for the contact point and the catalogue).
    pub publisher_name: String,
    /// A contact e-mail address, if any.
    pub contact_email: Option<String>,
}

impl Default for DcatSettings {
    fn default() -> Self {
        Self {
            public_url: "https://localhost/".into(),
            // Český telekomunikační úřad, IČO 70106975.
            publisher_iri:
                "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/70106975".into(),
            publisher_name: "Český telekomunikační úřad".into(),
            contact_email: None,
        }
    }
}

impl DcatSettings {
    fn base(&self) -> String {
        if self.public_url.ends_with('/') {
            self.public_url.clone()
        } else {
            format!("{}/", self.public_url)
        }
    }

    /// The dataset IRI: the URL of its JSON-LD record.
    pub fn dataset_iri(&self) -> String {
        format!("{}dcat.jsonld", self.base())
    }

    /// The local catalogue's IRI: the URL of the catalogue document.
    pub fn catalog_iri(&self) -> String {
        format!("{}katalog.jsonld", self.base())
    }

    fn distribution_iri(&self, id: &str) -> String {
        format!("{}dcat.jsonld#{id}", self.base())
    }
}

struct Distribution {
    id: &'static str,
    file: &'static str,
    file_type: &'static str,
    media_type: &'static str,
    schema: Option<&'static str>,
    title_cs: &'static str,
    title_en: &'static str,
}

const DISTRIBUTIONS: &[Distribution] = &[
    Distribution {
        id: "distribuce-csv",
        file: "jednotny-seznam.csv",
        file_type: "CSV",
        media_type: "text/csv",
        schema: Some("jednotny-seznam.csv-metadata.json"),
        title_cs: "Jednotný seznam ve formátu CSV",
        title_en: "The unified list as CSV",
    },
    Distribution {
        id: "distribuce-rozsirene-csv",
        file: "jednotny-seznam-rozsireny.csv",
        file_type: "CSV",
        media_type: "text/csv",
        schema: Some("jednotny-seznam-rozsireny.csv-metadata.json"),
        title_cs: "Rozšířený seznam pro poskytovatele připojení (CSV)",
        title_en: "Extended list for internet providers (CSV)",
    },
    Distribution {
        id: "distribuce-rpz",
        file: "jednotny-seznam.rpz",
        file_type: "TXT",
        media_type: "text/dns",
        schema: None,
        title_cs: "Zóna RPZ pro DNS resolvery",
        title_en: "RPZ zone for DNS resolvers",
    },
    Distribution {
        id: "distribuce-domeny",
        file: "domeny.txt",
        file_type: "TXT",
        media_type: "text/plain",
        schema: None,
        title_cs: "Seznam aktivních domén",
        title_en: "Active host names",
    },
];

const TITLE_CS: &str = "Jednotný seznam blokovaných internetových stránek";
const TITLE_EN: &str = "Unified list of blocked websites";
const DESCRIPTION_CS: &str = "Jednotný seznam internetových stránek podle § 115b zákona č. 127/2005 Sb. \
a vyhlášky č. 569/2025 Sb.: adresa stránky, datum zápisu, datum výmazu, orgán vedoucí zdrojový seznam \
a název datové sady zdrojového seznamu v Národním katalogu otevřených dat.";
const DESCRIPTION_EN: &str = "The unified list of websites under Section 115b of Act 127/2005 Coll. and \
Decree 569/2025 Coll.: the website address, the entry date, the removal date, the authority keeping the \
source list and the NKOD dataset of the source list.";
const KEYWORDS_CS: &[&str] = &[
    "blokování",
    "internetové stránky",
    "nelegální hazard",
    "nelegální léčiva",
    "DNS",
];
const KEYWORDS_EN: &[&str] = &[
    "blocking",
    "websites",
    "illegal gambling",
    "illegal medicines",
    "DNS",
];
const THEMES: &[&str] = &[
    "http://publications.europa.eu/resource/authority/data-theme/JUST",
    "http://publications.europa.eu/resource/authority/data-theme/GOVE",
];
const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/DAILY";
const RUIAN_CZ: &str = "https://linked.cuzk.cz/resource/ruian/stat/1";
const LEGISLATION: &[&str] = &[
    "https://www.e-sbirka.cz/eli/cz/sb/2005/127",
    "https://www.e-sbirka.cz/eli/cz/sb/2025/569",
];

/// The contact point (`vcard:Organization`) in the OFN JSON-LD form.
fn contact_point(settings: &DcatSettings) -> Value {
    let mut contact = json!({
        "typ": "Organizace",
        "jméno": { "cs": settings.publisher_name },
    });
    if let (Some(email), Some(contact)) = (&settings.contact_email, contact.as_object_mut()) {
        contact.insert("e-mail".to_owned(), json!(format!("mailto:{email}")));
    }
    contact
}

/// `dcat.jsonld`: the dataset record in the OFN JSON-LD form.
pub fn dataset_jsonld(settings: &DcatSettings) -> String {
    let base = settings.base();
    let terms = json!({
        "typ": "Specifikace podmínek užití",
        "autorské_dílo": format!("{PU}neobsahuje-autorská-díla/"),
        "databáze_jako_autorské_dílo": format!("{PU}není-autorskoprávně-chráněnou-databází/"),
        "databáze_chráněná_zvláštními_právy": format!("{PU}není-chráněna-zvláštním-právem-pořizovatele-databáze/"),
        "osobní_údaje": format!("{PU}neobsahuje-osobní-údaje/"),
    });
    let distributions: Vec<Value> = DISTRIBUTIONS
        .iter()
        .map(|d| {
            let mut value = json!({
                "iri": settings.distribution_iri(d.id),
                "typ": "Distribuce",
                "podmínky_užití": terms,
                "přístupové_url": format!("{base}{}", d.file),
                "soubor_ke_stažení": format!("{base}{}", d.file),
                "formát": format!("{FILE_TYPE}{}", d.file_type),
                "typ_média": format!("{MEDIA_TYPE}{}", d.media_type),
                "název": { "cs": d.title_cs, "en": d.title_en },
            });
            if let (Some(schema), Some(value)) = (d.schema, value.as_object_mut()) {
                value.insert("schéma".to_owned(), json!(format!("{base}{schema}")));
            }
            value
        })
        .collect();
    let contact = contact_point(settings);
    let record = json!({
        "@context": OFN_CONTEXT,
        "iri": settings.dataset_iri(),
        "typ": "Datová sada",
        "název": { "cs": TITLE_CS, "en": TITLE_EN },
        "popis": { "cs": DESCRIPTION_CS, "en": DESCRIPTION_EN },
        "poskytovatel": settings.publisher_iri,
        "téma": THEMES,
        "periodicita_aktualizace": FREQUENCY,
        "klíčové_slovo": { "cs": KEYWORDS_CS, "en": KEYWORDS_EN },
        "prvek_rúian": [RUIAN_CZ],
        "kontaktní_bod": contact,
        "dokumentace": base,
        "právní_předpis": LEGISLATION,
        "distribuce": distributions,
    });
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    text
}

const CATALOG_DESCRIPTION_CS: &str = "Lokální katalog otevřených dat s jednotným seznamem blokovaných \
internetových stránek podle § 115b zákona č. 127/2005 Sb.";
const CATALOG_DESCRIPTION_EN: &str = "Local open data catalogue with the unified list of blocked websites \
under Section 115b of Act 127/2005 Coll.";

/// `katalog.jsonld`: the local catalogue (LKOD) document in the OFN JSON-LD form, naming the
/// dataset, for NKOD to harvest (register its URL in NKOD as a "DCAT-AP Dokumenty" catalogue).
pub fn catalog_jsonld(settings: &DcatSettings) -> String {
    let contact = contact_point(settings);
    let record = json!({
        "@context": OFN_CONTEXT,
        "iri": settings.catalog_iri(),
        "typ": "Katalog",
        "název": {
            "cs": format!("Lokální katalog: {TITLE_CS}"),
            "en": format!("Local catalogue: {TITLE_EN}"),
        },
        "popis": { "cs": CATALOG_DESCRIPTION_CS, "en": CATALOG_DESCRIPTION_EN },
        "poskytovatel": settings.publisher_iri,
        "kontaktní_bod": contact,
        "domovská_stránka": settings.base(),
        "datová_sada": [settings.dataset_iri()],
    });
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    text
}

fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn iri(text: &str) -> String {
    // IRIs here come from the configuration; characters not allowed in IRIREF are escaped.
    let mut out = String::from("<");
    for c in text.chars() {
        if matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') || c <= ' ' {
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push(c);
        }
    }
    out.push('>');
    out
}

/// `dcat.ttl`: the local catalogue, the dataset record and its distributions in Turtle.
pub fn catalog_turtle(settings: &DcatSettings) -> String {
    let base = settings.base();
    let dataset = iri(&settings.dataset_iri());
    let mut ttl = String::new();
    ttl.push_str(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
         @prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n\
         @prefix dcatap: <http://data.europa.eu/r5r/> .\n\
         @prefix pu: <https://data.gov.cz/slovník/podmínky-užití/> .\n\n",
    );
    let _ = writeln!(ttl, "{} a dcat:Catalog ;", iri(&settings.catalog_iri()));
    let _ = writeln!(
        ttl,
        "    dct:title {}@cs, {}@en ;",
        literal(&format!("Lokální katalog: {TITLE_CS}")),
        literal(&format!("Local catalogue: {TITLE_EN}"))
    );
    let _ = writeln!(
        ttl,
        "    dct:description {}@cs, {}@en ;",
        literal(CATALOG_DESCRIPTION_CS),
        literal(CATALOG_DESCRIPTION_EN)
    );
    let _ = writeln!(ttl, "    dct:publisher {} ;", iri(&settings.publisher_iri));
    let _ = writeln!(ttl, "    foaf:homepage {} ;", iri(&base));
    let _ = writeln!(ttl, "    dcat:dataset {dataset} .\n");

    let _ = writeln!(ttl, "{dataset} a dcat:Dataset ;");
    let _ = writeln!(
        ttl,
        "    dct:title {}@cs, {}@en ;",
        literal(TITLE_CS),
        literal(TITLE_EN)
    );
    let _ = writeln!(
        ttl,
        "    dct:description {}@cs, {}@en ;",
        literal(DESCRIPTION_CS),
        literal(DESCRIPTION_EN)
    );
    let _ = writeln!(ttl, "    dct:publisher {} ;", iri(&settings.publisher_iri));
    let themes: Vec<String> = THEMES.iter().map(|t| iri(t)).collect();
    let _ = writeln!(ttl, "    dcat:theme {} ;", themes.join(", "));
    let _ = writeln!(ttl, "    dct:accrualPeriodicity {} ;", iri(FREQUENCY));
    let keywords: Vec<String> = KEYWORDS_CS
        .iter()
        .map(|k| format!("{}@cs", literal(k)))
        .chain(KEYWORDS_EN.iter().map(|k| format!("{}@en", literal(k))))
        .collect();
    let _ = writeln!(ttl, "    dcat:keyword {} ;", keywords.join(", "));
    let _ = writeln!(ttl, "    dct:spatial {} ;", iri(RUIAN_CZ));
    let _ = write!(
        ttl,
        "    dcat:contactPoint [ a vcard:Organization ; vcard:fn {}@cs",
        literal(&settings.publisher_name)
    );
    if let Some(email) = &settings.contact_email {
        let _ = write!(ttl, " ; vcard:hasEmail {}", iri(&format!("mailto:{email}")));
    }
    ttl.push_str(" ] ;\n");
    let _ = writeln!(ttl, "    foaf:page {} ;", iri(&base));
    let laws: Vec<String> = LEGISLATION.iter().map(|l| iri(l)).collect();
    let _ = writeln!(
        ttl,
        "    dcatap:applicableLegislation {} ;",
        laws.join(", ")
    );
    let dists: Vec<String> = DISTRIBUTIONS
        .iter()
        .map(|d| iri(&settings.distribution_iri(d.id)))
        .collect();
    let _ = writeln!(ttl, "    dcat:distribution {} .\n", dists.join(", "));

    for d in DISTRIBUTIONS {
        let url = iri(&format!("{base}{}", d.file));
        let _ = writeln!(
            ttl,
            "{} a dcat:Distribution ;",
            iri(&settings.distribution_iri(d.id))
        );
        let _ = writeln!(
            ttl,
            "    dct:title {}@cs, {}@en ;",
            literal(d.title_cs),
            literal(d.title_en)
        );
        let _ = writeln!(
            ttl,
            "    pu:specifikace [ a pu:Specifikace ;\n\
             \x20       pu:autorské-dílo <{PU}neobsahuje-autorská-díla/> ;\n\
             \x20       pu:databáze-jako-autorské-dílo <{PU}není-autorskoprávně-chráněnou-databází/> ;\n\
             \x20       pu:databáze-chráněná-zvláštními-právy <{PU}není-chráněna-zvláštním-právem-pořizovatele-databáze/> ;\n\
             \x20       pu:osobní-údaje <{PU}neobsahuje-osobní-údaje/> ] ;"
        );
        let _ = writeln!(ttl, "    dcat:accessURL {url} ;");
        let _ = writeln!(ttl, "    dcat:downloadURL {url} ;");
        let _ = writeln!(
            ttl,
            "    dct:format {} ;",
            iri(&format!("{FILE_TYPE}{}", d.file_type))
        );
        if let Some(schema) = d.schema {
            let _ = writeln!(
                ttl,
                "    dct:conformsTo {} ;",
                iri(&format!("{base}{schema}"))
            );
        }
        let _ = writeln!(
            ttl,
            "    dcat:mediaType {} .\n",
            iri(&format!("{MEDIA_TYPE}{}", d.media_type))
        );
    }
    ttl
}
