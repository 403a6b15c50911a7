#!/usr/bin/env python3
"""Writes violations/: one small CSV (plus CSVW metadata) per violation class of
`opendata-csv check`. Run from this folder; the bytes are spelled out here so each file shows
exactly one class (the expected reports are asserted in crates/opendata-csv/tests/violations.rs)."""
import json, os

HEADER = "název,datum,počet\r\n"
ROW = "Praha,2024-01-31,5\r\n"

def metadata(url, columns=None, context=None):
    if columns is None:
        columns = [
            {"name": "nazev", "titles": "název", "datatype": "string", "required": True},
            {"name": "datum", "titles": "datum", "datatype": "date", "required": False},
            {"name": "pocet", "titles": "počet", "datatype": "integer", "required": False},
        ]
    return {
        "@context": context if context is not None else ["http://www.w3.org/ns/csvw", {"@language": "cs"}],
        "url": url,
        "tableSchema": {"columns": columns, "primaryKey": columns[0]["name"]},
    }

# name -> (csv bytes, metadata dict or None for "no metadata file")
FIXTURES = {
    "clean": (HEADER + ROW + '"a, ""b""",,\r\n', "default"),
    "bom": ("\ufeff" + HEADER + ROW, "default"),
    "invalid-utf8": (HEADER.encode() + "Plze".encode() + b"\xf2" + b",2024-01-31,5\r\n", "default"),
    "wrong-delimiter": ("název;datum;počet\r\nPraha;2024-01-31;5\r\n", "default"),
    "bare-lf": ("název,datum,počet\n" + ROW, "default"),
    "bare-cr": (HEADER + "Praha,2024-01-31,5\r", "default"),
    "missing-final-line-break": (HEADER + "Praha,2024-01-31,5", "default"),
    "unquoted-quote": (HEADER + 'Praha "centrum",2024-01-31,5\r\n', "default"),
    "bad-quote-escaping": (HEADER + '"Praha "centrum"",2024-01-31,5\r\n', "default"),
    "unterminated-quote": (HEADER + '"Praha,2024-01-31,5\r\n', "default"),
    "ragged-row": (HEADER + "Praha,2024-01-31\r\n", "default"),
    "empty-row": (HEADER + "\r\n" + ROW, "default"),
    "empty-file": ("", "default"),
    "padding": (HEADER + "Praha ,2024-01-31,5\r\n", "default"),
    "null-value": (HEADER + "Praha,null,5\r\n", "default"),
    "non-iso-date": (HEADER + "Praha,31.01.2024,5\r\n", None),
    "decimal-comma": (HEADER + 'Praha,2024-01-31,"5,5"\r\n', None),
    "datatype-mismatch": (HEADER + "Praha,31.01.2024,5 000\r\n", "default"),
    "missing-required": (HEADER + ",2024-01-31,5\r\n", "default"),
    "empty-header": ("název,,počet\r\n" + ROW, "default"),
    "duplicate-header": ("název,datum,název\r\n" + ROW, "default"),
    "header-column-count": ("název,datum\r\nPraha,2024-01-31\r\n", "default"),
    "header-title-mismatch": ("nazev,datum,počet\r\n" + ROW, "default"),
    "header-name-mismatch": ("název,datum,pocet\r\n" + ROW, "no-titles"),
    "wrong-context": (HEADER + ROW, "wrong-context"),
    "invalid-column-name": (HEADER + ROW, "bad-name"),
    "unknown-datatype": (HEADER + ROW, "bad-datatype"),
    "missing-metadata": (HEADER + ROW, None),
    "url-mismatch": (HEADER + ROW, "other-url"),
}

os.makedirs("violations", exist_ok=True)
for name, (content, meta) in FIXTURES.items():
    csv_name = f"{name}.csv"
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with open(os.path.join("violations", csv_name), "wb") as f:
        f.write(data)
    if meta is None:
        continue
    m = metadata(csv_name)
    cols = m["tableSchema"]["columns"]
    if meta == "no-titles":
        for c in cols:
            del c["titles"]
    elif meta == "wrong-context":
        m["@context"] = "http://www.w3.org/ns/csvw"
    elif meta == "bad-name":
        cols[0]["name"] = "název"
        m["tableSchema"]["primaryKey"] = "název"
    elif meta == "bad-datatype":
        cols[2]["datatype"] = "integr"
    elif meta == "other-url":
        m["url"] = "jiny.csv"
    with open(os.path.join("violations", csv_name + "-metadata.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, ensure_ascii=False, indent=2)
        f.write("\n")
