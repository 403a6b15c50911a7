//! Reading and writing precinct batch documents (`VYSLEDKY_OKRSKY`), plus small XML helpers.

use crate::error::{Error, Result};
use crate::model::{ElectionKind, PrecinctKey, PrecinctResult, Turnout};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::fmt::Write as _;

/// The note citing ČSÚ as the source, placed in every generated document.
pub const SOURCE_NOTE: &str = "<!-- Zdroj dat: Český statistický úřad (ČSÚ), volby.cz. \
Podmínkou využívání dat je uvedení ČSÚ jako zdroje. -->";

/// The `DAVKA` header of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHeader {
    /// `DATUMVOLEB`.
    pub election_date: String,
    /// `PORADI_DAVKY`.
    pub number: u32,
    /// `OKRSKY_DAVKA`.
    pub rows: u32,
    /// `OKRSKY_CELKEM`.
    pub total: u32,
    /// `OKRSKY_ZPRAC` (cumulative).
    pub processed: u32,
}

/// A parsed batch document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBatch {
    /// Election kind from the namespace.
    pub kind: ElectionKind,
    /// `DATUM_CAS_GENEROVANI`.
    pub generated: Option<String>,
    /// The `DAVKA` header, absent in a `CHYBA` document.
    pub header: Option<BatchHeader>,
    /// `CHYBA/@KOD_CHYBY` (10 = batch not available yet).
    pub error_code: Option<u32>,
    /// The precinct rows in document order.
    pub precincts: Vec<PrecinctResult>,
}

/// Decodes an XML document to UTF-8 following its declaration, and checks that the bytes are
/// what it declares: an unknown encoding label is an error, and so is a document declared
/// (or, without a declaration, taken as) UTF-8 whose bytes are not UTF-8 — typically an
/// ISO-8859-2 file with a wrong declaration, which would otherwise publish mangled names.
///
/// A document declared ISO-8859-2 whose bytes are valid UTF-8 with non-ASCII characters is
/// read as UTF-8: clients re-encoded ČSÚ files without fixing the declaration.
pub fn decode<'a>(bytes: &'a [u8], source: &str) -> Result<Cow<'a, str>> {
    let head = bytes.get(..200).unwrap_or(bytes);
    let head = String::from_utf8_lossy(head);
    let label = head.find("encoding=").and_then(|i| {
        let rest = &head[i + 9..];
        // Only a quote opens the label (a stray non-ASCII byte here once split a char).
        let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        let rest = &rest[1..];
        rest.find(quote).map(|end| rest[..end].to_owned())
    });
    let encoding = match &label {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            Error::syntax(
                source,
                format!(
                    "the XML declaration names the encoding `{}`, which is not a known encoding",
                    label.chars().take(40).collect::<String>()
                ),
            )
        })?,
    };
    if encoding == encoding_rs::UTF_8 {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        return match std::str::from_utf8(body) {
            Ok(text) => Ok(Cow::Borrowed(text)),
            Err(e) => {
                let at = e.valid_up_to();
                Err(Error::syntax(
                    source,
                    format!(
                        "the document is {} UTF-8, but byte {at} (0x{:02X}) is not UTF-8 \
                         (an ISO-8859-2 file with a wrong declaration?)",
                        if label.is_some() {
                            "declared"
                        } else {
                            "taken as (no declaration)"
                        },
                        body.get(at).copied().unwrap_or_default()
                    ),
                ))
            }
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.is_ascii()
    {
        return Ok(Cow::Borrowed(text));
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| {
            Error::syntax(
                source,
                format!("the bytes are not valid {}", encoding.name()),
            )
        })
}

/// The attributes of one element that the reader asks for (`names`), borrowed from the
/// document (values are copied only when they hold entities or whitespace to normalise).
/// Kept inline: a batch has some sixty elements per precinct.
struct Attrs<'e, const N: usize> {
    names: [&'static str; N],
    values: [Option<Cow<'e, str>>; N],
    element: &'e str,
    source: &'e str,
    /// The enclosing precinct, named in error messages.
    owner: Option<PrecinctKey>,
}

fn precinct_label(key: PrecinctKey) -> String {
    let mut s = format!("OKRSEK CIS_OBEC={} CIS_OKRSEK={}", key.obec, key.okrsek);
    if key.council != 0 {
        let _ = write!(s, " KODZASTUP={}", key.council);
    }
    if key.round != 1 {
        let _ = write!(s, " KOLO={}", key.round);
    }
    s
}

/// "precinct: " to put before a message about one of the precinct's elements ("" outside one).
fn owner_context(owner: Option<PrecinctKey>) -> String {
    owner
        .map(|k| format!("{}: ", precinct_label(k)))
        .unwrap_or_default()
}

/// The error for a malformed or repeated attribute of `e`, naming the element, the precinct
/// it belongs to and, for a repeated one, the attribute.
fn attribute_error(
    e: &BytesStart<'_>,
    err: &quick_xml::events::attributes::AttrError,
    element: &str,
    source: &str,
    owner: Option<PrecinctKey>,
    reader_pos: u64,
) -> Error {
    let context = owner_context(owner);
    if let quick_xml::events::attributes::AttrError::Duplicated(at, _) = *err {
        // `at` is where the repeated name starts in the element's text.
        let text: &str = e;
        let name: String = text
            .get(at..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| *c != '=' && !c.is_whitespace())
            .take(60)
            .collect();
        return Error::syntax(
            source,
            format!(
                "byte {reader_pos}: {context}{element} has the attribute {name} twice \
                 (an attribute may appear once per element)"
            ),
        );
    }
    Error::syntax(
        source,
        format!("byte {reader_pos}: {context}{element}: {err}"),
    )
}

impl<'e, const N: usize> Attrs<'e, N> {
    /// Reads the attributes of `e` named in `names`; every attribute is checked (well
    /// formed, not repeated, entities known), the others are not kept.
    ///
    /// quick-xml's own check for repeated attributes keeps a list of every name per element
    /// (an allocation and a scan each): the common element, whose attributes are all in
    /// `names` and each there once, is checked here by the slot it fills instead. An
    /// element with any other attribute, or a name filled twice, is read again with
    /// quick-xml's check, which decides exactly as before (a repeated name is an error; the
    /// same local name under two prefixes is not).
    fn read(
        e: &'e BytesStart<'_>,
        names: [&'static str; N],
        element: &'e str,
        source: &'e str,
        owner: Option<PrecinctKey>,
        reader_pos: u64,
    ) -> Result<Self> {
        let mut values: [Option<Cow<'e, str>>; N] = std::array::from_fn(|_| None);
        let mut attributes = e.attributes();
        attributes.with_checks(false);
        let mut every_name_once = true;
        for a in attributes {
            let a =
                a.map_err(|err| attribute_error(e, &err, element, source, owner, reader_pos))?;
            let key = a.key.local_name().into_inner();
            match names
                .iter()
                .position(|n| *n == key)
                .and_then(|i| values.get_mut(i))
            {
                Some(slot @ None) => {
                    let value = a.normalized_value(XmlVersion::Implicit1_0).map_err(|err| {
                        Error::syntax(source, format!("byte {reader_pos}: {err}"))
                    })?;
                    *slot = Some(value);
                }
                _ => {
                    every_name_once = false;
                    break;
                }
            }
        }
        if !every_name_once {
            values = std::array::from_fn(|_| None);
            for a in e.attributes() {
                let a =
                    a.map_err(|err| attribute_error(e, &err, element, source, owner, reader_pos))?;
                let value = a
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|err| Error::syntax(source, format!("byte {reader_pos}: {err}")))?;
                let key = a.key.local_name().into_inner();
                if let Some(slot) = names
                    .iter()
                    .position(|n| *n == key)
                    .and_then(|i| values.get_mut(i))
                {
                    *slot = Some(value);
                }
            }
        }
        Ok(Self {
            names,
            values,
            element,
            source,
            owner,
        })
    }

    fn context(&self) -> String {
        owner_context(self.owner)
    }

    fn get(&self, name: &str) -> Option<&str> {
        let i = self.names.iter().position(|n| *n == name);
        debug_assert!(i.is_some(), "{name} is not read from {}", self.element);
        self.values.get(i?)?.as_deref()
    }
    fn required(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| {
            Error::syntax(
                self.source,
                format!(
                    "{}{} lacks the attribute {name}",
                    self.context(),
                    self.element
                ),
            )
        })
    }
    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T> {
        let v = self.required(name)?;
        v.trim().parse().map_err(|_| {
            Error::syntax(
                self.source,
                format!(
                    "{}{}/@{name}=\"{v}\" is not a whole number",
                    self.context(),
                    self.element
                ),
            )
        })
    }
    fn optional_number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>> {
        if self.get(name).is_none() {
            return Ok(None);
        }
        self.number(name).map(Some)
    }
}

/// Parses a precinct batch document (`VYSLEDKY_OKRSKY`) of any election kind.
///
/// `source` names the file or request in error messages. The document's namespace decides
/// the kind. `round` is the round assumed when the document does not say (`KOLO`).
pub fn parse_batch(bytes: &[u8], source: &str, round: u8) -> Result<ParsedBatch> {
    let text = decode(bytes, source)?;
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut kind = None;
    let mut generated = None;
    let mut header = None;
    let mut error_code = None;
    let mut precincts: Vec<PrecinctResult> = Vec::new();
    let mut current: Option<PrecinctResult> = None;
    // Rows of a batch have about as many votes and preferential votes as the previous one:
    // sized so, they are not grown element by element.
    let (mut votes_hint, mut preferences_hint) = (0usize, 0usize);
    let mut depth = 0usize;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| Error::syntax(source, format!("byte {pos}: {e}")))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                depth -= 1;
                if e.local_name().as_ref() == "OKRSEK"
                    && let Some(p) = current.take()
                {
                    votes_hint = p.votes.len();
                    preferences_hint = p.preferences.len();
                    precincts.push(p);
                }
                continue;
            }
            Event::Eof if depth > 0 => {
                return Err(Error::syntax(
                    source,
                    format!(
                        "byte {pos}: the document ends before its elements are closed (truncated?)"
                    ),
                ));
            }
            Event::Eof => break,
            _ => continue,
        };
        let local = e.local_name();
        let name: &str = local.as_ref();
        let owner = current.as_ref().map(PrecinctResult::key);
        if depth == 0 {
            if name != "VYSLEDKY_OKRSKY" {
                return Err(Error::syntax(
                    source,
                    format!("root element is {name}, expected VYSLEDKY_OKRSKY"),
                ));
            }
            let a = Attrs::read(
                &e,
                ["xmlns", "DATUM_CAS_GENEROVANI"],
                name,
                source,
                owner,
                pos,
            )?;
            let ns = a.get("xmlns").unwrap_or_default();
            kind = Some(ElectionKind::from_namespace(ns).ok_or_else(|| {
                Error::syntax(
                    source,
                    format!("unknown namespace `{ns}` on VYSLEDKY_OKRSKY"),
                )
            })?);
            generated = a.get("DATUM_CAS_GENEROVANI").map(str::to_owned);
        } else {
            let kind = kind.unwrap_or(ElectionKind::Ps);
            let key_attr = kind.vote_key_attribute();
            match name {
                "DAVKA" => {
                    let a = Attrs::read(
                        &e,
                        [
                            "DATUMVOLEB",
                            "PORADI_DAVKY",
                            "OKRSKY_DAVKA",
                            "OKRSKY_CELKEM",
                            "OKRSKY_ZPRAC",
                        ],
                        name,
                        source,
                        owner,
                        pos,
                    )?;
                    header = Some(BatchHeader {
                        election_date: a.get("DATUMVOLEB").unwrap_or_default().to_owned(),
                        number: a.number("PORADI_DAVKY")?,
                        rows: a.number("OKRSKY_DAVKA")?,
                        total: a.number("OKRSKY_CELKEM")?,
                        processed: a.number("OKRSKY_ZPRAC")?,
                    });
                }
                "CHYBA" => {
                    let a = Attrs::read(&e, ["KOD_CHYBY"], name, source, owner, pos)?;
                    error_code = Some(a.optional_number("KOD_CHYBY")?.unwrap_or(0));
                }
                "OKRSEK" => {
                    let a = Attrs::read(
                        &e,
                        [
                            "OPAKOVANE",
                            "DATUM_CAS_ZPRAC",
                            "KOLO",
                            "CIS_OBEC",
                            "CIS_OKRSEK",
                            "KODZASTUP",
                            "CIS_OBVODU",
                            "OZNAC_TYPU",
                            "CIS_OBVOD",
                            "PORADI_ZPRAC",
                        ],
                        name,
                        source,
                        owner,
                        pos,
                    )?;
                    let opakovane = a.get("OPAKOVANE").unwrap_or("0");
                    let repeated = match opakovane {
                        "0" | "false" => false,
                        "1" | "true" => true,
                        other => {
                            return Err(Error::syntax(
                                source,
                                format!("OKRSEK/@OPAKOVANE=\"{other}\" is not 0, 1, true or false"),
                            ));
                        }
                    };
                    let repeated_as_word = matches!(opakovane, "true" | "false");
                    let processed_at = a.required("DATUM_CAS_ZPRAC")?.to_owned();
                    if !crate::time::is_local_timestamp(&processed_at) {
                        return Err(Error::syntax(
                            source,
                            format!(
                                "OKRSEK/@DATUM_CAS_ZPRAC=\"{processed_at}\" is not YYYY-MM-DDTHH:MM:SS"
                            ),
                        ));
                    }
                    let p = PrecinctResult {
                        round: a.optional_number("KOLO")?.unwrap_or(round),
                        obec: a.number("CIS_OBEC")?,
                        okrsek: a.number("CIS_OKRSEK")?,
                        council: a.optional_number("KODZASTUP")?,
                        council_district: a.optional_number("CIS_OBVODU")?,
                        council_type: a.get("OZNAC_TYPU").map(str::to_owned),
                        senate_district: a.optional_number("CIS_OBVOD")?,
                        sequence: a.number("PORADI_ZPRAC")?,
                        processed_at,
                        repeated,
                        repeated_as_word,
                        turnout: Turnout::default(),
                        votes: Vec::with_capacity(if empty { 0 } else { votes_hint }),
                        preferences: Vec::with_capacity(if empty { 0 } else { preferences_hint }),
                    };
                    if empty {
                        precincts.push(p);
                    } else {
                        current = Some(p);
                    }
                }
                "UCAST_OKRSEK" => {
                    let a = Attrs::read(
                        &e,
                        [
                            "ZAPSANI_VOLICI",
                            "VYDANE_OBALKY",
                            "ODEVZDANE_OBALKY",
                            "PLATNE_HLASY",
                            "VOLICSKE_PRUKAZY",
                            "PLATNE_LISTKY",
                        ],
                        name,
                        source,
                        owner,
                        pos,
                    )?;
                    let Some(p) = current.as_mut() else {
                        return Err(Error::syntax(source, "UCAST_OKRSEK outside OKRSEK"));
                    };
                    p.turnout = Turnout {
                        registered: a.number("ZAPSANI_VOLICI")?,
                        envelopes_issued: a.number("VYDANE_OBALKY")?,
                        envelopes_returned: a.number("ODEVZDANE_OBALKY")?,
                        valid_votes: a.number("PLATNE_HLASY")?,
                        voter_cards: a.optional_number("VOLICSKE_PRUKAZY")?,
                        valid_ballots: a.optional_number("PLATNE_LISTKY")?,
                    };
                }
                "HLASY_OKRSEK" => {
                    let a = Attrs::read(&e, [key_attr, "HLASY"], name, source, owner, pos)?;
                    let key = a.number(key_attr)?;
                    let votes = a.number("HLASY")?;
                    let Some(p) = current.as_mut() else {
                        return Err(Error::syntax(source, "HLASY_OKRSEK outside OKRSEK"));
                    };
                    p.votes.push((key, votes));
                }
                "KANDIDAT" => {
                    // Preferential votes of the precinct, in the attributes of ČSÚ's
                    // `vysledky_kandid` (`KSTRANA`, `PORCISLO`, `HLASY`).
                    let a = Attrs::read(
                        &e,
                        [key_attr, "PORCISLO", "HLASY"],
                        name,
                        source,
                        owner,
                        pos,
                    )?;
                    let party = a.number(key_attr)?;
                    let candidate = a.number("PORCISLO")?;
                    let votes = a.number("HLASY")?;
                    let Some(p) = current.as_mut() else {
                        return Err(Error::syntax(source, "KANDIDAT outside OKRSEK"));
                    };
                    p.preferences.push((party, candidate, votes));
                }
                _ => {
                    // Checked all the same (well formed, entities known), nothing kept.
                    Attrs::read(&e, [], name, source, owner, pos)?;
                }
            }
        }
        if !empty {
            depth += 1;
        }
    }
    let kind = kind.ok_or_else(|| Error::syntax(source, "empty document"))?;
    Ok(ParsedBatch {
        kind,
        generated,
        header,
        error_code,
        precincts,
    })
}

/// Appends `value` to `out` escaped for an attribute value.
pub fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Literal whitespace in an attribute value is read back as a space.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

/// Appends the decimal digits of `value`: what `write!` does with an integer, without the
/// formatting machinery (batch documents are made of little else).
pub fn push_number(out: &mut String, value: impl Into<u64>) {
    let mut value: u64 = value.into();
    // Filled from the right; u64::MAX has 20 digits.
    let mut digits = [0u8; 20];
    let mut len = 0;
    for slot in digits.iter_mut().rev() {
        // `value % 10` is a single digit.
        *slot = b'0' + (value % 10) as u8;
        len += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &d in digits.iter().skip(digits.len() - len) {
        out.push(char::from(d));
    }
}

/// Writes the XML declaration, the source note and the opening root tag (left open for
/// extra attributes is not needed: the root is closed with `>`).
pub fn open_root(out: &mut String, kind: ElectionKind, root: &str, xsd: &str, generated: &str) {
    let ns = kind.namespace();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{SOURCE_NOTE}\n<{root} xmlns=\"{ns}\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{ns} {prefix}_{xsd}.xsd\" \
DATUM_CAS_GENEROVANI=\"{generated}\">\n",
        prefix = kind.xsd_prefix()
    );
}

/// Formats `num / den` as a percentage with two decimals, rounding half up (`"0.00"` when
/// `den` is 0).
pub fn percent(num: u64, den: u64) -> String {
    let mut out = String::with_capacity(8);
    push_percent(&mut out, num, den);
    out
}

/// Appends [`percent`]`(num, den)` to `out`.
pub fn push_percent(out: &mut String, num: u64, den: u64) {
    if den == 0 {
        out.push_str("0.00");
        return;
    }
    let hundredths = (u128::from(num) * 20_000 + u128::from(den)) / (2 * u128::from(den));
    push_hundredths(out, hundredths);
}

/// Appends `hundredths / 100` with two decimals.
fn push_hundredths(out: &mut String, hundredths: u128) {
    let Ok(hundredths) = u64::try_from(hundredths) else {
        // Beyond any real count (shares of bounded counts stay far below).
        let _ = write!(out, "{}.{:02}", hundredths / 100, hundredths % 100);
        return;
    };
    push_number(out, hundredths / 100);
    let cents = hundredths % 100;
    out.push('.');
    out.push(char::from(b'0' + (cents / 10) as u8));
    out.push(char::from(b'0' + (cents % 10) as u8));
}

/// Formats `num / den` as a percentage with two decimals, truncated: ČSÚ truncates vote
/// shares (`PROC_HLASU`, `PREDNOSTNI_HLASY_PROC`), so a share never shows a threshold it has
/// not reached (`"0.00"` when `den` is 0).
pub fn percent_truncated(num: u64, den: u64) -> String {
    let mut out = String::with_capacity(8);
    push_percent_truncated(&mut out, num, den);
    out
}

/// Appends [`percent_truncated`]`(num, den)` to `out`.
pub fn push_percent_truncated(out: &mut String, num: u64, den: u64) {
    if den == 0 {
        out.push_str("0.00");
        return;
    }
    push_hundredths(out, u128::from(num) * 10_000 / u128::from(den));
}

/// Writes one batch document.
pub fn write_batch(
    kind: ElectionKind,
    generated: &str,
    header: &BatchHeader,
    rows: &[&PrecinctResult],
) -> String {
    // About the size it will be, so the document is not copied as it grows.
    let size = rows.iter().fold(1024usize, |size, p| {
        size.saturating_add(400)
            .saturating_add(p.votes.len().saturating_mul(48))
            .saturating_add(p.preferences.len().saturating_mul(56))
    });
    let mut out = String::with_capacity(size);
    open_root(
        &mut out,
        kind,
        "VYSLEDKY_OKRSKY",
        "vysledky_okrsky",
        generated,
    );
    let _ = writeln!(
        out,
        "<DAVKA DATUMVOLEB=\"{}\" PORADI_DAVKY=\"{}\" OKRSKY_DAVKA=\"{}\" OKRSKY_CELKEM=\"{}\" OKRSKY_ZPRAC=\"{}\"/>",
        header.election_date, header.number, header.rows, header.total, header.processed
    );
    let key_attr = kind.vote_key_attribute();
    for p in rows {
        out.push_str("<OKRSEK CIS_OBEC=\"");
        push_number(&mut out, p.obec);
        out.push_str("\" CIS_OKRSEK=\"");
        push_number(&mut out, p.okrsek);
        out.push('"');
        if let Some(v) = p.council {
            out.push_str(" KODZASTUP=\"");
            push_number(&mut out, v);
            out.push('"');
        }
        if let Some(v) = p.council_district {
            out.push_str(" CIS_OBVODU=\"");
            push_number(&mut out, v);
            out.push('"');
        }
        if let Some(v) = &p.council_type {
            out.push_str(" OZNAC_TYPU=\"");
            push_escaped(&mut out, v);
            out.push('"');
        }
        if let Some(v) = p.senate_district {
            out.push_str(" CIS_OBVOD=\"");
            push_number(&mut out, v);
            out.push('"');
        }
        if kind == ElectionKind::Senat {
            out.push_str(" KOLO=\"");
            push_number(&mut out, p.round);
            out.push('"');
        }
        out.push_str(" PORADI_ZPRAC=\"");
        push_number(&mut out, p.sequence);
        out.push_str("\" DATUM_CAS_ZPRAC=\"");
        push_escaped(&mut out, &p.processed_at);
        out.push_str("\" OPAKOVANE=\"");
        out.push_str(match (p.repeated, p.repeated_as_word) {
            (false, false) => "0",
            (true, false) => "1",
            (false, true) => "false",
            (true, true) => "true",
        });
        out.push_str("\">\n");
        let t = &p.turnout;
        for (name, v) in [
            ("<UCAST_OKRSEK ZAPSANI_VOLICI=\"", t.registered),
            ("\" VYDANE_OBALKY=\"", t.envelopes_issued),
            ("\" ODEVZDANE_OBALKY=\"", t.envelopes_returned),
            ("\" PLATNE_HLASY=\"", t.valid_votes),
        ] {
            out.push_str(name);
            push_number(&mut out, v);
        }
        out.push('"');
        if let Some(v) = t.voter_cards {
            out.push_str(" VOLICSKE_PRUKAZY=\"");
            push_number(&mut out, v);
            out.push('"');
        }
        if let Some(v) = t.valid_ballots {
            out.push_str(" PLATNE_LISTKY=\"");
            push_number(&mut out, v);
            out.push('"');
        }
        out.push_str("/>\n");
        for &(key, votes) in &p.votes {
            out.push_str("<HLASY_OKRSEK ");
            out.push_str(key_attr);
            out.push_str("=\"");
            push_number(&mut out, key);
            out.push_str("\" HLASY=\"");
            push_number(&mut out, votes);
            out.push_str("\"/>\n");
        }
        for &(party, candidate, votes) in &p.preferences {
            out.push_str("<KANDIDAT ");
            out.push_str(key_attr);
            out.push_str("=\"");
            push_number(&mut out, party);
            out.push_str("\" PORCISLO=\"");
            push_number(&mut out, candidate);
            out.push_str("\" HLASY=\"");
            push_number(&mut out, votes);
            out.push_str("\"/>\n");
        }
        out.push_str("</OKRSEK>\n");
    }
    out.push_str("</VYSLEDKY_OKRSKY>\n");
    out
}

/// The "not yet" answer: `<CHYBA KOD_CHYBY="10"/>` in a batch root.
pub fn write_not_yet(kind: ElectionKind, generated: &str) -> String {
    let mut out = String::with_capacity(400);
    open_root(
        &mut out,
        kind,
        "VYSLEDKY_OKRSKY",
        "vysledky_okrsky",
        generated,
    );
    out.push_str("<CHYBA KOD_CHYBY=\"10\"/>\n</VYSLEDKY_OKRSKY>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_number_writes_what_display_writes() {
        for value in [
            0,
            1,
            9,
            10,
            99,
            100,
            4_294_967_295,
            10_000_000_000_000_000_000,
            u64::MAX,
        ] {
            let mut out = String::from("x");
            push_number(&mut out, value);
            assert_eq!(out, format!("x{value}"));
        }
    }

    #[test]
    fn percentages_round_half_up() {
        assert_eq!(percent(1, 3), "33.33");
        assert_eq!(percent(2, 3), "66.67");
        assert_eq!(percent(1, 8), "12.50");
        assert_eq!(percent(1, 1), "100.00");
        assert_eq!(percent(0, 0), "0.00");
        assert_eq!(percent(633_646, 903_239), "70.15");
        // ČSÚ's own figures (ps2013test, EP 2004 per the reference notes): vote shares
        // truncate, 65,742 / 637,328 = 10.315 % → 10.31; 700,942 / 2,332,862 → 30.04.
        assert_eq!(percent_truncated(65_742, 637_328), "10.31");
        assert_eq!(percent_truncated(700_942, 2_332_862), "30.04");
        assert_eq!(percent_truncated(15_095, 96_706), "15.60");
        assert_eq!(percent_truncated(1, 0), "0.00");
    }

    #[test]
    fn opakovane_is_written_back_as_the_source_wrote_it() {
        // KV 2022 writes 0/1 (kv2022_vysledky_okrsky_davka_007.xml), 2026 true/false.
        let row = |opakovane: &str, n: u32| {
            format!(
                "<OKRSEK CIS_OBEC=\"500054\" CIS_OKRSEK=\"{n}\" KODZASTUP=\"500054\" PORADI_ZPRAC=\"{n}\" \
                 DATUM_CAS_ZPRAC=\"2026-10-10T14:01:00\" OPAKOVANE=\"{opakovane}\"><UCAST_OKRSEK \
                 ZAPSANI_VOLICI=\"9\" VYDANE_OBALKY=\"5\" ODEVZDANE_OBALKY=\"5\" PLATNE_HLASY=\"5\"/>\
                 <HLASY_OKRSEK POR_STR_HLAS_LIST=\"1\" HLASY=\"5\"/></OKRSEK>"
            )
        };
        let doc = format!(
            "<VYSLEDKY_OKRSKY xmlns=\"http://www.volby.cz/kv/\">{}{}{}{}</VYSLEDKY_OKRSKY>",
            row("true", 1),
            row("false", 2),
            row("1", 3),
            row("0", 4)
        );
        let parsed = parse_batch(doc.as_bytes(), "a.xml", 1).unwrap();
        // Through the stored form and back.
        let stored: Vec<PrecinctResult> = parsed
            .precincts
            .iter()
            .map(|p| {
                let mut bytes = Vec::new();
                crate::store::encode_payload(p, &mut bytes);
                crate::store::decode_payload(&bytes).unwrap()
            })
            .collect();
        assert_eq!(stored, parsed.precincts);
        let header = BatchHeader {
            election_date: "20261009".into(),
            number: 1,
            rows: 4,
            total: 4,
            processed: 4,
        };
        let rows: Vec<&PrecinctResult> = stored.iter().collect();
        let written = write_batch(ElectionKind::Kv, "2026-10-10T14:05:00", &header, &rows);
        let forms: Vec<&str> = written
            .split("OPAKOVANE=\"")
            .skip(1)
            .map(|r| &r[..r.find('"').unwrap()])
            .collect();
        assert_eq!(forms, ["true", "false", "1", "0"]);
    }

    #[test]
    fn written_attributes_read_back_the_same() {
        let doc = br#"<VYSLEDKY_OKRSKY xmlns="http://www.volby.cz/kv/"><OKRSEK CIS_OBEC="1" CIS_OKRSEK="2" KODZASTUP="1" OZNAC_TYPU="a&#10;b&#9;&lt;&quot;" PORADI_ZPRAC="1" DATUM_CAS_ZPRAC="2022-09-24T14:00:00"><UCAST_OKRSEK ZAPSANI_VOLICI="1" VYDANE_OBALKY="1" ODEVZDANE_OBALKY="1" PLATNE_HLASY="0"/></OKRSEK></VYSLEDKY_OKRSKY>"#;
        let parsed = parse_batch(doc, "a.xml", 1).unwrap();
        assert_eq!(
            parsed.precincts[0].council_type.as_deref(),
            Some("a\nb\t<\"")
        );
        let header = BatchHeader {
            election_date: "20220923".into(),
            number: 1,
            rows: 1,
            total: 1,
            processed: 1,
        };
        let rows: Vec<_> = parsed.precincts.iter().collect();
        let written = write_batch(parsed.kind, "2022-09-24T14:05:00", &header, &rows);
        let again = parse_batch(written.as_bytes(), "b.xml", 1).unwrap();
        assert_eq!(again.precincts, parsed.precincts);
    }

    #[test]
    fn a_broken_encoding_label_is_an_error_not_a_panic() {
        let doc = b"<?xml version=\"1.0\" encoding=\xb0ISO-8859-2\"?>\r\n<VYSLEDKY_OKRSKY xmlns=\"http://www.volby.cz/kv/\" CIS_\xcf";
        assert!(parse_batch(doc, "d.xml", 1).is_err());
    }

    #[test]
    fn bad_batches_are_named() {
        let err =
            parse_batch(b"<VYSLEDKY xmlns=\"http://www.volby.cz/ps/\"/>", "x.xml", 1).unwrap_err();
        assert!(err.to_string().contains("x.xml"), "{err}");
        let doc = br#"<VYSLEDKY_OKRSKY xmlns="http://www.volby.cz/ps/"><OKRSEK CIS_OBEC="1" CIS_OKRSEK="x" PORADI_ZPRAC="1" DATUM_CAS_ZPRAC="2025-10-04T14:00:00"/></VYSLEDKY_OKRSKY>"#;
        let err = parse_batch(doc, "b.xml", 1).unwrap_err().to_string();
        assert!(err.contains("CIS_OKRSEK") && err.contains("b.xml"), "{err}");
        let err = parse_batch(b"<VYSLEDKY_OKRSKY", "c.xml", 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.xml"), "{err}");
    }

    /// XML allows an attribute once per element; the fast path of `Attrs::read` (no list of
    /// names kept by quick-xml) must refuse a repeat as quick-xml's own check does, whether
    /// the name is one the reader keeps or not, and name the attribute and the precinct.
    #[test]
    fn a_repeated_attribute_is_refused_and_named() {
        let doc = |okrsek: &str, hlasy: &str| {
            format!(
                r#"<VYSLEDKY_OKRSKY xmlns="http://www.volby.cz/ps/"><OKRSEK {okrsek} PORADI_ZPRAC="1" DATUM_CAS_ZPRAC="2025-10-04T14:00:00"><UCAST_OKRSEK ZAPSANI_VOLICI="10" VYDANE_OBALKY="5" ODEVZDANE_OBALKY="5" PLATNE_HLASY="5"/><HLASY_OKRSEK {hlasy}/></OKRSEK></VYSLEDKY_OKRSKY>"#
            )
        };
        let good = doc(
            r#"CIS_OBEC="500011" CIS_OKRSEK="1""#,
            r#"KSTRANA="1" HLASY="5""#,
        );
        assert_eq!(
            parse_batch(good.as_bytes(), "ok.xml", 1).unwrap().precincts[0].votes,
            [(1, 5)]
        );
        for (bad, attribute, owner) in [
            // A name the reader keeps, repeated with another value (the later one must
            // not silently win) and with the same value.
            (
                doc(
                    r#"CIS_OBEC="500011" CIS_OKRSEK="1""#,
                    r#"KSTRANA="1" HLASY="5" HLASY="7""#,
                ),
                "HLASY",
                "OKRSEK CIS_OBEC=500011 CIS_OKRSEK=1: HLASY_OKRSEK",
            ),
            (
                doc(
                    r#"CIS_OBEC="500011" CIS_OKRSEK="1" CIS_OBEC="500011""#,
                    r#"KSTRANA="1" HLASY="5""#,
                ),
                "CIS_OBEC",
                "OKRSEK has",
            ),
            // A name the reader does not keep.
            (
                doc(
                    r#"CIS_OBEC="500011" CIS_OKRSEK="1" X="1" X="1""#,
                    r#"KSTRANA="1" HLASY="5""#,
                ),
                "X",
                "OKRSEK has",
            ),
            // The same name with the same prefix is the same attribute.
            (
                doc(
                    r#"CIS_OBEC="500011" CIS_OKRSEK="1""#,
                    r#"KSTRANA="1" a:HLASY="5" a:HLASY="5""#,
                ),
                "a:HLASY",
                "HLASY_OKRSEK",
            ),
        ] {
            let err = parse_batch(bad.as_bytes(), "dup.xml", 1)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("dup.xml")
                    && err.contains(&format!("attribute {attribute} twice"))
                    && err.contains(owner),
                "{err}"
            );
        }
        // The same local name under two prefixes is two attributes: read as before (the
        // last one the reader sees counts), not refused.
        let two_prefixes = doc(
            r#"CIS_OBEC="500011" CIS_OKRSEK="1""#,
            r#"KSTRANA="1" a:HLASY="5" b:HLASY="6""#,
        );
        assert_eq!(
            parse_batch(two_prefixes.as_bytes(), "p.xml", 1)
                .unwrap()
                .precincts[0]
                .votes,
            [(1, 6)]
        );
        // Still well-formedness errors on the fast path, named with their element.
        let unquoted = doc(
            r#"CIS_OBEC="500011" CIS_OKRSEK="1""#,
            r#"KSTRANA="1" HLASY=5"#,
        );
        let err = parse_batch(unquoted.as_bytes(), "q.xml", 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("q.xml") && err.contains("HLASY_OKRSEK"),
            "{err}"
        );
    }
}
