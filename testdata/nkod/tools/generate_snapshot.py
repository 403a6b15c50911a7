#!/usr/bin/env python3
"""Writes ../snapshot.trig: a small catalogue dump in the layout of NKOD's nkod.trig.

Run from anywhere: `python3 testdata/nkod/tools/generate_snapshot.py`. The output is
committed; this script documents how it was made and lets it be regenerated.

Layout (see /work/shared/reference/nkod.md §1 and testdata/nkod/README.md):
- one named graph per dataset, graph IRI = dataset IRI;
- dataset IRIs re-minted as https://data.gov.cz/zdroj/datové-sady/{IČO}/{md5(LKOD IRI)} for
  LKOD-harvested records, .../{IČO}/{ISDS message id} for form-registered ones;
- the publisher (foaf:Agent + foaf:name) repeated inside every dataset graph;
- the catalog record <dataset/záznam> with foaf:primaryTopic, dct:language, dct:conformsTo
  and dct:source (LKOD records only);
- the graph https://data.gov.cz/zdroj/datová-sada/NKOD with the catalogue, its dcat:dataset /
  dcat:record links and dct:modified.
Download URLs of the four blocklists are RELATIVE IRIs (soubory/<file>) that the loader resolves
against the serving nkod-server's base URL.
"""

import hashlib
import os

OVM = "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/"
DS = "https://data.gov.cz/zdroj/datové-sady/"
FT = "http://publications.europa.eu/resource/authority/file-type/"
MT = "http://www.iana.org/assignments/media-types/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
CZE = "http://publications.europa.eu/resource/authority/country/CZE"
NKOD_CATALOG = "https://data.gov.cz/zdroj/katalog/NKOD"
NKOD_GRAPH = "https://data.gov.cz/zdroj/datová-sada/NKOD"
NKOD_MODIFIED = "2026-11-21"

PUBLISHERS = {
    "00006947": "Ministerstvo financí",
    "75014149": "Státní zemědělská a potravinářská inspekce",
    "00023817": "Státní ústav pro kontrolu léčiv",
    "00019585": "Ústav pro státní kontrolu veterinárních biopreparátů a léčiv",
    "00006599": "Úřad vlády České republiky",
    # The name of this publisher was not verified (the IČO comes from a real NKOD response).
    "49370227": "Poskytovatel s IČO 49370227",
    "00025712": "Český úřad zeměměřický a katastrální",
    "00025593": "Český statistický úřad",
    "00007064": "Ministerstvo vnitra",
    "66003008": "Ministerstvo dopravy",
    "70106975": "Český telekomunikační úřad",
    "00064581": "Hlavní město Praha",
    "44992785": "Statutární město Brno",
    # The fifth publisher with a candidate list (synthetic record; the IČO was not verified).
    "00020869": "Česká obchodní inspekce",
}


def md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def lit(text, lang="cs"):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def iri(value):
    return f"<{value}>"


class Dist:
    def __init__(self, access, download=None, fmt="CSV", media="text/csv", title=None,
                 schema=None, service=None, lkod_iri=None):
        self.access = access
        self.download = download
        self.fmt = fmt
        self.media = media
        self.title = title
        self.schema = schema
        self.service = service
        self.lkod_iri = lkod_iri


class Dataset:
    def __init__(self, ico, title, description, *, lkod_iri=None, form_id=None, title_en=None,
                 theme="GOVE", periodicity="IRREG", keywords=(), conforms_to=None, page=None,
                 contact=None, dists=(), legislation=()):
        self.ico = ico
        self.title = title
        self.title_en = title_en
        self.description = description
        self.lkod_iri = lkod_iri
        self.form_id = form_id
        self.theme = theme
        self.periodicity = periodicity
        self.keywords = keywords
        self.conforms_to = conforms_to
        self.page = page
        self.contact = contact
        self.dists = dists
        self.legislation = legislation

    @property
    def iri(self):
        suffix = md5(self.lkod_iri) if self.lkod_iri else self.form_id
        return f"{DS}{self.ico}/{suffix}"


def csv(url, **kw):
    return Dist(url, url, **kw)


BLOCKLIST_SCHEMA = None  # no CSVW schema is known for the four lists (nkod.md §5)

DATASETS = [
    # --- the ten datasets of the recorded GraphQL response datasets-iri-title-cs, in its order ---
    Dataset("00006599", "IS VaVaI: Číselník stavů uplatnění výsledku VaVaI",
            "Číselník stavů uplatnění výsledku výzkumu, vývoje a inovací v informačním systému VaVaI.",
            form_id="869775980", theme="EDUC", periodicity="ANNUAL", keywords=("číselník", "VaVaI"),
            dists=[csv("https://www.isvavai.cz/dokumenty/ciselniky/stav-uplatneni.csv")]),
    Dataset("49370227", "Přehled příspěvků ČR mezinárodním organizacím v roce 2011 a 2018",
            "Přehled povinných a dobrovolných příspěvků České republiky mezinárodním organizacím.",
            form_id="942853164", theme="INTR", periodicity="NEVER",
            dists=[Dist("https://example.gov.cz/prispevky-mo.xlsx", "https://example.gov.cz/prispevky-mo.xlsx",
                        fmt="XLSX", media="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]),
]

CUZK_TITLES = [
    ("INSPIRE téma Adresy (AD)", "AD", "ZIP", "application/zip"),
    ("INSPIRE téma Budovy (BU)", "BU", "ZIP", "application/zip"),
    ("INSPIRE téma Rozšířené Parcely (CPX)", "CPX", "ZIP", "application/zip"),
    ("INSPIRE téma Parcely (CP)", "CP", "ZIP", "application/zip"),
    ("Geometrické plány ve formátu VFK distribuované po katastrálních územích", "GP-VFK", "ZIP", "application/zip"),
    ("Katastrální mapa ČR ve formátu DXF distribuovaná po katastrálních územích", "KM-DXF", "ZIP", "application/zip"),
    ("Katastrální mapa ČR ve formátu SHP distribuovaná po katastrálních územích", "KM-SHP", "ZIP", "application/zip"),
    ("Katastrální mapa ČR ve formátu VFK distribuovaná po katastrálních územích", "KM-VFK", "ZIP", "application/zip"),
]
# md5 suffixes of these eight are the real ones from the recorded response; the LKOD IRIs behind
# them are unknown, so they are written with a fixed suffix instead of md5(LKOD IRI).
CUZK_SUFFIXES = [
    "90195e72c409a72df1106ffce3702c65", "efb1991fdce883ba25bfcca677f6f7ad",
    "7be8acad87b452a3f0112ecef98eb870", "165a95981c3f2f74d508d14c8d9fbafd",
    "fc2a4e7bdd8df139e5bd2b168987b0ed", "9bc6bf4d40e1aa9aae897fc00eba3bb7",
    "0e58a3865c7cab329401748512694c29", "833131929f536e67688acc2bd3bf35da",
]
for (title, code, fmt, media), suffix in zip(CUZK_TITLES, CUZK_SUFFIXES):
    ds = Dataset("00025712", title, f"Datová sada {title} poskytovaná Českým úřadem zeměměřickým a katastrálním.",
                 form_id=suffix, theme="REGI", periodicity="MONTHLY", keywords=("katastr", "INSPIRE"),
                 page="https://services.cuzk.gov.cz/",
                 dists=[Dist(f"https://services.cuzk.gov.cz/{code.lower()}/atom.xml",
                             f"https://services.cuzk.gov.cz/{code.lower()}/{code.lower()}.zip",
                             fmt=fmt, media=media)])
    ds.harvested_suffix = True
    DATASETS.append(ds)

# --- the four local blocklists (titles and publishers from nkod.md §5; records synthetic) ---
BLOCKLISTS = [
    Dataset("00006947", "Seznam nepovolených internetových her",
            "Veřejná část seznamu nepovolených internetových her vedeného Ministerstvem financí podle § 84 zákona "
            "č. 186/2016 Sb., o hazardních hrách: internetové stránky, aplikace a platební účty.",
            lkod_iri="https://data.mfcr.cz/lkod/datové-sady/seznam-nepovolenych-internetovych-her",
            title_en="List of unauthorised internet games", theme="GOVE", periodicity="IRREG",
            keywords=("hazardní hry", "blokace", "internetové stránky"),
            page="https://mf.gov.cz/cs/kontrola-a-regulace/hazardni-hry/blokace-nepovolenych-internetovych-her",
            contact=("Ministerstvo financí, odbor 34", "blokace@mfcr.cz"),
            # Two distributions, as MF publishes the list: the CSV and the PDF (the CSV is used).
            dists=[Dist("https://mf.gov.cz/cs/kontrola-a-regulace/hazardni-hry/blokace-nepovolenych-internetovych-her/verejna-cast-seznamu-nepovolenych-internetovych-he",
                        "soubory/mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
                        title="Seznam nepovolených internetových her (CSV, windows-1250)",
                        lkod_iri="https://data.mfcr.cz/lkod/datové-sady/seznam-nepovolenych-internetovych-her/distribuce/csv"),
                   Dist("https://mf.gov.cz/cs/kontrola-a-regulace/hazardni-hry/blokace-nepovolenych-internetovych-her/verejna-cast-seznamu-nepovolenych-internetovych-he",
                        "https://mf.gov.cz/assets/attachments/Zverejnovane-udaje-ze-Seznamu-nepovolenych-internetovych-her.pdf",
                        fmt="PDF", media="application/pdf",
                        title="Seznam nepovolených internetových her (PDF)",
                        lkod_iri="https://data.mfcr.cz/lkod/datové-sady/seznam-nepovolenych-internetovych-her/distribuce/pdf")]),
    Dataset("75014149", "Seznam internetových stránek s nabídkou nebezpečných potravin",
            "Seznam internetových stránek s nabídkou nebezpečných potravin, jejichž blokaci nařídila SZPI.",
            lkod_iri="https://www.szpi.gov.cz/lkod/datove-sady/blokovane-weby",
            theme="AGRI", periodicity="IRREG", keywords=("potraviny", "blokace", "internetové stránky"),
            page="https://www.szpi.gov.cz/clanek/seznam-blokovanych-webu.aspx",
            contact=("Státní zemědělská a potravinářská inspekce", "info@szpi.gov.cz"),
            dists=[csv("soubory/szpi-blokovane-weby.csv", title="Blokované weby SZPI (CSV)",
                       lkod_iri="https://www.szpi.gov.cz/lkod/datove-sady/blokovane-weby/distribuce/csv")]),
    Dataset("00023817", "Seznam stránek s nelegální nabídkou léčivých přípravků",
            "Seznam internetových stránek s nelegální nabídkou léčivých přípravků podle § 101a zákona o léčivech.",
            lkod_iri="https://opendata.sukl.cz/lkod/datové-sady/nelegalni-stranky-lp",
            theme="HEAL", periodicity="IRREG", keywords=("léčivé přípravky", "blokace", "internetové stránky"),
            page="https://opendata.sukl.cz/?q=katalog/nelegalni-stranky",
            contact=("Státní ústav pro kontrolu léčiv", "opendata@sukl.cz"),
            dists=[csv("soubory/sukl-nelegalni-stranky-lp.csv", title="Nelegální stránky LP (CSV)",
                       lkod_iri="https://opendata.sukl.cz/lkod/datové-sady/nelegalni-stranky-lp/distribuce/csv")]),
    Dataset("00019585", "Seznam stránek s nelegální nabídkou veterinárních léčivých přípravků",
            "Seznam internetových stránek s nelegální nabídkou veterinárních léčivých přípravků.",
            form_id="1187345120", theme="HEAL", periodicity="IRREG",
            keywords=("veterinární léčivé přípravky", "blokace", "internetové stránky"),
            page="https://www.uskvbl.cz/cs/databaze-a-seznamy/seznam-stranek-s-nelegalni-nabidkou-vlp",
            contact=("Ústav pro státní kontrolu veterinárních biopreparátů a léčiv", "uskvbl@uskvbl.cz"),
            dists=[csv("soubory/uskvbl-nelegalni-vlp.csv", title="Nelegální nabídka VLP (CSV)")]),
]

UNRELATED = [
    # same publishers as the lists: queries by publisher alone must still select by title
    ("00006947", "Seznam držitelů povolení k provozování hazardních her", "FINA", "MONTHLY", "CSV"),
    ("00006947", "Státní rozpočet – příjmy a výdaje", "ECON", "MONTHLY", "CSV"),
    ("00006947", "Monitor státní pokladny", "ECON", "MONTHLY", "JSON"),
    ("00006947", "Rozpočtová skladba – číselník paragrafů", "ECON", "ANNUAL", "XML"),
    ("75014149", "Potraviny na pranýři", "AGRI", "DAILY", "CSV"),
    ("75014149", "Výsledky kontrol SZPI", "AGRI", "MONTHLY", "CSV"),
    ("00023817", "Databáze léčivých přípravků (DLP)", "HEAL", "MONTHLY", "ZIP"),
    ("00023817", "Seznam lékáren provádějících zásilkový výdej", "HEAL", "WEEKLY", "CSV"),
    ("00023817", "Hlášení o výpadcích v dodávkách léčivých přípravků", "HEAL", "DAILY", "CSV"),
    ("00019585", "Seznam registrovaných veterinárních léčivých přípravků", "HEAL", "MONTHLY", "CSV"),
    ("00025593", "Číselník krajů", "REGI", "IRREG", "CSV"),
    ("00025593", "Číselník obcí", "REGI", "IRREG", "CSV"),
    ("00025593", "Pohyb obyvatel za ČR, kraje, okresy, SO ORP a obce", "SOCI", "ANNUAL", "CSV"),
    ("00025593", "Míra inflace", "ECON", "MONTHLY", "CSV"),
    ("00025593", "Průměrné mzdy podle odvětví", "ECON", "QUARTERLY", "CSV"),
    ("00025593", "Obyvatelstvo podle pětiletých věkových skupin a pohlaví", "SOCI", "ANNUAL", "JSON"),
    ("00007064", "Registr politických stran a politických hnutí", "GOVE", "DAILY", "XML"),
    ("00007064", "Počty obyvatel v obcích podle evidence obyvatel", "SOCI", "ANNUAL", "CSV"),
    ("70106975", "Pokrytí území signálem mobilních sítí", "TECH", "QUARTERLY", "CSV"),
    ("70106975", "Registr poskytovatelů služeb elektronických komunikací", "TECH", "DAILY", "CSV"),
    ("44992785", "Cyklistické stezky v Brně", "TRAN", "ANNUAL", "JSON"),
]

MEDIA = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "XML": "application/xml",
    "ZIP": "application/zip",
}

LKOD_BASE = {
    "00006947": "https://data.mfcr.cz/lkod/datové-sady/",
    "75014149": "https://www.szpi.gov.cz/lkod/datove-sady/",
    "00023817": "https://opendata.sukl.cz/lkod/datové-sady/",
    "00019585": "https://www.uskvbl.cz/lkod/datové-sady/",
    "00025593": "https://data.csu.gov.cz/lkod/datové-sady/",
    "00007064": "https://data.mvcr.gov.cz/lkod/datové-sady/",
    "70106975": "https://data.ctu.gov.cz/lkod/datové-sady/",
    "44992785": "https://data.brno.cz/lkod/datové-sady/",
}


def slug(text):
    table = str.maketrans("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ", "acdeeinorstuuyzACDEEINORSTUUYZ")
    out = "".join(c if c.isalnum() else "-" for c in text.translate(table).lower())
    return "-".join(part for part in out.split("-") if part)


for ico, title, theme, periodicity, fmt in UNRELATED:
    name = slug(title)
    lkod = LKOD_BASE[ico] + name
    host = LKOD_BASE[ico].split("/lkod/")[0]
    url = f"{host}/soubory/{name}.{fmt.lower()}"
    DATASETS.append(Dataset(ico, title, f"{title}.", lkod_iri=lkod, theme=theme, periodicity=periodicity,
                            keywords=(title.split()[0].lower(),),
                            dists=[Dist(url, url, fmt=fmt, media=MEDIA[fmt], lkod_iri=lkod + "/distribuce/" + fmt.lower())]))

# úřední desky (OFN conformsTo, the official example query filters on it)
for ico, city in [("00064581", "hl. m. Prahy"), ("44992785", "statutárního města Brna")]:
    base = {"00064581": "https://opendata.praha.eu/lkod/datové-sady/", "44992785": LKOD_BASE["44992785"]}[ico]
    host = base.split("/lkod/")[0]
    DATASETS.append(Dataset(ico, f"Úřední deska {city}", f"Vývěsky úřední desky {city}.",
                            lkod_iri=base + "uredni-deska", theme="GOVE", periodicity="DAILY",
                            keywords=("úřední deska",), conforms_to="https://ofn.gov.cz/úřední-desky/2021-07-20/",
                            dists=[Dist(f"{host}/uredni-deska.jsonld", f"{host}/uredni-deska.jsonld", fmt="JSON_LD",
                                        media="application/ld+json",
                                        schema="https://ofn.gov.cz/úřední-desky/2021-07-20/schémata/úřední-deska.json",
                                        lkod_iri=base + "uredni-deska/distribuce/jsonld")]))

# the OFN DCAT-AP-CZ example record (shared/testdata/nkod/dcat-ap-cz/datova-sada.example.ttl), harvested
DATASETS.append(Dataset(
    "66003008", "Jízdní řády veřejné linkové dopravy",
    "Obsahem datové sady jsou schválené a aktuálně platné jízdní řády veřejné linkové dopravy postoupené do "
    "Celostátního informačního systému o jízdních řádech ve strojově zpracovatelném formátu.",
    lkod_iri="https://data.gov.cz/lkod/mdcr/datové-sady/vld", title_en="Public transport timetables",
    theme="TRAN", periodicity="WEEKLY_3", keywords=("autobusy", "jízdní řády", "veřejná linková doprava"),
    conforms_to="https://ofn.gov.cz/jízdní-řády/2020-05-01/",
    page="https://www.mdcr.cz/Dokumenty/Verejna-doprava/Jizdni-rady,-kalendare-pro-jizdni-rady,-metodi-(1)/Jizdni-rady-verejne-dopravy",
    contact=("Ministerstvo dopravy, Odbor veřejné dopravy", "sekretariat.190@mdcr.cz"),
    dists=[Dist("https://portal.cisjr.cz/pub/draha/mestske/JDF.zip", "https://portal.cisjr.cz/pub/draha/mestske/JDF.zip",
                fmt="ZIP", media="application/json", title="JSON distribuce v ZIP soubrou",
                schema="https://portal.cisjr.cz/schemata/json-schema.json",
                lkod_iri="https://data.gov.cz/lkod/mdcr/datové-sady/vld/distribuce/csv"),
           Dist("https://portal.cisjr.cz/sparql", None, fmt=None, media=None, title="SPARQL endpoint pro jízdní řády",
                service="https://portal.cisjr.cz/sparql",
                lkod_iri="https://data.gov.cz/lkod/mdcr/datové-sady/vld/distribuce/sparql")]))

# Put the four lists in the middle of the file, not first: order must not be what finds them.
DATASETS = DATASETS[:10] + DATASETS[10:20] + BLOCKLISTS[:2] + DATASETS[20:26] + BLOCKLISTS[2:] + DATASETS[26:]

# A fifth publisher's list in the decree's shape, citing the decree as its legal basis: not one
# of the configured sources, so the unified list reports it as a candidate and leaves it out.
# SYNTHETIC: no such dataset is known; it stands for a new authority's list appearing in NKOD.
ELI_DECREE = "https://www.e-sbirka.cz/eli/cz/sb/2025/569"
CANDIDATE = Dataset(
    "00020869", "Seznam internetových stránek určených k blokaci – Česká obchodní inspekce",
    "Internetové stránky, k nimž mají poskytovatelé připojení zamezit přístup (synthetic test record).",
    lkod_iri="https://www.coi.cz/lkod/datové-sady/blokovane-stranky", theme="GOVE", periodicity="IRREG",
    keywords=("blokace", "internetové stránky"), legislation=(ELI_DECREE,),
    dists=[csv("soubory/coi-blokovane-stranky.csv", title="Blokované stránky (CSV)",
               lkod_iri="https://www.coi.cz/lkod/datové-sady/blokovane-stranky/distribuce/csv")])
DATASETS.append(CANDIDATE)


def dataset_iri(ds):
    if getattr(ds, "harvested_suffix", False):
        return f"{DS}{ds.ico}/{ds.form_id}"
    return ds.iri


def write_dataset(out, ds):
    d = dataset_iri(ds)
    pub = OVM + ds.ico
    harvested = ds.lkod_iri is not None or getattr(ds, "harvested_suffix", False)
    lines = [f"{iri(d)} {{"]
    types = "dcat:Dataset, tz:LKOD, tz:DokumentyDCAT" if harvested else "dcat:Dataset, tz:Formulář"
    p = [f"a {types}", f"dct:title {lit(ds.title)}" + (f", {lit(ds.title_en, 'en')}" if ds.title_en else ""),
         f"dct:description {lit(ds.description)}", f"dct:publisher {iri(pub)}",
         f"dcat:theme {iri(THEME + ds.theme)}", f"dct:accrualPeriodicity {iri(FREQ + ds.periodicity)}",
         f"dct:spatial {iri(CZE)}"]
    if ds.keywords:
        p.append("dcat:keyword " + ", ".join(lit(k) for k in ds.keywords))
    if ds.lkod_iri:
        p.append(f'dct:identifier "{ds.lkod_iri}"^^xsd:anyURI')
    if ds.conforms_to:
        p.append(f"dct:conformsTo {iri(ds.conforms_to)}")
    if ds.legislation:
        p.append("dcatap:applicableLegislation " + ", ".join(iri(x) for x in ds.legislation))
    if ds.page:
        p.append(f"foaf:page {iri(ds.page)}")
    if ds.contact:
        name, email = ds.contact
        p.append(f"dcat:contactPoint [ a vcard:Organization ; vcard:fn {lit(name)} ; vcard:hasEmail <mailto:{email}> ]")
    dist_iris = []
    for i, dist in enumerate(ds.dists):
        key = dist.lkod_iri or f"{d}/distribuce/{i + 1}"
        dist_iris.append(f"{d}/distribuce/{md5(key)}")
    p.append("dcat:distribution " + ", ".join(iri(x) for x in dist_iris))
    lines.append(f"  {iri(d)} " + " ;\n    ".join(p) + " .")
    for dist, di in zip(ds.dists, dist_iris):
        q = ["a dcat:Distribution", f"dcat:accessURL {iri(dist.access)}"]
        if dist.download:
            q.append(f"dcat:downloadURL {iri(dist.download)}")
        if dist.fmt:
            q.append(f"dct:format {iri(FT + dist.fmt)}")
        if dist.media:
            q.append(f"dcat:mediaType {iri(MT + dist.media)}")
        if dist.schema:
            q.append(f"dct:conformsTo {iri(dist.schema)}")
        if dist.title:
            q.append(f"dct:title {lit(dist.title)}")
        q.append("pu:specifikace [ a pu:Specifikace ; "
                 "pu:autorské-dílo <https://data.gov.cz/podmínky-užití/neobsahuje-autorská-díla/> ; "
                 "pu:databáze-jako-autorské-dílo <https://data.gov.cz/podmínky-užití/není-autorskoprávně-chráněnou-databází/> ; "
                 "pu:databáze-chráněná-zvláštními-právy <https://data.gov.cz/podmínky-užití/není-chráněna-zvláštním-právem-pořizovatele-databáze/> ; "
                 "pu:osobní-údaje <https://data.gov.cz/podmínky-užití/neobsahuje-osobní-údaje/> ]")
        if dist.service:
            svc = di + "/služba"
            q.append(f"dcat:accessService {iri(svc)}")
        lines.append(f"  {iri(di)} " + " ;\n    ".join(q) + " .")
        if dist.service:
            lines.append(f"  {iri(svc)} a dcat:DataService ; dct:title {lit(dist.title)} ; "
                         f"dcat:endpointURL {iri(dist.service)} ; "
                         f"dct:conformsTo <https://www.w3.org/TR/sparql11-protocol/> .")
    rec = [f"a dcat:CatalogRecord", f"foaf:primaryTopic {iri(d)}",
           "dct:language <http://publications.europa.eu/resource/authority/language/CES>",
           "dct:conformsTo <https://semiceu.github.io/DCAT-AP/releases/3.0.0>"]
    if ds.lkod_iri:
        rec.append(f"dct:source {iri(ds.lkod_iri)}")
    lines.append(f"  {iri(d + '/záznam')} " + " ;\n    ".join(rec) + " .")
    lines.append(f"  {iri(pub)} a foaf:Agent ; foaf:name {lit(PUBLISHERS[ds.ico])} .")
    lines.append("}")
    out.write("\n".join(lines) + "\n\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "snapshot.trig")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("# Local NKOD snapshot in the layout of https://data.gov.cz/soubor/nkod.trig.\n"
                  "# Generated by tools/generate_snapshot.py; see README.md and PROVENANCE.md.\n"
                  "# Relative IRIs (soubory/...) are resolved against the serving nkod-server's base URL.\n")
        for prefix, ns in [("dcat", "http://www.w3.org/ns/dcat#"), ("dct", "http://purl.org/dc/terms/"),
                           ("foaf", "http://xmlns.com/foaf/0.1/"), ("vcard", "http://www.w3.org/2006/vcard/ns#"),
                           ("xsd", "http://www.w3.org/2001/XMLSchema#"),
                           ("pu", "https://data.gov.cz/slovník/podmínky-užití/"),
                           ("tz", "https://data.gov.cz/slovník/nkod/typ-datové-sady-dle-zdroje/"),
                           ("dcatap", "http://data.europa.eu/r5r/")]:
            out.write(f"@prefix {prefix}: <{ns}> .\n")
        out.write("\n")
        for ds in DATASETS:
            write_dataset(out, ds)
        iris = [dataset_iri(ds) for ds in DATASETS]
        out.write(f"{iri(NKOD_GRAPH)} {{\n  {iri(NKOD_CATALOG)} a dcat:Catalog ;\n"
                  f"    dct:title {lit('Národní katalog otevřených dat')}, {lit('National Open Data Catalogue', 'en')} ;\n"
                  f"    dct:modified \"{NKOD_MODIFIED}\"^^xsd:date ;\n"
                  "    dcat:dataset " + ",\n      ".join(iri(x) for x in iris) + " ;\n"
                  "    dcat:record " + ",\n      ".join(iri(x + "/záznam") for x in iris) + " .\n}\n")
    print(f"wrote {path}: {len(DATASETS)} datasets")
    for ds in BLOCKLISTS:
        print(f"{dataset_iri(ds)}\t{ds.title}")


if __name__ == "__main__":
    main()
