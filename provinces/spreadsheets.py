"""Text written to a file that people open in a spreadsheet program (CSV, XLSX).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets (CSV or formula injection: ``=HYPERLINK(...)`` sends data
away, ``=1+2`` computes). Every export that writes text someone typed — a survey list's cells,
report columns, the API access log (usernames, the CUIL as typed) — passes it through
:func:`spreadsheet_safe`, which puts an apostrophe in front: the spreadsheet shows the text as
typed and never evaluates it. Bank files are the exception: their layout is the bank's contract
(docs/bank-files.md) and their text fields are folded to letters, digits and spaces.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

#: A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: an apostrophe first if it could be a formula."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Echo:
    """A file that hands back what is written to it: lets ``csv.writer`` format one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Sequence[object]], *, delimiter: str = ";", chunk_chars: int = 65536) -> Iterator[str]:
    """``rows`` as CSV text for a ``StreamingHttpResponse``: a BOM first (so spreadsheet programs
    read the accents right), then pieces of about ``chunk_chars`` characters, so that a download
    of any length takes the memory of one piece. The caller makes the cells spreadsheet-safe."""
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    piece: list[str] = ["\ufeff"]
    size = 0
    for row in rows:
        line = writer.writerow(row)
        piece.append(line)
        size += len(line)
        if size >= chunk_chars:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)
