"""Reading the competition's CSV files with pandas, always in chunks.

A row range ``[start, stop)`` is read by skipping ``start`` lines in pandas' C parser, so a
kernel reads only its own rows and never holds a whole pixel CSV in memory. Text columns
(ids, labels, paths) are read as strings, exactly as written. Each file is read in its own
encoding and delimiter (``csv_format``: UTF-8 unless a byte-order mark says otherwise; commas,
else the header line's semicolons or tabs).

Row ``i`` is the ``i``-th line after the header, blank or not: skipping counts blank lines,
so reading must count them too (``skip_blank_lines=False``), or a kernel that starts after
a blank line would store every row shifted by one. A blank line in the middle is a row with
empty fields, which the checks in ``validate`` reject by row and line; blank lines at the end
of a file are not rows.
"""

from __future__ import annotations

import io
import os
import re
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from shared.sources.csv_format import CsvFormat, csv_format, not_utf8

__all__ = ["read_header", "trailing_blank_lines", "count_rows", "read_columns",
           "iter_pixel_chunks", "pixel_columns_of", "stripped", "plain_integers", "label_text",
           "classes_of"]

TEXT_CHUNK_ROWS = 200_000
PIXEL_CHUNK_BYTES = 8 * 2**20
_PIXEL_NAME = re.compile(r"^pixels?[_ ]?\d+$", re.IGNORECASE)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_TAIL_STEP = 2**16
_SURPLUS = "__surplus_field_of_kaggle_memmap_pipeline__"  # see _SurplusColumn


def read_header(path: str | os.PathLike) -> list[str]:
    """Column names of a CSV file (its first line)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found")
    fmt = csv_format(path)
    try:
        header = [str(c) for c in pd.read_csv(path, nrows=0, skip_blank_lines=False,
                                              sep=fmt.delimiter, encoding=fmt.encoding).columns]
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: expected a header line with column names") from None
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    if not header:
        raise ValueError(f"the first line of {path} is blank: expected a header line with "
                         "column names; remove the blank lines above it")
    return header


def trailing_blank_lines(path: str | os.PathLike) -> int:
    """How many blank (or whitespace-only) lines end the file after its last data line."""
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        tail, pos = b"", end
        while pos > 0 and not tail.strip():
            step = min(_TAIL_STEP, pos)
            pos -= step
            f.seek(pos)
            tail = f.read(step) + tail
    # The first line break after the last non-blank byte ends the last data line; each
    # further one ends a blank line, and unterminated whitespace after them is one more.
    pieces = _LINE_BREAK.split(tail[len(tail.rstrip()):])
    if len(pieces) < 2:
        return 0
    return len(pieces) - 2 + (1 if pieces[-1] else 0)


class _Utf8(io.RawIOBase):
    """A text file of another encoding, as UTF-8 bytes."""

    def __init__(self, path, encoding: str) -> None:
        self._text = open(path, encoding=encoding, newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            piece = self._text.read(2**16)
            if not piece:
                return 0
            self._pending = piece.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._text.close()
        super().close()


class _SurplusColumn(io.RawIOBase):
    """The file's bytes (as UTF-8) with one more name, ``_SURPLUS``, at the end of its header
    line.

    With ``usecols`` pandas drops the fields of a row past the header's last column without
    a word; reading this extra column too shows them: a value in it is a field too many.
    """

    def __init__(self, path, fmt: CsvFormat) -> None:
        self._file = _Utf8(path, fmt.encoding) if fmt.transcoded else open(path, "rb")
        head, found = b"", None
        while found is None:
            piece = self._file.read(2**16)
            head += piece
            found = _LINE_BREAK.search(head)
            if not piece:
                break
        end = found.start() if found else len(head)
        self._pending = head[:end] + fmt.delimiter.encode() + _SURPLUS.encode() + head[end:]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            return self._file.readinto(buffer)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def _reader(path, columns: Sequence[str], start: int, stop: int | None, chunk_rows: int,
            **kw) -> Iterator[pd.DataFrame]:
    header = read_header(path)
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{os.path.basename(path)} has no column {missing[0]!r}; its columns "
                         f"are {_shorten(header)}")
    nrows = None if stop is None else stop - start
    fmt = csv_format(path)
    # The header line is parsed (header=0) rather than skipped: pandas checks ``usecols``
    # against the first line it reads, and a blank one has no columns.
    with io.BufferedReader(_SurplusColumn(path, fmt)) as handle, pd.read_csv(
            handle, header=0, skiprows=lambda line: 0 < line <= start, nrows=nrows,
            usecols=[*columns, _SURPLUS], chunksize=max(1, chunk_rows),
            skip_blank_lines=False, sep=fmt.delimiter,
            encoding="utf-8" if fmt.transcoded else fmt.encoding, **kw) as chunks:
        row = start
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise not_utf8(path) from None
            except pd.errors.ParserError as exc:
                raise ValueError(f"{os.path.basename(path)}: not readable as CSV past row "
                                 f"{row} ({exc}): check its double quotes (a quoted value "
                                 "must end with a quote)") from None
            surplus = chunk.pop(_SURPLUS)
            extra = np.flatnonzero((surplus.notna()
                                    & (surplus.astype(str).str.strip() != "")).to_numpy())
            if len(extra):
                raise ValueError(_surplus_message(path, header, row + extra,
                                                  surplus.iloc[extra[0]]))
            yield chunk
            row += len(chunk)


def _surplus_message(path, header: Sequence[str], rows, value) -> str:
    shown = [int(r) for r in rows[:5]]
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    where = (f"row{'s' if len(shown) > 1 else ''} {', '.join(map(str, shown))} (line"
             f"{'s' if len(shown) > 1 else ''} {', '.join(str(r + 2) for r in shown)}){more}")
    first = f"; the first value past them is {value!r}" if value is not None else ""
    verb = "has" if len(rows) == 1 else "have"
    return (f"{os.path.basename(path)}: {where} {verb} more fields than the header's "
            f"{len(header)} ({_shorten(header)}){first}. Reading on would drop or shift values, "
            f"so the file is refused: fix or remove {'that line' if len(rows) == 1 else 'them'} "
            "(a value that holds a comma needs double quotes)")


def _check_length(path, start: int, stop: int | None, got: int) -> None:
    if stop is not None and got != stop - start:
        raise ValueError(
            f"{os.path.basename(path)} ends after row {start + got}, but rows [{start}, {stop}) "
            "were planned: the file changed since the plan was made; re-plan and push again")


def count_rows(path: str | os.PathLike) -> int:
    """Data rows of a CSV file (reads one column, in chunks)."""
    first = read_header(path)[:1]
    rows = sum(len(chunk) for chunk in _reader(path, first, 0, None, TEXT_CHUNK_ROWS,
                                               dtype=str, na_filter=False))
    return rows - trailing_blank_lines(path)


def read_columns(path: str | os.PathLike, columns: Sequence[str], *, start: int = 0,
                 stop: int | None = None) -> dict[str, np.ndarray]:
    """Text ``columns`` of rows ``[start, stop)`` as arrays of ``str`` (empty fields: "");
    ``stop=None`` reads to the last data row (blank lines at the end are not rows)."""
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    got = 0
    for chunk in _reader(path, columns, start, stop, TEXT_CHUNK_ROWS, dtype=str,
                         na_filter=False):
        for c in columns:
            parts[c].append(chunk[c].to_numpy(dtype=object))
        got += len(chunk)
    _check_length(path, start, stop, got)
    keep = got if stop is not None else max(0, got - trailing_blank_lines(path))
    return {c: np.concatenate(p)[:keep] if p else np.empty(0, dtype=object)
            for c, p in parts.items()}


def iter_pixel_chunks(path: str | os.PathLike, columns: Sequence[str], *, start: int,
                      stop: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(first_row, values)`` for rows ``[start, stop)``, about 8 MiB of numbers at a time;
    a value that is not a number (or a blank row) reads as NaN."""
    rows = max(1, PIXEL_CHUNK_BYTES // (8 * max(1, len(columns))))
    row = start
    for chunk in _reader(path, columns, start, stop, rows):
        text = [c for c, dtype in chunk.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
        if text:  # a column with a non-number in this chunk: that value alone becomes NaN
            chunk[text] = chunk[text].apply(pd.to_numeric, errors="coerce")
        values = chunk.to_numpy()
        yield row, values
        row += len(values)
    _check_length(path, start, stop, row - start)


def pixel_columns_of(header: Sequence[str]) -> list[str]:
    """Columns named like ``pixel0``, ``pixel_12`` (the pixel-CSV layout), in file order."""
    return [c for c in header if _PIXEL_NAME.match(c)]


def stripped(values: np.ndarray) -> np.ndarray:
    """Text values without surrounding whitespace, as a numpy string array (vectorised)."""
    # np.char, not np.strings: kernels may run on numpy 1.26, which has no np.strings.
    return np.char.strip(np.asarray(values, dtype=str))


_PLAIN_INTEGER = r"0|[1-9][0-9]*"  # no leading zero, sign, space, point or exponent


def plain_integers(raw: np.ndarray) -> bool:
    """True when every label is a plain integer as written (``3``, ``10``; not ``03``,
    ``+3``, `` 3``, ``3.0``): only then are classes numbers, sorted as numbers."""
    if len(raw) == 0:
        return False
    return bool(pd.Series(np.asarray(raw, dtype=str)).str.fullmatch(_PLAIN_INTEGER).all())


def label_text(raw: np.ndarray) -> np.ndarray:
    """Each label exactly as written but for the spaces around it (a CSV's padding)."""
    return stripped(raw)


def classes_of(raw: np.ndarray) -> tuple:
    """The sorted distinct labels: Python ints when every label is a plain integer, else the
    text as written (``007`` stays ``007``), so each class writes back as the CSV wrote it."""
    distinct = sorted(set(label_text(raw).tolist()))
    if plain_integers(raw):
        return tuple(sorted(int(v) for v in distinct))
    return tuple(str(v) for v in distinct)


def _shorten(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
