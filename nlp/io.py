"""Readers for feedback files: CSV (CP932 or UTF-8), JSON Lines, JSON, xlsx, plain lines.

They stream :class:`InputRecord` rows; the writers are in :mod:`nlp.output`.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import itertools
import json
import logging
import math
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Literal

from nlp.errors import ColumnError, DecodeError, InputError
from nlp.results import ErrorInfo
from nlp.text import LONE_SURROGATE, has_lone_surrogate

__all__ = ["Format", "InputRecord", "SUFFIX_FORMATS", "decode_bytes", "read_records"]

logger = logging.getLogger(__name__)

Format = Literal["csv", "jsonl", "json", "xlsx", "lines"]

#: the input format of each file suffix (``read_records``, API uploads)
SUFFIX_FORMATS: dict[str, Format] = {
    ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".txt": "lines",
}  # fmt: skip
_ENCODING_NAMES = {
    "utf-16": "UTF-16", "iso2022_jp": "ISO-2022-JP", "utf-8-sig": "UTF-8",
    "cp932": "CP932 (Shift_JIS)", "euc_jp": "EUC-JP",
}  # fmt: skip
_PACK_COLUMN = "pack"
# Header words that usually name the free-text column, offered when text_column is missing.
_TEXT_HINTS = ("comment", "feedback", "text", "コメント", "自由記述", "自由回答", "意見", "感想")
# Python's cp932 maps the bytes 0x80, 0xA0 and 0xFD-0xFF, never used by Shift_JIS text, to
# these; finding one means the bytes are not CP932 (e.g. a UTF-16 file without BOM).
_CP932_STRAYS = re.compile("[\x80\uf8f0-\uf8f3]")
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")
_KANA = re.compile("[\u3041-\u30fa]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SAMPLE = 65536
#: limits that keep a small hostile file from costing unbounded memory or time
MAX_COLUMNS = 1_000  # header cells
MAX_BLANK_ROWS = 10_000  # empty rows in a row (an xlsx row number of 10¹² is that many)
MAX_XLSX_UNPACKED = 256 * 2**20  # bytes of a workbook's XML once unzipped
#: a CSV cell this long is still read (the row then fails alone as text_too_long); past
#: it the file is refused, as an unbalanced quote would swallow the rows after it
MAX_CELL_CHARS = 1_000_000
# charset-normalizer guesses we accept: multi-byte CJK codecs rarely decode foreign bytes.
# Its single-byte and BOM-less UTF-16 guesses turn bad bytes into plausible garbage.
_GUESSES_TRUSTED = frozenset({"gb18030", "gb2312", "big5", "big5hkscs", "cp949", "euc_kr"})


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One comment to analyse, with the group columns it was read with.

    ``text`` is ``None`` only when the row has no text at all; ``error`` then says why.
    """

    id: str
    text: str | None
    attributes: dict[str, Any]
    pack: str | None = None
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True)
class _Columns:
    text: str
    id: str
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Layout:
    width: int
    text: int
    id: int | None
    pack: int | None
    groups: tuple[tuple[str, int], ...]


def decode_bytes(data: bytes) -> str:
    """Decode file bytes strictly, trying the encodings Japanese HR exports use.

    Order: UTF-16 (only with a BOM), ISO-2022-JP (only with its escapes), UTF-8 with or
    without BOM, CP932 (Excel's Shift_JIS), EUC-JP, then charset-normalizer's guess. When
    bytes decode as both CP932 and EUC-JP, the reading with more full-width kana wins.
    Characters are never replaced.

    Args:
        data: The raw bytes.

    Returns:
        The text, without a leading BOM.

    Raises:
        DecodeError: No encoding decodes the bytes cleanly.

    Example:
        >>> decode_bytes("①髙～".encode("cp932"))
        '①髙～'
    """
    tried: list[str] = []
    utf8_error: UnicodeDecodeError | None = None
    for encoding in _candidate_encodings(data):
        tried.append(_ENCODING_NAMES[encoding])
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            utf8_error = exc if encoding == "utf-8-sig" else utf8_error
            continue
        if encoding != "cp932":
            return text
        _refuse_mixed(data, utf8_error)
        if not _CP932_STRAYS.search(text):
            return _prefer_euc_jp(data, text)
    _refuse_mixed(data, utf8_error)
    guessed = _guess_encoding(data)
    if guessed is not None:
        return guessed
    where = ""
    if utf8_error is not None:
        line = data.count(b"\n", 0, utf8_error.start) + 1
        where = f" (as UTF-8 it breaks on line {line}, byte 0x{data[utf8_error.start]:02x})"
    raise DecodeError(
        f"cannot decode the input: tried {', '.join(tried)} and charset-normalizer{where}; "
        "save it as CSV UTF-8 or CSV (Shift_JIS) and try again"
    )


def read_records(
    source: str | Path | bytes | IO[Any],
    *,
    fmt: Format | None = None,
    text_column: str = "text",
    id_column: str = "id",
    group_columns: Sequence[str] = (),
) -> Iterator[InputRecord]:
    r"""Read comments from a file, bytes or stream (``"-"`` is stdin, one comment a line).

    The source is opened, decoded and its header checked before this returns, so bad
    input fails here; rows are then produced lazily. Binary input is decoded with
    :func:`decode_bytes`; text streams are read line by line as they are.

    Args:
        source: A path, ``"-"`` for stdin, the file's bytes, or a binary or text stream.
        fmt: ``csv``, ``jsonl``, ``json``, ``xlsx`` or ``lines``; by default from the
            suffix (``"-"``: lines; unnamed input: xlsx if zipped, jsonl if it starts
            with ``{``, json if with ``[``, else csv). A ``json`` document is an array of
            comment objects or an object whose ``comments`` array holds them (the API's
            request body).
        text_column: Column (or JSON field) holding the comment.
        id_column: Column holding the id. When the default ``id`` is absent, ids are row
            or line numbers; a table must have any other id column it is told to use.
        group_columns: Columns copied into ``attributes``.

    Returns:
        An iterator of records, one per data row or non-blank line.

    Raises:
        InputError: The format is unknown or the file is malformed.
        DecodeError: The bytes decode in no supported encoding.
        ColumnError: The text column, a named id column or a group column is missing.

    Example:
        >>> next(read_records("id,text\r\n7,残業が多い\r\n".encode("cp932"), fmt="csv"))
        InputRecord(id='7', text='残業が多い', attributes={}, pack=None, error=None)
    """
    groups = (group_columns,) if isinstance(group_columns, str) else tuple(group_columns)
    columns = _Columns(_clean_name(text_column), _clean_name(id_column),
                       tuple(_clean_name(g) for g in groups))  # fmt: skip
    label, fmt, payload = _load(source, fmt)
    if isinstance(payload, bytes):  # only xlsx stays undecoded
        return _xlsx_records(payload, columns, label)
    if fmt == "xlsx":
        raise InputError(f"{label}: xlsx input must be a path, bytes or a binary stream")
    if fmt == "json":
        text = payload if isinstance(payload, str) else payload.read()
        return _json_document_records(text, columns, label)
    if fmt == "lines" and isinstance(payload, str) and _is_tab_table(payload, columns.text):
        fmt = "csv"  # Excel's "Unicode text" export: a .txt of tab-separated cells
    lines = _split_lines(payload) if isinstance(payload, str) else iter(payload)
    if fmt == "csv":
        return _csv_records(lines, columns, label)
    if fmt == "jsonl":
        return _jsonl_records(lines, columns)
    if columns.groups:
        raise ColumnError(f"{label}: plain lines have no columns, so no group columns")
    return _line_records(lines)


def _refuse_mixed(data: bytes, utf8_error: UnicodeDecodeError | None) -> None:
    """Refuse bytes where some lines are UTF-8 Japanese and others are not.

    Such a file (rows pasted from another export) would otherwise decode as CP932 or a
    guessed encoding with its UTF-8 rows turned into mojibake.
    """
    if utf8_error is None:
        return
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            bad = data.count(b"\n", 0, utf8_error.start) + 1
            raise DecodeError(
                f"the input mixes encodings: line {number} is UTF-8 but line {bad} is not; "
                "save the whole file in one encoding (UTF-8 or Shift_JIS)"
            )


def _is_tab_table(text: str, text_column: str) -> bool:
    """Whether a "lines" text starts with a tab-separated header naming the text column."""
    header = next(_split_lines(text), "").lstrip("\ufeff").rstrip("\r\n")
    return "\t" in header and text_column in (_clean_name(c) for c in header.split("\t"))


def _candidate_encodings(data: bytes) -> list[str]:
    encodings = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings.append("utf-16")
    if b"\x1b$" in data:
        encodings.append("iso2022_jp")
    return [*encodings, "utf-8-sig", "cp932", "euc_jp"]


def _prefer_euc_jp(data: bytes, cp932_text: str) -> str:
    # EUC-JP bytes often decode as CP932 too, as half-width kana; real text has kana.
    sample = cp932_text[:_SAMPLE]
    if not _HALFWIDTH_KANA.search(sample):
        return cp932_text
    euc_sample = data[: _SAMPLE * 2].decode("euc_jp", errors="ignore")  # scoring only
    if len(_KANA.findall(euc_sample)) <= len(_KANA.findall(sample)):
        return cp932_text
    try:
        return data.decode("euc_jp")
    except UnicodeDecodeError:
        return cp932_text


def _guess_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding not in _GUESSES_TRUSTED:
        return None
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if _CONTROLS.search(text):
        return None
    logger.warning("input decoded as %s, guessed by charset-normalizer", best.encoding)
    return text


def _load(
    source: str | Path | bytes | IO[Any], fmt: Format | None
) -> tuple[str, Format, bytes | str | IO[str]]:
    """Return a label for messages, the format, and bytes (xlsx), text or a text stream."""
    if isinstance(source, bytes):
        label, data = "input", source
    elif isinstance(source, str | Path) and str(source) == "-":
        stdin = getattr(sys.stdin, "buffer", sys.stdin)
        _, fmt, payload = _load(stdin, fmt or "lines")
        return "<stdin>", fmt, payload
    elif isinstance(source, str | Path):
        path = Path(source)
        label, fmt = path.name, fmt or _format_from_suffix(path)
        data = path.read_bytes()
    else:
        name = getattr(source, "name", None)
        label = Path(name).name if isinstance(name, str) else "input"
        suffix = Path(name).suffix.lower() if isinstance(name, str) else ""
        fmt = fmt or SUFFIX_FORMATS.get(suffix)
        if isinstance(source.read(0), str):
            if fmt is not None:
                return label, fmt, source
            text = source.read()
            return label, _sniff_format(text), text
        data = source.read()
    fmt = fmt or _sniff_format(data)
    if fmt == "xlsx":
        return label, fmt, data
    try:
        return label, fmt, decode_bytes(data)
    except DecodeError as exc:
        raise DecodeError(f"{label}: {exc.message}") from None


def _format_from_suffix(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    if suffix == ".xls":
        raise InputError(f"{path.name}: old .xls workbooks are not supported; save as .xlsx")
    known = ", ".join(SUFFIX_FORMATS)
    raise InputError(f"{path.name}: unknown file type; use one of {known} or give the format")


def _sniff_format(data: bytes | str) -> Format:
    if isinstance(data, bytes):
        if data.startswith(b"PK\x03\x04"):
            return "xlsx"
        data = data[:64].decode("latin-1")
    start = data.lstrip("\ufeff\xef\xbb\xbf \t\r\n")[:1]
    if start == "{":
        return "jsonl"
    return "json" if start == "[" else "csv"


def _split_lines(text: str) -> Iterator[str]:
    """Yield lines with their endings, without copying the whole text again."""
    newline = "\n" if "\n" in text or "\r" not in text else "\r"  # old Mac exports: CR only
    start = 0
    while start < len(text):
        end = text.find(newline, start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _csv_records(lines: Iterator[str], columns: _Columns, label: str) -> Iterator[InputRecord]:
    first = next(lines, "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    checked = _without_nul(itertools.chain([first], lines), label)
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)  # the default is 131,072
    reader = csv.reader(checked, delimiter=delimiter, strict=True)
    header: list[str] | None = []
    while header == []:  # skip blank lines before the header
        header = _next_row(reader, label)
    if header is None:
        raise InputError(f"{label}: the file is empty; expected a header row")
    layout = _layout([_clean_name(cell) for cell in header], columns, label)
    return _table_records(layout, _csv_rows(reader, label), delimiter)


def _without_nul(lines: Iterable[str], label: str) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise InputError(
                f"{label}: line {number} contains a NUL byte; the file looks binary or UTF-16 "
                "without a byte-order mark — export it again as CSV"
            )
        yield line


def _next_row(reader: Any, label: str) -> list[str] | None:
    start = reader.line_num + 1
    try:
        row: list[str] = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise InputError(
            f"{label}: malformed CSV in the record starting at line {start}: {exc} "
            "(check for an unbalanced double quote)"
        ) from None
    return row


def _csv_rows(reader: Any, label: str) -> Iterator[tuple[int, list[str | None]]]:
    number = 0
    while (row := _next_row(reader, label)) is not None:
        if row:
            number += 1
            cells: list[str | None] = list(row)
            yield number, cells


def _layout(header: list[str], columns: _Columns, label: str) -> _Layout:
    if len(header) > MAX_COLUMNS:
        raise ColumnError(
            f"{label}: the header has {len(header):,} columns; at most {MAX_COLUMNS:,} "
            "can be read (is the delimiter right?)"
        )
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name, position)
    if columns.text not in index:
        raise ColumnError(_missing_text_message(header, columns.text, label))
    missing = [g for g in columns.groups if g not in index]
    if missing:
        raise ColumnError(
            f"{label}: group column(s) {', '.join(map(repr, missing))} not found; "
            f"columns present: {', '.join(header)}"
        )
    if columns.id not in index and columns.id != "id":  # only the default may be absent
        raise ColumnError(
            f"{label}: id column {columns.id!r} not found; columns present: {', '.join(header)} "
            "(choose it with id_column / --id-column, or leave it out to number the rows)"
        )
    return _Layout(
        width=len(header), text=index[columns.text], id=index.get(columns.id),
        pack=index.get(_PACK_COLUMN), groups=tuple((g, index[g]) for g in columns.groups),
    )  # fmt: skip


def _missing_text_message(header: list[str], wanted: str, label: str) -> str:
    likely = difflib.get_close_matches(wanted, header, n=3, cutoff=0.6)
    likely += [h for h in header if h not in likely and any(w in h.casefold() for w in _TEXT_HINTS)]
    hint = f"; did you mean {' or '.join(map(repr, likely))}?" if likely else ""
    return (
        f"{label}: text column {wanted!r} not found; columns present: {', '.join(header)}"
        f"{hint} (choose it with text_column / --text-column)"
    )


def _table_records(
    layout: _Layout, rows: Iterable[tuple[int, list[str | None]]], delimiter: str = ","
) -> Iterator[InputRecord]:
    """Records of data rows; ``delimiter`` rejoins a last-column comment cut by its commas."""
    ragged: list[int] = []
    blank_run = 0
    for number, cells in rows:
        if not any(cells):  # a row of empty cells (Excel's trailing formatted rows)
            blank_run += 1
            if blank_run > MAX_BLANK_ROWS:
                raise InputError(
                    f"more than {MAX_BLANK_ROWS:,} empty rows in a row from row "
                    f"{number - blank_run + 1}: delete them (or the sheet's formatting below "
                    "the data) and read the file again"
                )
            continue
        blank_run = 0
        extra = any(cells[layout.width :])
        if extra or len(cells) < layout.width:
            ragged.append(number)
        text = _at(cells, layout.text)
        error = None
        if text is None:
            error = ErrorInfo(code="missing_text", message=_cell_counts(number, cells, layout))
        elif extra and layout.text < layout.width - 1:  # which cells hold the comment?
            counts = _cell_counts(number, cells, layout)
            message = f"{counts}; quote cells that contain the delimiter"
            error, text = ErrorInfo(code="malformed_row", message=message), None
        elif extra:  # an unquoted delimiter in the comment, the last column: keep all of it
            text = delimiter.join(c or "" for c in cells[layout.text :]).rstrip(delimiter)
        yield InputRecord(
            id=(_at(cells, layout.id) or str(number)),
            text=None if text is None else text.removesuffix("\r"),
            attributes={name: _at(cells, i) for name, i in layout.groups},
            pack=_at(cells, layout.pack) or None,
            error=error,
        )
    if ragged:
        shown = ", ".join(map(str, ragged[:10])) + (", …" if len(ragged) > 10 else "")
        logger.warning(
            "%d rows do not have as many cells as the header (%d): rows %s",
            len(ragged), layout.width, shown,
        )  # fmt: skip


def _cell_counts(number: int, cells: list[str | None], layout: _Layout) -> str:
    return f"row {number} has {len(cells)} cells, the header has {layout.width}"


def _at(cells: list[str | None], index: int | None) -> str | None:
    return cells[index] if index is not None and index < len(cells) else None


def _xlsx_records(data: bytes, columns: _Columns, label: str) -> Iterator[InputRecord]:
    import openpyxl

    try:
        unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(data)).infolist())
        if unpacked > MAX_XLSX_UNPACKED:  # openpyxl would read its strings into memory
            raise InputError(
                f"{label}: the workbook unpacks to {unpacked // 2**20:,} MB; at most "
                f"{MAX_XLSX_UNPACKED // 2**20:,} MB can be read: save the sheet as CSV"
            )
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 — zipfile/XML/openpyxl all raise their own
        raise InputError(f"{label}: not a readable .xlsx workbook ({exc})") from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [_clean_name(_cell_text(v)) for v in next(rows, ())]
    while header and not header[-1]:
        header.pop()  # formatted but empty columns
    try:
        if not header:
            raise InputError(f"{label}: the first sheet is empty; expected a header row")
        layout = _layout(header, columns, label)
    except InputError:
        book.close()
        raise
    width = layout.width

    def padded() -> Iterator[tuple[int, list[str | None]]]:
        for number, row in enumerate(rows, start=1):
            cells: list[str | None] = [_cell_text(v) for v in row[:width]]
            yield number, cells + [""] * (width - len(cells))  # empty trailing cells

    return _closing(_table_records(layout, padded()), book.close)


def _closing(records: Iterator[InputRecord], close: Callable[[], None]) -> Iterator[InputRecord]:
    try:
        yield from records
    finally:
        close()


def _cell_text(value: object) -> str:
    """Render an xlsx cell as the text Excel's own CSV export would roughly give."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _jsonl_records(lines: Iterator[str], columns: _Columns) -> Iterator[InputRecord]:
    for number, line in enumerate(lines, start=1):
        if line.strip().lstrip("\ufeff"):
            yield _json_record(line.lstrip("\ufeff"), number, columns)


def _json_document_records(text: str, columns: _Columns, label: str) -> Iterator[InputRecord]:
    """The items of a JSON array, or of the ``comments`` array of an object.

    A document that is JSON Lines after all (``.json`` for NDJSON) is read as such.
    """
    try:
        value = json.loads(
            text.lstrip("\ufeff"), parse_constant=_refuse_constant, parse_float=_finite
        )
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            return _jsonl_records(_split_lines(text), columns)
        raise InputError(
            f"{label}: not valid JSON ({_json_problem(exc)} at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    except _NotJsonConstant as exc:
        raise InputError(f"{label}: not valid JSON ({exc})") from None
    items = value
    if isinstance(value, dict) and isinstance(value.get("comments"), list):  # API body
        items = [_api_comment(item, value.get("pack")) for item in value["comments"]]
    elif isinstance(value, dict):  # one comment
        items = [value]
    if not isinstance(items, list):
        raise InputError(
            f"{label}: expected a JSON array of comment objects or an object with a "
            f"'comments' array; got {_json_type(value)}"
        )
    return (_json_item(item, f"item {n}", str(n), columns) for n, item in enumerate(items, 1))


def _api_comment(item: object, pack: object) -> object:
    """An API comment as a flat object: its ``attributes`` inline, the body's pack."""
    if not isinstance(item, dict):
        return item
    nested = item.get("attributes")
    flat = dict(item)
    if isinstance(nested, dict):
        del flat["attributes"]
        flat = {**nested, **flat}
    if pack not in (None, ""):
        flat.setdefault(_PACK_COLUMN, pack)
    return flat


def _json_record(line: str, number: int, columns: _Columns) -> InputRecord:
    try:
        value = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        message = f"line {number}: not valid JSON ({_json_problem(exc)} at column {exc.colno})"
        return _error_record(str(number), "invalid_json", message)
    except _NotJsonConstant as exc:
        return _error_record(str(number), "invalid_json", f"line {number}: not valid JSON ({exc})")
    return _json_item(value, f"line {number}", str(number), columns)


def _json_item(value: object, where: str, number: str, columns: _Columns) -> InputRecord:
    """One comment object (``where``/``number`` place it in messages and default ids)."""
    if not isinstance(value, dict):
        message = f"{where}: expected a JSON object, got {_json_type(value)}"
        return _error_record(number, "invalid_json", message)
    raw_id, text, pack = (value.get(k) for k in (columns.id, columns.text, _PACK_COLUMN))
    broken = [k for k, v in value.items() if _has_surrogate(k) or _has_surrogate(v)]
    if broken:  # repr escapes the surrogate, so the message itself can be stored
        message = f"{where}: field {broken[0]!r} {LONE_SURROGATE}"
        usable = raw_id not in (None, "") and not _has_surrogate(raw_id)
        return _error_record(str(raw_id) if usable else number, "invalid_json", message)
    reserved = (columns.id, columns.text, _PACK_COLUMN)
    attributes = {k: v for k, v in value.items() if k not in reserved}
    for group in columns.groups:
        attributes.setdefault(group, None)
    error = None
    if not isinstance(text, str):
        found = "no" if columns.text not in value else f"a {_json_type(text)} in the"
        message = f"{where}: {found} {columns.text!r} field; expected a string"
        error, text = ErrorInfo(code="missing_text", message=message), None
    return InputRecord(
        id=number if raw_id in (None, "") else str(raw_id),
        text=text,
        attributes=attributes,
        pack=None if pack in (None, "") else str(pack),
        error=error,
    )


def _has_surrogate(value: object) -> bool:
    """Whether a parsed JSON value holds a lone surrogate in any of its strings or keys."""
    if isinstance(value, str):
        return has_lone_surrogate(value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def _json_problem(exc: json.JSONDecodeError) -> str:
    return exc.msg.removesuffix(" at")  # "Invalid control character at", then our "at"


class _NotJsonConstant(ValueError):
    """NaN or ±Infinity, which Python's ``json`` reads but JSON does not have."""


def _refuse_constant(name: str) -> object:
    """``json.loads`` hook: NaN and ±Infinity are not JSON, so the line is invalid."""
    raise _NotJsonConstant(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    """``json.loads`` hook: 1e400 is valid JSON but no float (Python makes it infinity)."""
    value = float(text)
    if math.isinf(value):
        raise _NotJsonConstant(f"{text} is too large for a number")
    return value


def _error_record(record_id: str, code: str, message: str) -> InputRecord:
    return InputRecord(record_id, None, {}, error=ErrorInfo(code=code, message=message))


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _line_records(lines: Iterator[str]) -> Iterator[InputRecord]:
    for number, line in enumerate(lines, start=1):
        text = line.removesuffix("\n").removesuffix("\r")
        text = text.removeprefix("\ufeff") if number == 1 else text
        if text.strip():
            yield InputRecord(id=str(number), text=text, attributes={})


def _clean_name(name: str) -> str:
    return name.replace("\ufeff", "").strip()
