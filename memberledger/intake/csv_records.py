"""Reading operator CSV files record by record, with the line each record starts on.

Both input files (enrollments, rewards) are spreadsheets exported by people, so the reader
is strict about what would silently change meaning (encoding, header, field count, sizes)
and reports problems by the physical line an operator sees in a text editor.

Files are streamed: one physical line is decoded at a time, so a file of a million rows costs
no more memory than a file of ten, and a problem is found on the exact line it is on.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from memberledger.errors import InvalidRow

#: Cell prefixes a spreadsheet would run as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@")
#: No cell of either file is legitimately longer; a longer one is refused by name.
MAX_CELL_CHARS = 1_024
#: A physical line longer than this is not a member list (and is never held in memory whole).
MAX_LINE_BYTES = 8 * 1024 * 1024

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class CsvRecord(NamedTuple):
    """One CSV record: the physical line it starts on (header = 1) and its cells. (A named
    tuple: records go to validation workers by the hundred thousand, and a tuple pickles
    several times faster than a dataclass.)"""

    line: int
    cells: list[str]


def iter_records(path: Path) -> Iterator[CsvRecord]:
    """The records of `path`, the header first. Blank records, and records whose cells are
    all blank (trailing spreadsheet rows), are skipped.

    The file must be UTF-8 (a leading byte-order mark is dropped); the first problem that
    makes the rest unreadable (not UTF-8, NUL bytes, broken quoting, a line over 8 MiB) is
    raised as `InvalidRow` with its line, after every record before it was yielded.
    """
    csv.field_size_limit(MAX_LINE_BYTES)
    with Path(path).open("rb") as file:
        reader = csv.reader(_decoded_lines(file), strict=True)
        line_after_previous = 1
        try:
            for cells in reader:
                start, line_after_previous = line_after_previous, reader.line_num + 1
                if any(map(str.strip, cells)):
                    yield CsvRecord(start, cells)
        except csv.Error as exc:
            raise InvalidRow(line_after_previous, "file", f"not CSV: {exc}") from None


def _decoded_lines(file: BinaryIO) -> Iterator[str]:
    number = 0
    while raw := file.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise InvalidRow(number, "row", f"longer than {MAX_LINE_BYTES // 2**20} MiB")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            hint = " (UTF-16: save it as UTF-8)" if raw.startswith(_UTF16_BOMS) else ""
            raise InvalidRow(number, "file", "not UTF-8 text" + hint) from None
        if "\x00" in text:
            raise InvalidRow(number, "file", "not UTF-8 text: NUL bytes (UTF-16 or binary?)")
        if "\r" in text.rstrip("\r\n"):
            # csv would read a lone CR as a line break; this reader counts lines by LF only.
            raise InvalidRow(number, "file", "line breaks are lone CRs: save with LF or CRLF")
        yield text


def check_header(
    header: CsvRecord | None, known: Sequence[str], required: Sequence[str]
) -> tuple[dict[str, int], list[InvalidRow]]:
    """The column positions by name, and one error per unknown, repeated or missing column
    (on the header's line, field = the column)."""
    lowered = {name.lower() for name in known}
    if header is None or not any(cell.strip().lower() in lowered for cell in header.cells):
        # No header, or most likely a data row: say so, without echoing its (personal) cells.
        reason = "missing: line 1 must name the columns (" + ",".join(known) + ")"
        return {}, [InvalidRow(header.line if header else 1, "header", reason)]
    positions: dict[str, int] = {}
    errors: list[InvalidRow] = []
    for index, raw_name in enumerate(header.cells):
        name = _shortened(raw_name.strip())
        if name in positions:
            errors.append(InvalidRow(header.line, name, "column appears twice in the header"))
        elif name in known:
            positions[name] = index
        else:
            hint = next((k for k in known if k.lower() == name.lower()), None)
            reason = f"unknown column (did you mean {hint!r}?)" if hint else "unknown column"
            errors.append(InvalidRow(header.line, name or f"column {index + 1}", reason))
    for name in required:
        if name not in positions:
            errors.append(InvalidRow(header.line, name, "required column is missing"))
    return positions, errors


def named_cells(
    record: CsvRecord, positions: dict[str, int]
) -> tuple[dict[str, str], list[InvalidRow]]:
    """The record's cells by column name, and an error for each cell too long to be real."""
    cells = {name: record.cells[index] for name, index in positions.items()}
    if max(map(len, record.cells), default=0) <= MAX_CELL_CHARS:
        return cells, []  # the usual case, without a loop in Python
    errors = [
        InvalidRow(record.line, name, f"longer than {MAX_CELL_CHARS:,} characters")
        for name, value in cells.items()
        if len(value) > MAX_CELL_CHARS
    ]
    return cells, errors


def write_rejects(path: Path, errors: Iterable[InvalidRow]) -> None:
    """Write `line,field,reason` for each error, for the operator to fix the input file.

    Cells that a spreadsheet would run as a formula get a leading apostrophe, since field
    names and reasons can quote text from the untrusted input.
    """
    with Path(path).open("w", encoding="utf-8", newline="") as rejects:
        writer = csv.writer(rejects)
        writer.writerow(["line", "field", "reason"])
        for error in errors:
            writer.writerow([error.line, _inert(error.field), _inert(error.reason)])


def default_rejects_path(path: Path) -> Path:
    """Where rejected rows go unless the operator says: `members.csv` -> `members.rejects.csv`."""
    return Path(path).with_name(Path(path).stem + ".rejects.csv")


def _shortened(name: str, limit: int = 40) -> str:
    """A column name fit to quote in an error message."""
    return name if len(name) <= limit else name[:limit] + "…"


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


@dataclass
class CsvFile:
    """A file whose header is sound: the columns by name, and its data records to come."""

    header: CsvRecord
    columns: Columns
    records: Iterator[CsvRecord]


def open_csv(
    path: Path, known: Sequence[str], required: Sequence[str]
) -> tuple[CsvFile | None, list[InvalidRow]]:
    """Read the header of `path` and check it: the file ready to stream, or its errors."""
    records = iter_records(path)
    try:
        header = next(records, None)
    except InvalidRow as error:
        return None, [error]
    positions, errors = check_header(header, known, required)
    if header is None or errors:
        return None, errors
    return CsvFile(header, Columns(len(header.cells), positions), records), []


@dataclass(frozen=True)
class Columns:
    """What a data record is checked against: the header's width and the known columns'
    positions (small and picklable, for validation in worker processes)."""

    width: int
    positions: dict[str, int]


def check_record(
    record: CsvRecord, columns: Columns
) -> tuple[dict[str, str] | None, list[InvalidRow]]:
    """The cells of one data record by column name, or why they cannot be read as a row."""
    if len(record.cells) != columns.width:
        reason = f"has {len(record.cells)} fields, the header has {columns.width}"
        return None, [InvalidRow(record.line, "row", reason)]
    cells, errors = named_cells(record, columns.positions)
    return (None if errors else cells), errors
