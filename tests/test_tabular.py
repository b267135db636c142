"""Reading CSV/TSV/XLSX submissions into tables, and refusing unusable files with one line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import pickle
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.tabular import (
    REQUIRED_COLUMNS,
    Table,
    cell_text,
    column_letter,
    normalise_header,
    read_table,
)

DATA = Path(__file__).parent / "data" / "tabular"
HEADER = ",".join(REQUIRED_COLUMNS)
ROW_PARIS = "Q90,Paris,FR,CU-01,2023,12.5,COUNT,INSEE"
ROW_BERLIN = "Q64,Berlin,DE,CU-01,2023,7,COUNT,Amt für Statistik"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refuse(path: Path, **limits: int) -> UnusableInput:
    with pytest.raises(UnusableInput) as info:
        read_table(path, **limits)
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    assert text.startswith(str(path))
    return info.value


def only_table(path: Path) -> Table:
    tables = read_table(path)
    assert len(tables) == 1
    return tables[0]


# --- delimited text: what is read ----------------------------------------------------------


def test_clean_comma_csv_committed_file() -> None:
    table = only_table(DATA / "clean.csv")
    assert table.sheet is None
    assert table.path == DATA / "clean.csv"
    assert table.columns == [*REQUIRED_COLUMNS, "notes"]
    assert [row.row for row in table.rows] == [2, 3]
    madrid, barcelona = table.rows
    assert madrid.values["city_qid"] == "Q2807"
    assert madrid.values["value"] == "12.864060666"
    assert madrid.values["source"] == "Mori Memorial Foundation, Global Power City Index 2023"
    assert madrid.values["notes"] == ""
    assert barcelona.values["notes"] == "provisional; revised in 2024"


def test_semicolon_csv_keeps_decimal_comma_and_quoted_semicolon() -> None:
    table = only_table(DATA / "semicolon.csv")
    assert table.columns == list(REQUIRED_COLUMNS)
    assert table.original_columns[0] == "City QID"
    paris, berlin = table.rows
    assert paris.values["value"] == "12,5"  # left for the validator to report
    assert berlin.values["source"] == "Amt für Statistik; Berlin-Brandenburg"
    assert berlin.row == 3


@pytest.mark.parametrize(("name", "delimiter"), [
    ("tab.tsv", "\t"), ("tab.csv", "\t"), ("tab.txt", "\t"), ("pipe.csv", "|"),
    ("semi.txt", ";"),
])
def test_delimiters(tmp_path: Path, name: str, delimiter: str) -> None:
    text = "\n".join(line.replace(",", delimiter) for line in (HEADER, ROW_PARIS, ROW_BERLIN))
    table = only_table(write(tmp_path, name, text + "\n"))
    assert table.columns == list(REQUIRED_COLUMNS)
    assert [r.values["city_name"] for r in table.rows] == ["Paris", "Berlin"]
    assert table.rows[1].values["source"] == "Amt für Statistik"


def test_tsv_forces_tab_even_if_commas_dominate(tmp_path: Path) -> None:
    header = HEADER.replace(",", "\t")
    row = "Q90\tParis, Île-de-France, France\tFR\tCU-01\t2023\t1,5\tCOUNT\tINSEE, 2023, p. 4"
    table = only_table(write(tmp_path, "x.tsv", f"{header}\n{row}\n"))
    assert table.rows[0].values["city_name"] == "Paris, Île-de-France, France"
    assert table.rows[0].values["value"] == "1,5"


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + f"{HEADER}\n{ROW_BERLIN}\n".encode())
    table = only_table(path)
    assert table.columns[0] == "city_qid"
    assert table.original_columns[0] == "city_qid"
    assert table.rows[0].values["source"] == "Amt für Statistik"


def test_header_normalisation(tmp_path: Path) -> None:
    header = "City QID, City-Name ,COUNTRY,Indicator,Year.,VALUE ,unit,Source,Data  Quality"
    table = only_table(write(tmp_path, "h.csv", f"{header}\n{ROW_PARIS},ok\n"))
    assert table.columns == [*REQUIRED_COLUMNS, "data_quality"]
    assert table.original_columns == header.split(",")
    assert table.rows[0].values["value"] == "12.5"


@pytest.mark.parametrize(("raw", "expected"), [
    (" City QID ", "city_qid"), ("Value", "value"), ("VALUE ", "value"), ("Source", "source"),
    ("\ufeffcity_qid", "city_qid"), ("city - name", "city_name"), ("city.name", "city_name"),
    ("city__qid", "city_qid"), ("Year.", "year"), ("", ""), ("   ", ""),
    ("Ann\u0065\u0301e", "ann\u00e9e"),
])
def test_normalise_header(raw: str, expected: str) -> None:
    assert normalise_header(raw) == expected


def test_extra_columns_kept_with_letters(tmp_path: Path) -> None:
    table = only_table(write(tmp_path, "x.csv", f"notes,{HEADER},Flag\nsee p. 3,{ROW_PARIS},E\n"))
    assert table.columns == ["notes", *REQUIRED_COLUMNS, "flag"]
    assert table.rows[0].values["notes"] == "see p. 3"
    assert table.rows[0].values["flag"] == "E"
    assert table.column_letter("notes") == "A"
    assert table.column_letter("city_qid") == "B"
    assert table.column_letter("flag") == "J"
    with pytest.raises(KeyError):
        table.column_letter("nope")


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16383)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]


def test_empty_header_cell_named_by_letter_and_trailing_empty_dropped(tmp_path: Path) -> None:
    table = only_table(write(tmp_path, "x.csv", f"{HEADER},,remark,\n{ROW_PARIS},a,b,\n"))
    assert table.columns == [*REQUIRED_COLUMNS, "column_i", "remark"]
    assert table.original_columns[-2:] == ["", "remark"]
    assert table.rows[0].values["column_i"] == "a"
    assert table.rows[0].values["remark"] == "b"


def test_records_not_lines_empty_rows_counted_short_rows_padded(tmp_path: Path) -> None:
    text = (f"{HEADER},notes\n"
            f'{ROW_PARIS},"two\nlines"\n'      # row 2 spans lines 2-3
            "\n"                                # row 3: blank line, skipped
            ",,, ,,,,,\n"                       # row 4: only empty cells, skipped
            "Q64,Berlin,DE\n"                   # row 5: short, padded
            f"  Q220 , Rome ,IT,CU-01,2023,3,COUNT,ISTAT,\n")  # row 6: cells stripped
    table = only_table(write(tmp_path, "x.csv", text))
    assert [r.row for r in table.rows] == [2, 5, 6]
    assert table.rows[0].values["notes"] == "two\nlines"
    assert table.rows[1].values == {"city_qid": "Q64", "city_name": "Berlin", "country": "DE",
                                    "indicator": "", "year": "", "value": "", "unit": "",
                                    "source": "", "notes": ""}
    assert table.rows[2].values["city_qid"] == "Q220"
    assert table.rows[2].values["city_name"] == "Rome"


def test_crlf_and_header_only(tmp_path: Path) -> None:
    table = only_table(write(tmp_path, "x.csv", f"{HEADER}\r\n"))
    assert table.columns == list(REQUIRED_COLUMNS)
    assert table.rows == []


def test_field_size_limit_restored(tmp_path: Path) -> None:
    before = csv.field_size_limit()
    read_table(write(tmp_path, "x.csv", f"{HEADER}\n{ROW_PARIS}\n"), max_cell_chars=50)
    with pytest.raises(UnusableInput):
        read_table(write(tmp_path, "y.csv", f"{HEADER}\n{ROW_PARIS}{'x' * 100}\n"),
                   max_cell_chars=50)
    assert csv.field_size_limit() == before


# --- delimited text: what is refused -------------------------------------------------------


def test_cp1252_refused_with_line_and_byte_committed_file() -> None:
    path = DATA / "cp1252.csv"
    data = path.read_bytes()
    offset = data.index(b"\xe9")  # the é of Montréal, on line 3
    exc = refuse(path)
    assert exc.line == 3
    assert exc.row is None
    assert "UTF-8" in exc.message
    assert f"0xe9 at byte {offset}" in exc.message
    assert "'é'" in exc.message  # what the byte would be in Windows-1252
    assert str(exc).startswith(f"{path}: line 3: not UTF-8 (expected UTF-8, with or without BOM)")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_refused(tmp_path: Path, encoding: str) -> None:
    content = f"{HEADER}\n{ROW_BERLIN}\n".encode(encoding)
    if encoding == "utf-16-be":
        content = b"\xfe\xff" + content
    exc = refuse(write(tmp_path, "x.csv", content))
    name = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert f"{name} is not accepted; save as UTF-8" in exc.message
    assert exc.line == 1


def test_utf16_without_bom_refused_as_nul(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.csv", f"{HEADER}\n".encode("utf-16-le")))
    assert exc.line == 1
    assert "NUL byte at byte 1" in exc.message
    assert "UTF-16" in exc.message


def test_nul_byte_refused_with_line(tmp_path: Path) -> None:
    content = f"{HEADER}\n{ROW_PARIS}\nQ64,Ber\x00lin,DE\n".encode()
    exc = refuse(write(tmp_path, "x.csv", content))
    assert exc.line == 3
    nul = content.index(b"\x00")
    assert f"NUL byte at byte {nul}" in exc.message
    assert str(exc).startswith(f"{tmp_path / 'x.csv'}: line 3: NUL byte")


def test_missing_required_column(tmp_path: Path) -> None:
    header = HEADER.replace(",value", "").replace(",unit", "")
    exc = refuse(write(tmp_path, "x.csv", f"{header},notes\nQ90,Paris,FR,CU-01,2023,INSEE,n\n"))
    assert exc.row == 1
    assert exc.column == "value"
    assert "required columns missing: value, unit" in exc.message
    assert "columns found: city_qid, city_name, country, indicator, year, source, notes" in (
        exc.message)
    assert str(exc).startswith(f"{tmp_path / 'x.csv'}: row 1, column 'value': required columns")


def test_wrong_delimiter_gives_hint(tmp_path: Path) -> None:
    # a header that is one column under every candidate delimiter except a colon
    exc = refuse(write(tmp_path, "x.csv", HEADER.replace(",", ":") + "\n"))
    assert exc.row == 1 and exc.column == "city_qid"
    assert "columns found: city_qid:city_name" in exc.message
    assert "only one column was found: the delimiter must be one of , ; TAB |" in exc.message


def test_header_decides_between_several_delimiters(tmp_path: Path) -> None:
    header = HEADER.replace(",", ";") + ";Notes (source, page)"
    rows = ["Q90;Paris;FR;CU-01;2023;1,5;COUNT;INSEE, 2023;p. 4, 5",
            "Q64;Berlin;DE;CU-01;2023;2,5;COUNT;Amt, 2023;p. 1, 2"]
    table = only_table(write(tmp_path, "x.csv", "\n".join([header, *rows]) + "\n"))
    assert table.columns == [*REQUIRED_COLUMNS, "notes_(source,_page)"]
    assert table.rows[1].values["source"] == "Amt, 2023"


def test_tie_between_delimiters_goes_to_sniffer(tmp_path: Path) -> None:
    # neither delimiter splits out a required name: csv.Sniffer breaks the tie by consistency
    # (';' is in every line once, ',' is not); without the sniffer ',' would win the tie
    text = "a;b,c\n1;2,5,7\n3;4\n5;6,6\n"
    exc = refuse(write(tmp_path, "x.csv", text))
    assert "columns found: a, b,c" in exc.message


def test_hostile_quotes_do_not_make_sniffing_slow(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", ',";' * 30_000)
    started = time.perf_counter()
    exc = refuse(path)
    # A generous bound that only a quadratic sniffer breaks (hours at this size), so a busy
    # machine does not fail it; the speed itself is measured in bench/.
    assert time.perf_counter() - started < 30
    assert exc.row == 1


def test_duplicate_column(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.csv", f"{HEADER},Value \n{ROW_PARIS},3\n"))
    assert exc.row == 1
    assert exc.column == "value"
    assert "duplicate column" in exc.message
    assert "(column F)" in exc.message and "(column I)" in exc.message


def test_too_many_cells_in_a_row(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.csv", f"{HEADER}\n{ROW_PARIS}\n\n{ROW_BERLIN},oops,\n"))
    assert exc.row == 4
    assert exc.column is None
    assert "9 cells but the header has 8 columns" in exc.message
    assert "column I" in exc.message


def test_trailing_empty_cells_are_not_too_many(tmp_path: Path) -> None:
    table = only_table(write(tmp_path, "x.csv", f"{HEADER}\n{ROW_PARIS},,, \n"))
    assert table.rows[0].values["source"] == "INSEE"


def test_two_million_columns_refused_fast(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.csv", "c," * 2_000_000 + "c\n" + ROW_PARIS + "\n")
    started = time.perf_counter()
    exc = refuse(path)
    assert time.perf_counter() - started < 3
    assert exc.row == 1
    assert "at least 2,000,001 columns" in exc.message  # counted before csv splits the row
    assert "limit of 1,000" in exc.message


def test_wide_header_refused_without_building_the_row(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(2_000_000))  # 2 million distinct names
    path = write(tmp_path, "wide.csv", header + "\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        exc = refuse(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert exc.row == 1
    assert peak < 3 * size  # the file's bytes and text, not two million strings


def test_two_million_cells_in_a_data_row_refused_fast(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.csv", f"{HEADER}\n{ROW_PARIS}\n" + "1," * 2_000_000 + "\n")
    started = time.perf_counter()
    exc = refuse(path)
    assert time.perf_counter() - started < 3
    assert exc.row == 3
    assert "at least 2,000,001 cells but the header has 8 columns" in exc.message


def test_quoted_delimiters_do_not_count_as_columns(tmp_path: Path) -> None:
    notes = '"' + "," * 50 + '"'
    table = read_table(write(tmp_path, "x.csv", f"{HEADER},notes\n{ROW_PARIS},{notes}\n"),
                       max_columns=20)[0]
    assert table.rows[0].values["notes"] == "," * 50


def test_more_columns_than_limit(tmp_path: Path) -> None:
    header = HEADER + "".join(f",extra{i}" for i in range(5))
    exc = refuse(write(tmp_path, "x.csv", header + "\n"), max_columns=10)
    assert exc.row == 1
    assert "13 columns, more than the limit of 10" in exc.message


def test_over_long_cell_boundary(tmp_path: Path) -> None:
    ok = only_table(write(tmp_path, "ok.csv", f"{HEADER},notes\n{ROW_PARIS},{'n' * 100}\n"))
    assert len(ok.rows[0].values["notes"]) == 100
    exc = refuse(write(tmp_path, "x.csv", f"{HEADER},notes\n{ROW_PARIS},{'n' * 101}\n"),
                 max_cell_chars=100)
    assert (exc.row, exc.column) == (2, "notes")
    assert "101 characters (column I); the limit is 100" in exc.message


def test_huge_cell_caught_by_csv_limit_names_row_and_column(tmp_path: Path) -> None:
    huge = '"' + "x\n" * 60_000 + '"'  # a quoted cell over many lines
    text = f"{HEADER}\n{ROW_PARIS}\nQ64,{huge},DE,CU-01,2023,7,COUNT,s\n"
    exc = refuse(write(tmp_path, "x.csv", text))
    assert (exc.row, exc.column) == (3, "city_name")
    assert "longer than 10,000 characters (column B)" in exc.message


def test_unclosed_quote(tmp_path: Path) -> None:
    text = f'{HEADER}\n{ROW_PARIS}\nQ64,Berlin,DE,CU-01,2023,7,COUNT,"Amt\n{ROW_PARIS}\n'
    exc = refuse(write(tmp_path, "x.csv", text))
    assert (exc.row, exc.column) == (3, "source")
    assert "never closed" in exc.message and "(column H)" in exc.message


def test_text_after_closing_quote(tmp_path: Path) -> None:
    text = f'{HEADER}\nQ90,"Paris" (city),FR,CU-01,2023,1,COUNT,s\n'
    exc = refuse(write(tmp_path, "x.csv", text))
    assert (exc.row, exc.column) == (2, "city_name")
    assert "malformed quoting (column B)" in exc.message


@pytest.mark.parametrize("name", ["data.json", "data.xls", "data", "data.csv.gz"])
def test_unknown_suffix(tmp_path: Path, name: str) -> None:
    exc = refuse(write(tmp_path, name, HEADER))
    assert exc.message.startswith("unknown format")
    assert "expected .csv, .tsv or .xlsx" in exc.message
    assert (exc.row, exc.column, exc.sheet) == (None, None, None)


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert only_table(write(tmp_path, "DATA.CSV", f"{HEADER}\n{ROW_PARIS}\n")).rows[0].row == 2


def test_empty_file(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.csv", b""))
    assert exc.message == "empty file"
    assert str(exc) == f"{tmp_path / 'x.csv'}: empty file"


def test_whitespace_only_file(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.csv", b"\xef\xbb\xbf \r\n\r\n"))
    assert exc.message.startswith("empty file")


def test_file_over_size_limit(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.csv", f"{HEADER}\n{ROW_PARIS}\n"), max_bytes=50)
    assert "limit of 50 bytes" in exc.message
    assert f"{len(HEADER) + len(ROW_PARIS) + 2} bytes" in exc.message


def test_missing_file(tmp_path: Path) -> None:
    exc = refuse(tmp_path / "absent.csv")
    assert exc.message == "no such file"


def test_message_format_with_sheet_is_one_line() -> None:
    exc = UnusableInput(Path("x.xlsx"), "bad\nyear", row=4, column="year", sheet="Data")
    assert str(exc) == "x.xlsx, sheet 'Data': row 4, column 'year': bad year"
    assert (exc.path, exc.row, exc.column, exc.sheet) == (Path("x.xlsx"), 4, "year", "Data")
    assert str(UnusableInput(Path("a.csv"), "m", line=3)) == "a.csv: line 3: m"


def test_the_error_crosses_processes_whole() -> None:
    exc = UnusableInput(Path("x.xlsx"), "bad", row=4, column="year", sheet="Data")
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is UnusableInput and str(again) == str(exc)
    assert (again.row, again.column, again.sheet) == (4, "year", "Data")


# --- XLSX ----------------------------------------------------------------------------------


def make_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Leer"  # fully empty sheet
    data = workbook.create_sheet("Data 2023")
    data.append(["City QID", "City name", "Country", "Indicator", "Year", "Value", "Unit",
                 "Source", "Checked", "Received"])
    data.append(["Q90", "Paris", "FR", "CU-01", 2023, 12.5, "COUNT", "INSEE", True,
                 dt.date(2024, 3, 1)])
    data.append([])  # row 3 stays empty
    data.append(["Q64", "Berlin", "DE", "CU-01", 2023.0, 3.0, "COUNT", " Amt ", False,
                 dt.datetime(2024, 3, 2, 9, 30)])
    data["C7"] = "DE"  # row 7: a lone cell, then empty rows 5-6 before it
    workbook.save(path)
    return path


def test_xlsx_two_sheets_one_empty(tmp_path: Path) -> None:
    tables = read_table(make_workbook(tmp_path / "book.xlsx"))
    assert len(tables) == 1
    table = tables[0]
    assert table.sheet == "Data 2023"
    assert table.columns == [*REQUIRED_COLUMNS, "checked", "received"]
    assert table.original_columns[0] == "City QID"
    assert [r.row for r in table.rows] == [2, 4, 7]
    paris, berlin, lone = (r.values for r in table.rows)
    assert paris["value"] == "12.5"
    assert paris["year"] == "2023"
    assert paris["checked"] == "true"
    assert paris["received"] == "2024-03-01T00:00:00"  # openpyxl reads dates as datetimes
    assert berlin["value"] == "3"
    assert berlin["year"] == "2023"
    assert berlin["source"] == "Amt"
    assert berlin["checked"] == "false"
    assert berlin["received"] == "2024-03-02T09:30:00"
    assert lone == dict.fromkeys(table.columns, "") | {"country": "DE"}
    assert table.column_letter("received") == "J"


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (True, "true"), (False, "false"), (7, "7"), (3.0, "3"), (12.5, "12.5"),
    (-0.25, "-0.25"), (1e15, "1000000000000000.0"), (1e16, "1e+16"),
    (123456789012345.0, "123456789012345"),
    (0.1, "0.1"), (dt.date(2023, 1, 31), "2023-01-31"), (dt.time(8, 5), "08:05:00"),
    ("Zürich", "Zürich"),
])
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_xlsx_notes_sheet_ignored_but_data_read(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Read me"
    notes.append(["How to fill in this template"])
    notes.append(["One row per observation."])
    data = workbook.create_sheet("Data")
    data.append(list(REQUIRED_COLUMNS))
    data.append(ROW_PARIS.split(","))
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    with caplog.at_level(logging.WARNING, logger="cityculture.ingest.tabular"):
        tables = read_table(path)
    assert [t.sheet for t in tables] == ["Data"]
    assert tables[0].rows[0].values["city_name"] == "Paris"
    assert "sheet 'Read me': ignored" in caplog.text


def test_xlsx_without_required_columns_names_the_closest_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["notes"])
    data = workbook.create_sheet("Data")
    data.append(["city_qid", "indicator", "year", "amount"])
    data.append(["Q90", "CU-01", 2023, 1])
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    exc = refuse(path)
    assert (exc.sheet, exc.row, exc.column) == ("Data", 1, "city_name")
    assert "required columns missing: city_name, country, value, unit, source" in exc.message
    assert str(exc).startswith(f"{path}, sheet 'Data': row 1, column 'city_name': ")


def test_xlsx_data_sheet_with_broken_header_refused_even_next_to_good_one(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    good = workbook.active
    good.title = "2023"
    good.append(list(REQUIRED_COLUMNS))
    broken = workbook.create_sheet("2024")
    broken.append([c if c != "value" else "valeur" for c in REQUIRED_COLUMNS])
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    exc = refuse(path)
    assert (exc.sheet, exc.row, exc.column) == ("2024", 1, "value")


def test_xlsx_too_many_cells_and_long_cell(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(list(REQUIRED_COLUMNS))
    sheet.append(ROW_PARIS.split(","))
    sheet.append([*ROW_PARIS.split(","), None, "stray"])
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    exc = refuse(path)
    assert (exc.sheet, exc.row) == ("Data", 3)
    assert "10 cells but the header has 8 columns" in exc.message
    assert "column J" in exc.message

    sheet.delete_rows(3)
    sheet["H5"] = "s" * 30
    workbook.save(path)
    exc = refuse(path, max_cell_chars=20)
    assert (exc.sheet, exc.row, exc.column) == ("Data", 5, "source")


def test_xlsx_duplicate_column(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append([*REQUIRED_COLUMNS, "Year "])
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    exc = refuse(path)
    assert (exc.sheet, exc.row, exc.column) == ("Sheet", 1, "year")
    assert "duplicate column" in exc.message


def test_xlsx_all_sheets_empty(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    openpyxl.Workbook().save(path)
    assert "every sheet of the workbook is empty" in refuse(path).message


def test_zip_bomb_refused(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * (50 * 1024 * 1024))
    exc = refuse(path)
    assert "zip bomb" in exc.message
    assert "'xl/media/zeros.bin'" in exc.message
    assert "52,428,800 bytes" in exc.message


def test_zip_over_total_limit_refused(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "book.xlsx")
    exc = refuse(path, max_bytes=path.stat().st_size + 10)
    assert "would expand to" in exc.message and "zip bomb" in exc.message


def test_xlsx_not_a_zip(tmp_path: Path) -> None:
    exc = refuse(write(tmp_path, "x.xlsx", f"{HEADER}\n{ROW_PARIS}\n"))
    assert exc.message.startswith("not a valid .xlsx file")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    exc = refuse(path)
    assert exc.message.startswith("not a valid .xlsx file: ")


def rewrite_member(path: Path, member: str, change: object) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == member else data)  # type: ignore[operator]
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("declaration", [
    b'<!DOCTYPE lol [<!ENTITY lol "lol">]>',
    b'<!doctype x SYSTEM "file:///etc/passwd">',
])
def test_xlsx_with_doctype_refused(tmp_path: Path, declaration: bytes) -> None:
    path = make_workbook(tmp_path / "dtd.xlsx")
    rewrite_member(path, "xl/workbook.xml",
                   lambda data: b'<?xml version="1.0"?>' + declaration + data)
    exc = refuse(path)
    assert "'xl/workbook.xml'" in exc.message
    assert "DOCTYPE/ENTITY" in exc.message


def test_xlsx_doctype_hidden_behind_long_comment_refused(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "dtd.xlsx")
    padding = b"<!--" + b" " * 5000 + b"-->"
    rewrite_member(path, "xl/worksheets/sheet2.xml",
                   lambda data: padding + b'<!DOCTYPE x [<!ENTITY a "b">]>' + data)
    exc = refuse(path)
    assert "'xl/worksheets/sheet2.xml'" in exc.message
    assert "DOCTYPE/ENTITY" in exc.message


def test_xlsx_broken_sheet_xml(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "broken.xlsx")
    rewrite_member(path, "xl/worksheets/sheet2.xml", lambda data: data[: len(data) // 2])
    exc = refuse(path)
    assert exc.message.startswith(("not a valid .xlsx file", "cannot read the sheet"))
