"""Lists as people and programs read them: an aligned table, or JSON, JSON lines or CSV, written
to standard output or to the file named by --output."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

ELLIPSIS = "…"
# When the output is not a terminal (a pipe, a file), tables are cut to this width.
DEFAULT_WIDTH = 120
# A text column keeps at least this much, even on a narrow terminal.
MIN_TEXT = 20


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


@contextmanager
def destination(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


def write_records(
    out: IO[str], fmt: Format, columns: Sequence[str], records: Sequence[dict[str, Any]]
) -> None:
    """JSON (one array), JSON lines or CSV (a header, then one row a record; formula cells neutralised)."""
    if fmt is Format.json:
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt is Format.jsonl:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(out)
        writer.writerow(columns)
        for record in records:
            writer.writerow([_cell(record[column]) for column in columns])
    else:
        raise ValueError(f"not a data format: {fmt}")


def write_table(
    out: IO[str], header: Sequence[str], rows: Sequence[Sequence[str]], *, fill_last: bool
) -> None:
    """Columns as wide as their widest cell; with `fill_last`, the last column (a free text) is cut
    to what is left of the terminal's width."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    if fill_last:
        used = sum(widths[:-1]) + len(widths) - 1
        widths[-1] = max(MIN_TEXT, terminal_width() - used)
    for row in (header, *rows):
        cells = [fit(cell, width) for cell, width in zip(row, widths, strict=True)]
        out.write(
            " ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip() + "\n"
        )


def fit(text: str, width: int) -> str:
    """One line, at most `width` characters: cut with an ellipsis when longer."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(width - 1, 0)] + ELLIPSIS


def terminal_width() -> int:
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def _cell(value: Any) -> Any:
    from gateway.reports.export import FORMULA_STARTS

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # A spreadsheet would run it as a formula (OWASP, "CSV injection").
        return "'" + value
    return value
