from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.errors import ColumnError, DecodeError, InputError
from nlp.io import InputRecord, decode_bytes, read_records
from nlp.output import open_output, write_csv, write_jsonl
from nlp.results import AlertResult, CommentAnalysis, ErrorInfo, ThemeHit

EXCEL_TEXT = "①髙～の件、残業が多い"  # circled digit, IBM kanji, full-width tilde (CP932 only)


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _texts(records: object) -> list[str | None]:
    return [r.text for r in records]  # type: ignore[attr-defined]


# --- decode_bytes ---------------------------------------------------------------------


# fmt: off
@pytest.mark.parametrize(("text", "encoding"), [
    (EXCEL_TEXT, "cp932"),
    ("ｻｰﾋﾞｽ残業ばかり", "cp932"),                  # half-width kana stay CP932
    ("ｱｲｳｴ,ｵｶ", "cp932"),                          # kana only, also valid EUC-JP bytes
    (EXCEL_TEXT, "utf-8"),
    (EXCEL_TEXT, "utf-8-sig"),
    (EXCEL_TEXT, "utf-16"),
    (EXCEL_TEXT + "😀", "utf-16-le-bom"),
    ("ありがとうございます、高橋さん", "euc_jp"),
    ("ありがとうございます、高橋さん", "iso2022_jp"),
    ("", "utf-8"),
    ("   ", "utf-8"),
])
# fmt: on
def test_io_decode_bytes_round_trips(text: str, encoding: str) -> None:
    if encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + text.encode("utf-16-le")
    else:
        data = text.encode(encoding)
    assert decode_bytes(data) == text


def test_io_decode_bytes_keeps_cp932_variants() -> None:
    decoded = decode_bytes("～①髙".encode("cp932"))
    assert decoded == "\uff5e\u2460\u9ad9"  # not WAVE DASH, as shift_jis would give
    # Python's cp932 writes 〜 (U+301C) as 0x8160, which Excel (and we) read back as ～.
    assert decode_bytes("丁寧〜".encode("cp932")) == "丁寧～"


# fmt: off
@pytest.mark.parametrize("data", [
    b"\x81\x00\x82\x00" * 10,
    b"abc\n" * 3 + b"\x81\x00",
    b"\xff\xfd\xfc" * 30,
])
# fmt: on
def test_io_decode_bytes_rejects_undecodable(data: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_bytes(data)
    message = str(info.value)
    for name in ("UTF-8", "CP932", "EUC-JP"):
        assert name in message
    assert info.value.code == "decode_error"


def test_io_decode_bytes_reports_utf8_line() -> None:
    with pytest.raises(DecodeError, match="line 4"):
        decode_bytes(b"abc\n" * 3 + b"\x81\x00")


def test_io_read_records_decode_error_names_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"text\n" + b"\x81\x00" * 5)
    with pytest.raises(DecodeError, match="broken.csv"):
        read_records(path)


# --- CSV --------------------------------------------------------------------------------

CSV_TEXT = f"id,部署,text\r\n1,営業,{EXCEL_TEXT}\r\n2,開発,\"改行\nあり, カンマ\"\r\n3,開発,\r\n"


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig", "utf-16"])
def test_io_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / "survey.csv", CSV_TEXT, encoding)
    records = list(read_records(path, group_columns=["部署"]))
    assert records == [
        InputRecord("1", EXCEL_TEXT, {"部署": "営業"}),
        InputRecord("2", "改行\nあり, カンマ", {"部署": "開発"}),
        InputRecord("3", "", {"部署": "開発"}),  # empty stays empty: the pipeline reports it
    ]


def test_io_csv_cp932_written_by_csv_module(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    with path.open("w", encoding="cp932", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ID", "コメント"])
        writer.writerow(["A-1", EXCEL_TEXT])
        writer.writerow(["A-2", "ｻｰﾋﾞｽ残業～"])
    records = list(read_records(str(path), text_column="コメント", id_column="ID"))
    assert [(r.id, r.text) for r in records] == [("A-1", EXCEL_TEXT), ("A-2", "ｻｰﾋﾞｽ残業～")]


def test_io_csv_header_cleaned_and_row_numbers(tmp_path: Path) -> None:
    data = "\ufeff \ufefftext ,  dept\n\n良い,a\n,,\n悪い,b\n"  # BOM twice, blank rows
    path = _write(tmp_path / "c.csv", data, "utf-8")
    records = list(read_records(path, group_columns=[" dept "]))
    assert [(r.id, r.text, r.attributes) for r in records] == [
        ("1", "良い", {"dept": "a"}),
        ("3", "悪い", {"dept": "b"}),  # the all-empty row 2 is skipped but counted
    ]


# fmt: off
@pytest.mark.parametrize(("text", "expected"), [
    ("  前後に空白  ", "  前後に空白  "),
    ("\u3000全角空白", "\u3000全角空白"),
    ("ｶﾀｶﾅ", "ｶﾀｶﾅ"),
    ("絵文字😀", "絵文字😀"),
    ("すごーい〜", "すごーい〜"),
    ("", ""),
    (" ", " "),
])
# fmt: on
def test_io_csv_text_kept_as_is(text: str, expected: str) -> None:
    data = f'id,text\r\n1,"{text}"\r\n'.encode()
    (record,) = read_records(data, fmt="csv")
    assert record.text == expected


def test_io_csv_missing_text_column_lists_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", "ID,コメント,部署,Q5_自由記述\n1,良い,営業,x\n", "cp932")
    with pytest.raises(ColumnError) as info:
        read_records(path)
    message = str(info.value)
    assert "'text' not found" in message
    assert "ID, コメント, 部署, Q5_自由記述" in message
    assert "'コメント' or 'Q5_自由記述'" in message
    assert info.value.code == "missing_column"


def test_io_csv_missing_group_column() -> None:
    with pytest.raises(ColumnError, match=r"'wave'.*columns present: text, dept"):
        read_records(b"text,dept\n\xe8\x89\xaf,a\n", fmt="csv", group_columns=["dept", "wave"])


def test_io_csv_pack_column() -> None:
    data = "text,pack\n良い,employee\n悪い,\n普通,customer\n".encode()
    records = list(read_records(data, fmt="csv"))
    assert [r.pack for r in records] == ["employee", None, "customer"]
    assert all(r.attributes == {} for r in records)


def test_io_csv_ragged_rows_still_yield(caplog: pytest.LogCaptureFixture) -> None:
    data = "id,dept,text\n1,a,良い\n2,b\n3,c,給料は良い,でも残業が多い,\n".encode()
    records = list(read_records(data, fmt="csv", group_columns=["dept"]))
    assert [r.text for r in records] == ["良い", None, "給料は良い,でも残業が多い"]
    assert records[1].error == ErrorInfo("missing_text", "row 2 has 2 cells, the header has 3")
    assert records[2].error is None
    assert "2 rows" in caplog.text and "rows 2, 3" in caplog.text


def test_io_csv_extra_cells_before_the_last_column_are_a_row_error() -> None:
    data = "id,text,dept\n1,給料は良い,でも残業が多い,営業\n2,良い,開発\n".encode()
    first, second = read_records(data, fmt="csv", group_columns=["dept"])
    assert first.text is None and first.id == "1"
    assert first.error is not None and first.error.code == "malformed_row"
    assert "4 cells, the header has 3" in first.error.message
    assert (second.text, second.attributes) == ("良い", {"dept": "開発"})


def test_io_csv_row_with_too_few_cells_has_none_groups() -> None:
    (record,) = read_records(b"text,dept\nhello\n", fmt="csv", group_columns=["dept"])
    assert record.text == "hello"
    assert record.attributes == {"dept": None}


# fmt: off
@pytest.mark.parametrize(("data", "line"), [
    (b'id,text\n1,ok\n2,"never closed\n3,more\n', 3),
    (b"id,text\n1,ok\n2,bad\x00byte\n", 3),
    (b'id,text\n1,"quoted"trailing\n', 2),
])
# fmt: on
def test_io_csv_malformed_is_input_error(data: bytes, line: int) -> None:
    records = read_records(data, fmt="csv")
    with pytest.raises(InputError, match=f"line {line}") as info:
        list(records)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_io_csv_empty_file() -> None:
    with pytest.raises(InputError, match="empty"):
        read_records(b"", fmt="csv")


# fmt: off
@pytest.mark.parametrize("data", [
    "id\ttext\n1\t良い, でも\n",                     # Excel "Unicode text" is tab-separated
    "id,text\r1,良い, でも\r",                       # old Mac CR-only line ends
])
# fmt: on
def test_io_csv_tab_and_cr_variants(data: str) -> None:
    if "\t" not in data:
        data = data.replace("良い, でも", '"良い, でも"')
    (record,) = read_records(data.encode("utf-16"), fmt="csv")
    assert (record.id, record.text) == ("1", "良い, でも")


def test_io_csv_unicode_line_separators_stay_in_text() -> None:
    (record,) = read_records("text\na\u2028b\x85c\n".encode(), fmt="csv")
    assert record.text == "a\u2028b\x85c"


def test_io_csv_text_stream_and_named_binary_stream(tmp_path: Path) -> None:
    stream = io.StringIO("id,text\n1,良い\n")
    assert _texts(read_records(stream, fmt="csv")) == ["良い"]
    path = _write(tmp_path / "x.csv", "id,text\n1,悪い\n", "cp932")
    with path.open("rb") as f:
        assert _texts(read_records(f)) == ["悪い"]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(list('あア亜ｱ①髙～〜😀 ,"\n\tA1=')), min_size=0, max_size=12
        ),
        min_size=1,
        max_size=5,
    )
)
def test_io_csv_round_trips_csv_module_output(texts: list[str]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "text"])
    writer.writerows([str(i), t] for i, t in enumerate(texts, start=1))
    for encoding in ("utf-8-sig", "utf-16"):
        records = list(read_records(buffer.getvalue().encode(encoding), fmt="csv"))
        assert [(r.id, r.text) for r in records] == [
            (str(i), t) for i, t in enumerate(texts, start=1)
        ]


# --- JSONL ------------------------------------------------------------------------------


def test_io_jsonl_bad_lines_do_not_stop_the_rest(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 10, "text": "良い", "dept": "営業", "pack": "employee"}),
        "",
        '{"id": 11, "text": "壊れ',
        "[1, 2]",
        json.dumps({"id": "x", "body": "no text"}),
        json.dumps({"text": 5, "dept": "開発"}),
        json.dumps({"text": "最後", "score": 3}, ensure_ascii=False),
    ]
    path = _write(tmp_path / "in.jsonl", "\n".join(lines) + "\n", "utf-8-sig")
    records = list(read_records(path, group_columns=["dept"]))
    assert [(r.id, r.text) for r in records] == [
        ("10", "良い"), ("3", None), ("4", None), ("x", None), ("6", None), ("7", "最後"),
    ]
    first, broken, array, no_text, number, last = records
    assert first.pack == "employee"
    assert first.attributes == {"dept": "営業"}
    assert broken.error is not None and broken.error.code == "invalid_json"
    assert broken.error.message.startswith("line 3: not valid JSON")
    assert array.error == ErrorInfo("invalid_json", "line 4: expected a JSON object, got array")
    assert no_text.error == ErrorInfo("missing_text", "line 5: no 'text' field; expected a string")
    assert no_text.attributes == {"body": "no text", "dept": None}
    assert number.error == ErrorInfo(
        "missing_text", "line 6: a number in the 'text' field; expected a string"
    )
    assert last.error is None and last.attributes == {"score": 3, "dept": None}


# fmt: off
@pytest.mark.parametrize(("line", "code"), [
    ('"just a string"', "invalid_json"),
    ("null", "invalid_json"),
    ("42", "invalid_json"),
    ("{", "invalid_json"),
    ('{"text": null}', "missing_text"),
    ('{"text": ["a"]}', "missing_text"),
    ('{"text": "a", "score": NaN}', "invalid_json"),  # not JSON, though Python's json reads it
    ('{"text": "a", "score": -Infinity}', "invalid_json"),
    ('{"text": "a", "score": 1e400}', "invalid_json"),  # JSON, but Python makes it infinity
])
# fmt: on
def test_io_jsonl_non_object_or_bad_text(line: str, code: str) -> None:
    data = f'{{"text": "前"}}\n{line}\n{{"text": "後"}}\n'.encode()
    records = list(read_records(data, fmt="jsonl"))
    assert [r.text for r in records] == ["前", None, "後"]
    assert records[1].error is not None
    assert records[1].error.code == code
    assert records[1].error.message.startswith("line 2:")
    assert records[1].id == "2"


def test_io_json_lone_surrogates_fail_alone() -> None:
    data = (
        b'{"id": "a", "text": "\\ud800 x"}\n{"id": "\\udc00", "text": "y"}\n'
        b'{"text": "z", "tags": [{"\\udbff": 1}]}\n{"text": "\\ud83d\\ude00"}\n'
    )
    records = list(read_records(data, fmt="jsonl"))
    assert [(r.id, r.text) for r in records] == [("a", None), ("2", None), ("3", None),
                                                 ("4", "\U0001f600")]  # fmt: skip
    first = records[0].error
    assert first is not None and first.code == "invalid_json"
    assert first.message == (
        "line 1: field 'text' holds a lone surrogate (an unpaired \\ud800-\\udfff escape), "
        "which is not valid Unicode"
    )
    assert all(r.error and r.error.message.encode() for r in records[:3])  # storable text
    body = b'{"comments": [{"text": "a", "attributes": {"dept": "\\udc00"}}, {"text": "b"}]}'
    bad, good = read_records(body, fmt="json")
    assert bad.error is not None and bad.error.message.startswith("item 1: field 'dept' holds")
    assert good.error is None and good.text == "b"


def test_io_jsonl_control_character_message() -> None:
    (record,) = read_records(b'{"text": "a\tb"}\n', fmt="jsonl")
    assert record.error == ErrorInfo(
        "invalid_json", "line 1: not valid JSON (Invalid control character at column 12)"
    )


def test_io_json_constants_are_named_in_the_error() -> None:
    (record,) = read_records(b'{"text": "a", "score": NaN}\n', fmt="jsonl")
    message = "line 1: not valid JSON (NaN is not a JSON value)"  # no column: it is not known
    assert record.error == ErrorInfo("invalid_json", message)
    with pytest.raises(InputError, match=r"not valid JSON \(Infinity is not a JSON value\)"):
        read_records(b'[{"text": "a", "x": Infinity}]', fmt="json")


def test_io_jsonl_keeps_text_exactly_and_sniffs_format() -> None:
    data = json.dumps({"text": " 空白\r\n "}).encode()
    (record,) = read_records(data)
    assert record.text == " 空白\r\n "


def test_io_json_array_items_fail_alone(tmp_path: Path) -> None:
    items = [{"id": 7, "text": "良い", "dept": "営業"}, [1], {"body": "x"}, {"text": "最後"}]
    path = _write(tmp_path / "in.json", json.dumps(items, ensure_ascii=False, indent=2), "utf-8")
    records = list(read_records(path, group_columns=["dept"]))
    assert [(r.id, r.text) for r in records] == [("7", "良い"), ("2", None), ("3", None),
                                                 ("4", "最後")]  # fmt: skip
    assert records[0].attributes == {"dept": "営業"}
    array, no_text = records[1].error, records[2].error
    assert array == ErrorInfo("invalid_json", "item 2: expected a JSON object, got array")
    assert no_text == ErrorInfo("missing_text", "item 3: no 'text' field; expected a string")


def test_io_json_api_body_ndjson_and_sniffing(tmp_path: Path) -> None:
    body = {"pack": "customer", "comments": [
        {"id": "a", "text": "遅い", "attributes": {"store": "新宿"}},
        {"text": "速い", "pack": "employee"},
    ]}  # fmt: skip
    records = list(read_records(json.dumps(body).encode(), fmt="json", group_columns=["store"]))
    assert [(r.id, r.text, r.pack, r.attributes) for r in records] == [
        ("a", "遅い", "customer", {"store": "新宿"}), ("2", "速い", "employee", {"store": None}),
    ]  # fmt: skip
    ndjson = _write(tmp_path / "export.json", '{"text": "一"}\n{"text": "二"}\n', "utf-8")
    assert _texts(read_records(ndjson)) == ["一", "二"]
    assert _texts(read_records('\ufeff [{"text": "配列"}]'.encode())) == ["配列"]  # sniffed
    one = _write(tmp_path / "one.json", '{"id": 1, "comments": "一件"}', "utf-8")
    assert [(r.id, r.text) for r in read_records(one, text_column="comments")] == [("1", "一件")]


# fmt: off
@pytest.mark.parametrize(("document", "message"), [
    ('[{"text": "a"},', "in.json: not valid JSON (Expecting value at line 1, column 16)"),
    ('"text"', "in.json: expected a JSON array of comment objects or an object with a "
               "'comments' array; got string"),
    ("3", "in.json: expected a JSON array"),
])
# fmt: on
def test_io_json_malformed_document_is_one_clear_error(
    tmp_path: Path, document: str, message: str
) -> None:
    path = _write(tmp_path / "in.json", document, "utf-8")
    with pytest.raises(InputError) as caught:
        read_records(path)
    assert caught.value.message.startswith(message)


# --- xlsx -------------------------------------------------------------------------------


def test_io_xlsx_round_trip(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["社員番号", " コメント ", "部署", "入社日", "pack", None])
    sheet.append([1001, EXCEL_TEXT, "営業", datetime(2020, 4, 1), "employee"])
    sheet.append([1002.0, None, 3, None, None])
    sheet.append([None, None, None, None, None])
    sheet.append([None, "IDなし", True, datetime(2021, 4, 1, 9, 30), ""])
    book.create_sheet("ignored").append(["text"])
    path = tmp_path / "survey.xlsx"
    book.save(path)

    records = list(
        read_records(path, text_column="コメント", id_column="社員番号",
                     group_columns=["部署", "入社日"])
    )  # fmt: skip
    assert records == [
        InputRecord("1001", EXCEL_TEXT, {"部署": "営業", "入社日": "2020-04-01"}, "employee"),
        InputRecord("1002", "", {"部署": "3", "入社日": ""}),
        InputRecord("4", "IDなし", {"部署": "TRUE", "入社日": "2021-04-01T09:30:00"}),
    ]
    assert _texts(read_records(path.read_bytes(), text_column="コメント")) == [
        EXCEL_TEXT, "", "IDなし",
    ]  # fmt: skip


def test_io_hostile_tables_fail_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import zipfile

    import nlp.io

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["text"])
    book.active.append(["良い"])
    path = tmp_path / "gap.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as src:  # a row numbered 10¹²: openpyxl yields every gap row
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    gap = b'<row r="1000000000000"><c r="A1000000000000" t="inlineStr"><is><t>x</t></is></c></row>'
    parts[sheet] = re.sub(rb"<dimension[^>]*/>", b"", parts[sheet])  # no bound on the rows
    parts[sheet] = parts[sheet].replace(b"</sheetData>", gap + b"</sheetData>")
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    records = read_records(path)
    assert next(records).text == "良い"
    with pytest.raises(InputError, match="more than 10,000 empty rows in a row from row 2"):
        list(records)
    monkeypatch.setattr(nlp.io, "MAX_XLSX_UNPACKED", 1000)  # a sharedStrings or sheet bomb
    with pytest.raises(InputError, match="unpacks to 0 MB; at most 0 MB"):
        read_records(path)
    wide = ",".join(f"c{i}" for i in range(1001)) + ",text\n"
    with pytest.raises(ColumnError, match="1,002 columns; at most 1,000"):
        read_records(wide.encode(), fmt="csv")
    long = read_records(("id,text\n1," + "あ" * 200_000 + "\n2,良い\n").encode(), fmt="csv")
    assert [len(r.text or "") for r in long] == [200_000, 2]  # over csv's 131,072 default
    blank = "text\n" + ",\n" * 10_001 + "良い\n"
    with pytest.raises(InputError, match="empty rows in a row"):
        list(read_records(blank.encode(), fmt="csv"))


def test_io_xlsx_missing_column_and_bad_file(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id", "body"])
    path = tmp_path / "s.xlsx"
    book.save(path)
    with pytest.raises(ColumnError, match="columns present: id, body"):
        read_records(path)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="bad.xlsx: not a readable .xlsx"):
        read_records(bad)


def test_io_xlsx_empty_sheet(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputError, match="empty"):
        read_records(path)


# --- lines and stdin --------------------------------------------------------------------


def test_io_stdin_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    data = "良い会社\r\n\r\n   \r\n残業①が多い\r\nｻｰﾋﾞｽ".encode("cp932")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    records = list(read_records("-"))
    assert [(r.id, r.text) for r in records] == [
        ("1", "良い会社"), ("4", "残業①が多い"), ("5", "ｻｰﾋﾞｽ"),
    ]  # fmt: skip


def test_io_stdin_text_stream_and_csv_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("id,text\n7,良い\n"))
    (record,) = read_records("-", fmt="csv")
    assert (record.id, record.text) == ("7", "良い")


def test_io_lines_file_and_group_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.txt", "\ufeff一行目\n二行目", "utf-8")
    assert _texts(read_records(path)) == ["一行目", "二行目"]
    with pytest.raises(ColumnError, match="no columns"):
        read_records(path, group_columns=["dept"])


def test_io_txt_from_excel_unicode_text_is_a_tab_table(tmp_path: Path) -> None:
    text = "\ufeffid\t部署\ttext\r\n7\t営業\t残業が多い\r\n8\t開発\t良い\tx\r\n"
    path = _write(tmp_path / "export.txt", text, "utf-16-le")  # Excel: UTF-16 LE with BOM
    first, second = read_records(path, group_columns=["部署"])
    assert (first.id, first.text, first.attributes) == ("7", "残業が多い", {"部署": "営業"})
    assert second.text == "良い\tx"  # an unquoted tab in the last column stays in the text
    tabbed_lines = _write(tmp_path / "c.txt", "一行目\tメモ\n二行目\n", "utf-8")
    assert _texts(read_records(tabbed_lines)) == ["一行目\tメモ", "二行目"]  # no text header


# --- format detection -------------------------------------------------------------------


# fmt: off
@pytest.mark.parametrize(("name", "message"), [
    ("survey.xls", "save as .xlsx"),
    ("survey.pdf", "unknown file type"),
    ("noext", "unknown file type"),
])
# fmt: on
def test_io_unknown_suffix(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"text\n")
    with pytest.raises(InputError, match=message):
        read_records(path)


def test_io_suffix_case_and_explicit_format(tmp_path: Path) -> None:
    path = _write(tmp_path / "SURVEY.CSV", "text\n良い\n", "cp932")
    assert _texts(read_records(path)) == ["良い"]
    other = _write(tmp_path / "dump.dat", "text\n悪い\n", "utf-8")
    assert _texts(read_records(other, fmt="csv")) == ["悪い"]


def test_io_missing_file_is_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_records(tmp_path / "nope.csv")


def test_io_xlsx_needs_binary_stream() -> None:
    with pytest.raises(InputError, match="binary"):
        read_records(io.StringIO("x"), fmt="xlsx")


# --- writers ----------------------------------------------------------------------------


def _results() -> list[dict[str, object]]:
    ok = CommentAnalysis(
        id="@1", pack="employee", sentiment="negative", intent="complaint",
        themes=[ThemeHit("workload", "negative"), ThemeHit("manager", "positive")],
        alert=AlertResult(flag=True, reasons=["harassment", "overwork"]),
        text_redacted="=SUM(A1) [NAME]さんに、残業①", attributes={"部署": "営業", "wave": 2},
    )  # fmt: skip
    failed = CommentAnalysis(
        id="2", pack="employee", attributes={"部署": "-開発", "wave": -3},
        error=ErrorInfo("empty_text", "the comment is empty"),
    )  # fmt: skip
    return [ok.to_dict(), failed.to_dict()]


def test_io_write_csv_flattens_and_opens_as_utf8_sig(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with open_output(path) as out:
        assert write_csv(_results(), out) == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "id", "sentiment", "intent", "alert", "alert_reasons", "themes", "text_redacted",
        "error_code", "部署", "wave",
    ]  # fmt: skip
    assert rows[0] == {
        "id": "'@1", "sentiment": "negative", "intent": "complaint", "alert": "true",
        "alert_reasons": "harassment;overwork", "themes": "workload:negative;manager:positive",
        "text_redacted": "'=SUM(A1) [NAME]さんに、残業①", "error_code": "", "部署": "営業",
        "wave": "2",
    }  # fmt: skip
    assert rows[1]["alert"] == "false"
    assert rows[1]["error_code"] == "empty_text"
    assert (rows[1]["部署"], rows[1]["wave"]) == ("'-開発", "-3")  # numbers are not quoted


def test_io_write_csv_explicit_groups_and_empty() -> None:
    out = io.StringIO(newline="")
    assert write_csv(_results(), out, group_columns=["wave"]) == 2
    assert out.getvalue().splitlines()[0].endswith("error_code,wave")
    empty = io.StringIO(newline="")
    assert write_csv([], empty) == 0
    assert empty.getvalue() == (
        "id,sentiment,intent,alert,alert_reasons,themes,text_redacted,error_code\r\n"
    )


def test_io_write_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with open_output(str(path)) as out:
        assert write_jsonl(_results(), out) == 2
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "残業①".encode() in raw  # not \u-escaped
    lines = raw.decode("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["@1", "2"]
    assert json.loads(lines[0])["部署"] == "営業"


def test_io_open_output_stdout_survives_with_block(capsys: pytest.CaptureFixture[str]) -> None:
    with open_output("-") as out:
        write_jsonl([{"id": "1", "text_redacted": "良い😀"}], out)
    with open_output("-") as out:
        write_jsonl([{"id": "2"}], out)
    assert not sys.stdout.closed
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["1", "2"]
    assert "良い😀" in lines[0]


# --- edge paths -------------------------------------------------------------------------


def test_io_decode_bytes_euc_jp_that_also_decodes_as_cp932() -> None:
    hiragana = "あいうえおかきくけこ"
    data = hiragana.encode("euc_jp")
    assert data.decode("cp932")  # the trap: valid CP932 (half-width kana soup)
    assert decode_bytes(data) == hiragana
    # The EUC-JP reading scores better on a sample but fails later on: stay with CP932.
    assert decode_bytes(data + b"\xb1") == data.decode("cp932") + "ｱ"


def test_io_decode_bytes_charset_normalizer_last_resort(caplog: pytest.LogCaptureFixture) -> None:
    text = "工作環境很好，但是加班太多了。\n" * 3
    assert decode_bytes(text.encode("big5")) == text
    assert "big5" in caplog.text


def test_io_named_id_column_must_exist(tmp_path: Path) -> None:
    data = b"respondent_id,text\nR-1,a\n"
    with pytest.raises(ColumnError, match=r"'respondent'.*columns present: respondent_id, text"):
        read_records(data, fmt="csv", id_column="respondent")
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["text"])
    book.save(tmp_path / "s.xlsx")
    with pytest.raises(ColumnError, match=r"s.xlsx: id column '社員番号' not found") as info:
        read_records(tmp_path / "s.xlsx", id_column="社員番号")
    assert info.value.code == "missing_column"
    records = list(read_records(b"text\na\nb\n", fmt="csv"))  # the default id may be absent
    assert [r.id for r in records] == ["1", "2"]


# fmt: off
@pytest.mark.parametrize(("content", "expected"), [
    ('{"id": 3, "text": "良い"}\n', ("3", "良い")),
    ("\ufeffid,text\n4,悪い\n", ("4", "悪い")),
])
# fmt: on
def test_io_unnamed_text_stream_sniffs_format(content: str, expected: tuple[str, str]) -> None:
    (record,) = read_records(io.StringIO(content))
    assert (record.id, record.text) == expected


def test_io_write_csv_plain_values() -> None:
    out = io.StringIO(newline="")
    result = {"id": 1, "alert": True, "themes": [], "flag": False, "extra": {"a": "良"}}
    result["none"] = None
    write_csv([result], out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][8:] == ["flag", "extra", "none"]
    assert rows[1] == ["1", "", "", "true", "", "", "", "", "false", '{"a": "良"}', ""]


def test_io_open_output_plain_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.StringIO()
    monkeypatch.setattr(sys, "stdout", fake)
    assert open_output("-") is fake


def test_io_open_output_replaces_the_file_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("earlier results\n", encoding="utf-8")
    with pytest.raises(RuntimeError), open_output(path) as out:
        out.write("half of the new ")
        raise RuntimeError("the run failed")
    assert path.read_text(encoding="utf-8") == "earlier results\n"  # untouched
    assert list(tmp_path.iterdir()) == [path]  # no partial file left behind
    with open_output(path) as out:
        out.write("new results\n")
    assert path.read_text(encoding="utf-8") == "new results\n"
    assert list(tmp_path.iterdir()) == [path]
    with open_output("/dev/null") as out:  # a device is written to, never replaced
        out.write("x")
    assert Path("/dev/null").is_char_device()


def test_io_mixed_encodings_are_refused_not_turned_into_mojibake() -> None:
    utf8_row = "1,疲れた\n".encode()
    cp932_row = "2,給料が安い\n".encode("cp932")
    with pytest.raises(DecodeError, match="line 2 is UTF-8 but line 3 is not"):
        read_records(b"id,text\n" + utf8_row + cp932_row, fmt="csv")
