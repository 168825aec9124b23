"""Reading operator CSV files record by record, with the line each record starts on.

Both input files (enrollments, rewards) are spreadsheets exported by people, so the reader
is strict about what would silently change meaning (encoding, header, field count) and
reports problems by the physical line an operator sees in a text editor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from memberledger.errors import InvalidRow

#: Cell prefixes a spreadsheet would run as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class CsvRecord:
    """One CSV record: the physical line it starts on (header = 1) and its cells."""

    line: int
    cells: list[str]


@dataclass(frozen=True)
class CsvTable:
    """A file's header and data records, or the one error that stopped reading it."""

    header: CsvRecord | None
    records: list[CsvRecord]
    error: InvalidRow | None = None


def read_table(path: Path) -> CsvTable:
    """Decode `path` as UTF-8 (a leading byte-order mark is dropped) and split it into
    records; the first is the header. Blank records, and records whose cells are all blank
    (trailing spreadsheet rows), are skipped."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return CsvTable(None, [], InvalidRow(line, "file", "not UTF-8 text"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[CsvRecord] = []
    line_after_previous = 1
    try:
        for cells in reader:
            start, line_after_previous = line_after_previous, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                records.append(CsvRecord(start, cells))
    except csv.Error as exc:
        return CsvTable(None, [], InvalidRow(line_after_previous, "file", f"not CSV: {exc}"))
    if not records:
        return CsvTable(None, [])
    return CsvTable(records[0], records[1:])


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
        name = raw_name.strip()
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


def check_field_count(record: CsvRecord, header: CsvRecord) -> InvalidRow | None:
    if len(record.cells) == len(header.cells):
        return None
    return InvalidRow(
        record.line,
        "row",
        f"has {len(record.cells)} fields, the header has {len(header.cells)}",
    )


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


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell
