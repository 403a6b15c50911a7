//! Public API: readers on crafted inputs, diff, guards, serials and the RPZ text.

use std::sync::Arc;

use blocklist_model::{
    FormatErrorKind, GuardError, GuardKind, Guards, NaiveDate, Problem, ReaderKind, RpzAction,
    RpzError, RpzOptions, Severity, SourceConfig, SourceLabel, UnifiedList, WwwPolicy, diff,
    next_serial, read_source, write_rpz,
};
use blocklist_model::{LandingNames, RpzAnswer, rpz_triggers};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn sukl() -> SourceConfig {
    SourceConfig::new("SÚKL", "Seznam", ReaderKind::Sukl)
}

fn list(csv: &str, date: NaiveDate) -> UnifiedList {
    let r = read_source(
        &SourceConfig::new("A", "B", ReaderKind::Decree),
        csv.as_bytes(),
    )
    .unwrap();
    UnifiedList::merge(date, r.entries)
}

#[test]
fn bad_rows_are_reported_and_others_kept() {
    let csv = "URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n\
               ok.cz,2024-01-01,\r\n\
               ,2024-01-02,\r\n\
               bad-date.cz,2024-13-01,\r\n\
               no-date.cz,,\r\n\
               backwards.cz,2024-02-01,2024-01-01\r\n\
               a b.cz,2024-01-01,\r\n\
               short.cz\r\n\
               ok2.cz,01.02.2024,\r\n";
    let r = read_source(&sukl(), csv.as_bytes()).unwrap();
    let got: Vec<(u64, Severity, Problem)> = r
        .diagnostics
        .iter()
        .map(|x| (x.line, x.severity, x.problem.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, Severity::Error, Problem::MissingAddress),
            (
                4,
                Severity::Error,
                Problem::InvalidDate {
                    column: "DATUM_ZAPISU".into(),
                    value: "2024-13-01".into()
                }
            ),
            (5, Severity::Error, Problem::MissingEntryDate),
            (6, Severity::Warning, Problem::RemovedBeforeEntered),
            (
                7,
                Severity::Warning,
                Problem::Address(blocklist_model::AddressError::InvalidCharacter)
            ),
            (
                8,
                Severity::Error,
                Problem::MissingFields {
                    found: 1,
                    expected: 3
                }
            ),
        ]
    );
    let urls: Vec<&str> = r.entries.iter().map(|e| e.url()).collect();
    assert_eq!(urls, ["ok.cz", "backwards.cz", "a b.cz", "ok2.cz"]);
    assert_eq!(r.counts.rows, 8);
    assert_eq!(r.counts.rejected, 4);
}

#[test]
fn unrecognised_format_names_source_and_expectation() {
    let e = read_source(&sukl(), b"foo,bar\r\n1,2\r\n").unwrap_err();
    assert_eq!(e.source_name, "SÚKL");
    let msg = e.to_string();
    assert!(
        msg.contains("SÚKL") && msg.contains("URL, DATUM_ZAPISU"),
        "{msg}"
    );
    assert!(matches!(e.kind, FormatErrorKind::UnrecognisedHeader { .. }));
    let e = read_source(&sukl(), b"\xEF\xBB\xBF\r\n\r\n").unwrap_err();
    assert!(matches!(e.kind, FormatErrorKind::Empty { .. }));
    // The MF layouts are MF's only.
    let mf = "Objekt blokace;Adresa internetové stránky;Datum zápisu a zveřejnění na Seznamu ;Datum výmazu a zveřejnění na Seznamu\r\n";
    assert!(read_source(&sukl(), mf.as_bytes()).is_err());
    let r = read_source(&SourceConfig::new("MF", "x", ReaderKind::Mf), mf.as_bytes()).unwrap();
    assert_eq!(r.counts.rows, 0);
}

#[test]
fn mf_unknown_object_type_and_utf8() {
    let mf = "Objekt blokace;Adresa internetové stránky;Důvody zápisu na Seznam;Datum zápisu a zveřejnění na Seznamu ;Datum výmazu a zveřejnění na Seznamu\r\n\
              Internetová stránka ;x.cz ;\"§ 1; § 2\";01.02.2024;\r\n\
              Doména;y.cz;;01.02.2024;\r\n";
    let r = read_source(&SourceConfig::new("MF", "x", ReaderKind::Mf), mf.as_bytes()).unwrap();
    assert_eq!(r.entries.len(), 1);
    assert_eq!(r.entries[0].url(), "x.cz");
    assert_eq!(r.entries[0].legal_basis(), Some("§ 1; § 2"));
    assert_eq!(
        r.diagnostics[0].problem,
        Problem::UnknownObjectType("Doména".into())
    );
    assert_eq!(r.diagnostics[0].line, 3);
}

#[test]
fn diff_classifies_changes() {
    let old = list(
        "URL,DATUM_ZAPISU,DATUM_VYMAZU\nstays.cz,2024-01-01,\nremoved.cz,2024-01-01,\ngone.cz,2024-01-01,\nchanged.cz,2024-01-01,2024-05-01\n",
        d(2024, 6, 1),
    );
    let new = list(
        "URL,DATUM_ZAPISU,DATUM_VYMAZU\nstays.cz,2024-01-01,\nremoved.cz,2024-01-01,2024-06-02\nchanged.cz,2024-01-01,2024-05-02\nnew.cz,2024-06-02,\nstays.cz,2024-06-02,\n",
        d(2024, 6, 2),
    );
    let diff = diff(&old, &new);
    let urls =
        |v: &[&blocklist_model::Entry]| v.iter().map(|e| e.url().to_owned()).collect::<Vec<_>>();
    assert_eq!(urls(&diff.added), ["new.cz", "stays.cz"]);
    assert_eq!(urls(&diff.vanished), ["gone.cz"]);
    assert_eq!(diff.newly_removed.len(), 1);
    assert_eq!(diff.newly_removed[0].1.url(), "removed.cz");
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.changed[0].1.removed(), Some(d(2024, 5, 2)));
    assert!(blocklist_model::diff(&new, &new).is_empty());
}

#[test]
fn guards_and_overrides() {
    let cfg = SourceConfig::new("MF", "x", ReaderKind::Decree);
    let empty = read_source(&cfg, b"URL,DATUM_ZAPISU\n").unwrap();
    let g = Guards::new();
    // A list with a header and no rows is valid on its own (a first read, or a list that had
    // no rows before either).
    assert!(g.check("MF", None, Ok(&empty)).unwrap().is_some());
    assert!(g.check("MF", Some(0), Ok(&empty)).unwrap().is_some());
    let e = g.check("MF", Some(10), Ok(&empty)).unwrap_err();
    assert_eq!(e.kind(), GuardKind::EmptySource);
    assert!(e.to_string().contains("had 10 rows"), "{e}");
    assert!(matches!(e, GuardError::EmptySource { .. }));
    assert!(
        g.clone()
            .allow("MF", GuardKind::EmptySource)
            .check("MF", Some(10), Ok(&empty))
            .is_ok()
    );

    let eight = "URL,DATUM_ZAPISU\n".to_owned()
        + &(0..8)
            .map(|i| format!("h{i}.cz,2024-01-01\n"))
            .collect::<String>();
    let eight = read_source(&cfg, eight.as_bytes()).unwrap();
    assert!(g.check("MF", Some(10), Ok(&eight)).is_ok()); // 20 % lost: allowed
    let e = g.check("MF", Some(11), Ok(&eight)).unwrap_err(); // 27 %
    assert_eq!(e.kind(), GuardKind::Shrink);
    assert!(e.to_string().contains("from 11 to 8"), "{e}");
    assert!(
        g.clone()
            .with_max_shrink(0.5)
            .check("MF", Some(11), Ok(&eight))
            .is_ok()
    );
    assert!(
        g.clone()
            .allow("MF", GuardKind::Shrink)
            .check("MF", Some(11), Ok(&eight))
            .is_ok()
    );
    assert!(
        g.clone()
            .allow("SÚKL", GuardKind::Shrink)
            .check("MF", Some(11), Ok(&eight))
            .is_err()
    );

    let bad = read_source(&cfg, b"nope\n").unwrap_err();
    let e = g.check("MF", None, Err(bad)).unwrap_err();
    assert_eq!(e.kind(), GuardKind::UnrecognisedFormat);
    let bad = read_source(&cfg, b"nope\n").unwrap_err();
    let g2 = g.allow("MF", GuardKind::UnrecognisedFormat);
    assert!(g2.check("MF", None, Err(bad)).unwrap().is_none());
}

#[test]
fn serial_strictly_increases() {
    let day = d(2026, 8, 18);
    assert_eq!(next_serial(None, day), Ok(2026081800));
    assert_eq!(next_serial(Some(2026081800), day), Ok(2026081801));
    assert_eq!(next_serial(Some(2026081799), day), Ok(2026081800));
    assert_eq!(
        next_serial(Some(2026081899), d(2026, 8, 19)),
        Ok(2026081900)
    );
    // A previous serial from another scheme that is larger still wins.
    assert_eq!(next_serial(Some(3_000_000_000), day), Ok(3_000_000_001));
    assert!(next_serial(Some(u32::MAX), day).is_err());
}

#[test]
fn rpz_text_exact() {
    let l = list(
        "URL,DATUM_ZAPISU,DATUM_VYMAZU\n\
         https://www.b.cz/,2024-01-01,\n\
         a.cz,2024-01-01,\n\
         a.cz/path,2024-01-01,\n\
         A.CZ.,2024-01-02,\n\
         old.cz,2024-01-01,2024-02-01\n\
         later.cz,2024-01-01,2024-12-31\n",
        d(2024, 6, 1),
    );
    let mut out = Vec::new();
    let report = write_rpz(
        &l,
        &RpzOptions::new("rpz.example.cz.", 2024060100),
        &mut out,
    )
    .unwrap();
    assert_eq!(report.hosts, 4);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "; Unified list of blocked websites (RPZ), valid as of 2024-06-01\n\
         $TTL 300\n\
         $ORIGIN rpz.example.cz.\n\
         @ IN SOA localhost. hostmaster.rpz.example.cz. ( 2024060100 3600 600 604800 300 )\n\
         @ IN NS localhost.\n\
         a.cz CNAME .\n*.a.cz CNAME .\n\
         b.cz CNAME .\n*.b.cz CNAME .\n\
         later.cz CNAME .\n*.later.cz CNAME .\n\
         www.b.cz CNAME .\n*.www.b.cz CNAME .\n"
    );
    let mut opts = RpzOptions::new("rpz.example.cz", 1);
    opts.www = WwwPolicy::AsListed;
    opts.action = RpzAction::Landing {
        ipv4: Some("192.0.2.80".parse().unwrap()),
        ipv6: Some("2001:db8::80".parse().unwrap()),
    };
    let mut out = Vec::new();
    write_rpz(&l, &opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\na.cz A 192.0.2.80\na.cz AAAA 2001:db8::80\n*.a.cz A 192.0.2.80\n"));
    assert!(!text.contains("\nb.cz "));
    opts.action = RpzAction::Landing {
        ipv4: None,
        ipv6: None,
    };
    assert!(matches!(
        write_rpz(&l, &opts, Vec::new()),
        Err(RpzError::NoLandingAddress)
    ));
    let bad = RpzOptions::new("rpz/evil", 1);
    assert!(matches!(
        write_rpz(&l, &bad, Vec::new()),
        Err(RpzError::InvalidName { .. })
    ));
}

#[test]
fn same_host_from_two_sources_stays_twice() {
    let mf = Arc::new(SourceLabel::new("MF", "x"));
    let sukl = Arc::new(SourceLabel::new("SÚKL", "y"));
    let e = |s: &Arc<SourceLabel>| {
        blocklist_model::Entry::new("x.cz", d(2024, 1, 1), None, Arc::clone(s), None)
    };
    let l = UnifiedList::merge(d(2024, 1, 2), [e(&mf), e(&sukl), e(&mf)]);
    assert_eq!(l.len(), 2);
    assert_eq!(l.collapsed_duplicates(), 1);
    assert_eq!(l.blocked_hosts(WwwPolicy::AlsoApex)["x.cz"], ["MF", "SÚKL"]);
}

#[test]
fn io_errors_are_kept_apart_from_format_errors() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = blocklist_model::read_source_from(&sukl(), Failing).unwrap_err();
    assert!(matches!(e, blocklist_model::ReadSourceError::Io { .. }));
    assert!(e.to_string().contains("SÚKL") && e.to_string().contains("disk on fire"));
    let e = blocklist_model::read_source_from(&sukl(), &b"x\n"[..]).unwrap_err();
    assert!(matches!(e, blocklist_model::ReadSourceError::Format(_)));
}

#[test]
fn windows_1250_outside_mf_is_read_with_a_warning() {
    // "URL,DATUM_ZAPISU\r\nmezinárodní.cz,2024-01-01\r\n" in windows-1250 (á = 0xE1, í = 0xED).
    let bytes = b"URL,DATUM_ZAPISU\r\nmezin\xE1rodn\xED.cz,2024-01-01\r\n";
    let r = read_source(&sukl(), bytes).unwrap();
    assert_eq!(r.entries[0].url(), "mezinárodní.cz");
    assert_eq!(r.diagnostics[0].problem, Problem::DecodedAsWindows1250);
    assert_eq!(r.diagnostics[0].line, 0);
}

#[test]
fn rpz_policies_nodata_landing_cname_and_provenance() {
    let mf = Arc::new(SourceLabel::new("Ministerstvo financí", "Seznam \"her\""));
    let sukl = Arc::new(SourceLabel::new("SÚKL", "Léčiva"));
    let e = |url: &str, day: u32, s: &Arc<SourceLabel>| {
        blocklist_model::Entry::new(url, d(2024, 1, day), None, Arc::clone(s), None)
    };
    let l = UnifiedList::merge(
        d(2024, 6, 1),
        [
            e("x.cz", 2, &sukl),
            e("x.cz", 3, &mf),
            e("www.y.cz", 1, &mf),
        ],
    );
    let mut opts = RpzOptions::new("rpz.example.cz", 1);
    opts.action = RpzAction::Nodata;
    let mut out = Vec::new();
    write_rpz(&l, &opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\nx.cz CNAME *.\n*.x.cz CNAME *.\n"),
        "{text}"
    );

    // Landing per authority: x.cz was listed first by SÚKL, so it lands on SÚKL's page.
    let names = LandingNames {
        by_authority: [("SÚKL".to_owned(), "blokace-sukl.example.cz.".to_owned())].into(),
        default: Some("blokace.example.cz".to_owned()),
    };
    opts.action = RpzAction::LandingCname(names.clone());
    opts.provenance = true;
    let mut out = Vec::new();
    let report = write_rpz(&l, &opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(
            "\nx.cz CNAME blokace-sukl.example.cz.\n*.x.cz CNAME blokace-sukl.example.cz.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\ny.cz CNAME blokace.example.cz.\n"),
        "{text}"
    );
    // One TXT per blocking row, ASCII only, quotes escaped.
    assert!(text.is_ascii());
    assert!(
        text.contains(
            "\n_info.x.cz TXT \"zdroj=S\\195\\154KL\" \"datova_sada=L\\195\\169\\196\\141iva\" \"datum_zapisu=2024-01-02\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"datova_sada=Seznam \\\"her\\\"\" \"datum_zapisu=2024-01-03\"\n"),
        "{text}"
    );
    assert_eq!(
        report.provenance_records, 4,
        "x.cz twice, www.y.cz and its apex"
    );

    let triggers = rpz_triggers(&l, &opts).unwrap();
    let x = triggers.iter().find(|t| t.host == "x.cz").unwrap();
    assert_eq!(x.answer, RpzAnswer::Cname("blokace-sukl.example.cz"));
    assert_eq!(x.entries.len(), 2);

    // An authority without a landing name and no default is an error naming it.
    opts.action = RpzAction::LandingCname(LandingNames {
        default: None,
        ..names
    });
    let err = write_rpz(&l, &opts, Vec::new()).unwrap_err();
    assert!(matches!(err, RpzError::NoLandingName { .. }));
    assert!(err.to_string().contains("Ministerstvo financí"), "{err}");
    opts.action = RpzAction::LandingCname(LandingNames {
        by_authority: Default::default(),
        default: Some("not a name".into()),
    });
    assert!(matches!(
        write_rpz(&l, &opts, Vec::new()),
        Err(RpzError::InvalidName { .. })
    ));
}
