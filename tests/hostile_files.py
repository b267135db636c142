"""Small files that once cost gigabytes of memory or minutes of CPU, written on demand.

Each writer takes a path and returns it; the XLSX writer builds the zip by hand so that the
XML (shared strings, ``<dimension>``, column letters, encodings) is exactly what an attacker
would send.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

HEADER = ["city_qid", "city_name", "country", "indicator", "year", "value", "unit", "source"]
GOOD_ROW = ["Q90", "Paris", "FR", "CO-01", "2023", "4", "NUM", "UNESCO"]

_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_CONTENT_TYPES = (
    f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OFFICE}.sharedStrings+xml"/>'
    "</Types>")
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_RELS = (f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
         f'Type="{_RELATION}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (f'{_DECLARATION}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             f'2006/main" xmlns:r="{_RELATION}"><sheets><sheet name="data" sheetId="1" '
             'r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_RELATION}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATION}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def column_letters(index: int) -> str:
    """0 -> A, 16383 -> XFD."""
    number, letters = index + 1, ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx(path: Path, rows: list[str], *, shared: list[str] | None = None,
         dimension: str = "A1:H2", sheet_prefix: str = "", encoding: str = "utf-8",
         extra_members: dict[str, bytes] | None = None) -> Path:
    """Write a one-sheet workbook whose sheet XML has the given ``<row>`` elements."""
    header = "".join(_inline(f"{column_letters(i)}1", name) for i, name in enumerate(HEADER))
    sheet = (f'{sheet_prefix}<worksheet xmlns="{_MAIN}"><dimension ref="{dimension}"/>'
             f'<sheetData><row r="1">{header}</row>{"".join(rows)}</sheetData></worksheet>')
    strings = "".join(f"<si><t>{s}</t></si>" for s in (shared or []))
    shared_xml = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" '
                  f'count="{len(shared or [])}">{strings}</sst>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.encode(encoding))
        archive.writestr("xl/sharedStrings.xml", shared_xml)
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data)
    return path


def good_row(number: int, qid: str = "Q90") -> str:
    """One valid data row as sheet XML."""
    cells = [qid, *GOOD_ROW[1:]]
    return f'<row r="{number}">' + "".join(
        _inline(f"{column_letters(i)}{number}", v) for i, v in enumerate(cells)) + "</row>"


def shared_string_amplifier(path: Path, rows: int = 1000, columns: int = 100,
                            chars: int = 9_999) -> Path:
    """Every cell of a wide sheet points at one shared string just under the cell limit."""
    header_extra = "".join(_inline(f"{column_letters(i)}1", f"note{i}")
                           for i in range(len(HEADER), columns))
    body = []
    for number in range(2, rows + 2):
        cells = "".join(_inline(f"{column_letters(i)}{number}", v)
                        for i, v in enumerate(GOOD_ROW))
        cells += "".join(f'<c r="{column_letters(i)}{number}" t="s"><v>0</v></c>'
                         for i in range(len(HEADER), columns))
        body.append(f'<row r="{number}">{cells}</row>')
    path = xlsx(path, body, shared=["x" * chars], dimension=f"A1:{column_letters(columns - 1)}"
                f"{rows + 1}")
    # the header row needs the extra column names too
    return _with_header_extra(path, header_extra)


def _with_header_extra(path: Path, extra: str) -> Path:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("</row>", extra + "</row>", 1)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def huge_dimension(path: Path) -> Path:
    """A two-row sheet that declares it spans A1:XFD1048576."""
    return xlsx(path, [good_row(2)], dimension="A1:XFD1048576")


def far_empty_cells(path: Path, rows: int = 110_000) -> Path:
    """Rows that each hold one empty cell in column XFD (the last one)."""
    body = [f'<row r="{n}"><c r="XFD{n}"/></row>' for n in range(2, rows + 2)]
    return xlsx(path, [*body, good_row(rows + 2)])


def far_row(path: Path) -> Path:
    """A good row, then one cell in the last row a sheet can have."""
    return xlsx(path, [good_row(2), '<row r="1048576"><c r="A1048576"/></row>'])


def doctype_after_comment(path: Path) -> Path:
    """An entity declaration after 8 KiB of comment, used in a cell."""
    prefix = ('<?xml version="1.0" encoding="UTF-8"?><!--' + "x" * 8192 + '-->'
              '<!DOCTYPE worksheet [<!ENTITY e "expanded entity">]>')
    return xlsx(path, [good_row(2).replace(">Paris<", ">&e;<")], sheet_prefix=prefix)


def utf16_without_bom(path: Path) -> Path:
    """The sheet written in UTF-16 (little endian) without a byte-order mark, with a DOCTYPE."""
    prefix = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [<!ENTITY e "x">]>'
    return xlsx(path, [good_row(2).replace(">Paris<", ">&e;<")], sheet_prefix=prefix,
                encoding="utf-16-le")


def many_rows_csv(path: Path, rows: int) -> Path:
    """A valid CSV of ``rows`` observations (distinct cities, so nothing is a duplicate)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + "\n")
        for number in range(rows):
            handle.write(f"Q{number + 1},City {number},FR,CO-01,2023,4,NUM,x\n")
    return path


def long_prefix_turtle(path: Path, chars: int = 1_000_000, uses: int = 200) -> Path:
    """One prefix whose IRI has a million characters, used in 200 triples."""
    lines = [f"@prefix p: <http://example.org/{'a' * chars}#> ."]
    lines += [f"p:s{n} p:p p:o ." for n in range(uses)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def long_vocab_jsonld(path: Path, uses: int = 20_000) -> Path:
    """A context whose @vocab is just under the IRI limit, expanded at every key."""
    vocab = "http://example.org/" + "v" * 8_000 + "#"
    nodes = [{"@id": f"http://example.org/s{n}", "k": n} for n in range(uses)]
    path.write_text(json.dumps({"@context": {"@vocab": vocab}, "@graph": nodes}),
                    encoding="utf-8")
    return path


def long_namespace_rdfxml(path: Path, uses: int = 20_000) -> Path:
    """An XML namespace just under the IRI limit, used by every property element."""
    namespace = "http://example.org/" + "n" * 8_000 + "#"
    body = "".join(f'<rdf:Description rdf:about="http://example.org/s{n}"><n:p>x</n:p>'
                   "</rdf:Description>" for n in range(uses))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                    f'xmlns:n="{namespace}">{body}</rdf:RDF>', encoding="utf-8")
    return path


def external_entity_xlsx(path: Path, url: str) -> Path:
    """A worksheet whose DTD names an external entity at ``url``, after a long comment."""
    prefix = ('<?xml version="1.0" encoding="UTF-8"?><!--<a>' + "x" * 8192 + '</a>-->'
              f'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "{url}">]>')
    return xlsx(path, [good_row(2).replace(">Paris<", ">&e;<")], sheet_prefix=prefix)
