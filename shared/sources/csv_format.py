"""How a CSV file is written: its encoding and its delimiter, read off the file itself.

- **Encoding**: UTF-8, unless a byte-order mark says UTF-8 (with the mark), UTF-16 or UTF-32,
  the encodings a file states itself. A file that is not valid UTF-8 and has no mark could be
  Latin-1, Windows-1252 or another one: guessing could change a label silently, so it is
  refused naming the file, the line, the byte and the fix (``not_utf8``).
- **Delimiter**: the header line's commas; when it has none, its semicolons, tabs or vertical
  bars (a spreadsheet's export in many locales writes ``id;label``). The planner says so in the
  plan; every reader, kernels included, reads the file the same way.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CsvFormat", "csv_format", "not_utf8", "DELIMITER_NAMES"]

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
          (codecs.BOM_UTF16_BE, "utf-16"))
_HEAD_BYTES = 2**16


@dataclass(frozen=True)
class CsvFormat:
    """A CSV file's ``encoding`` (as Python names it) and ``delimiter``."""

    encoding: str = "utf-8"
    delimiter: str = ","

    @property
    def transcoded(self) -> bool:
        """True for encodings other than UTF-8's (the readers turn them into UTF-8)."""
        return self.encoding not in ("utf-8", "utf-8-sig")

    def describe(self) -> str:
        """``separated by semicolons``, ``UTF-16``: what differs from a plain CSV ("" if
        nothing)."""
        parts = []
        if self.delimiter != ",":
            parts.append(f"separated by {DELIMITER_NAMES[self.delimiter]} ({self.delimiter!r})")
        if self.encoding != "utf-8":
            parts.append({"utf-8-sig": "UTF-8 with a byte-order mark"}.get(
                self.encoding, self.encoding.upper()))
        return ", ".join(parts)


def csv_format(path: str | os.PathLike) -> CsvFormat:
    """The encoding and delimiter of the CSV at ``path`` (see the module docstring)."""
    stat = os.stat(path)
    return _detect(os.fspath(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _detect(path: str, size: int, mtime: int) -> CsvFormat:
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    encoding = next((name for mark, name in _MARKS if head.startswith(mark)), "utf-8")
    text = head.decode(encoding, errors="replace")
    line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if "," in line or not line:
        return CsvFormat(encoding, ",")
    counts = {d: line.count(d) for d in (";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return CsvFormat(encoding, best if counts[best] else ",")


def not_utf8(path: str | os.PathLike) -> ValueError:
    """The refusal of a file that is not UTF-8: its first bad byte, with its line."""
    name = os.path.basename(path)
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        text = data[start:end if end >= 0 else len(data)].decode("cp1252", errors="replace")
        return ValueError(
            f"{name} is not UTF-8: line {line} holds the byte 0x{data[exc.start]:02x} "
            f"({text.strip()!r} if it is Windows-1252 or Latin-1) and has no byte-order mark "
            "saying which encoding it is. Save it as UTF-8, e.g. iconv -f cp1252 -t utf-8 "
            f"{name} > utf8.csv and replace {name} with utf8.csv")
    return ValueError(f"{name}: cannot be decoded as {csv_format(path).encoding}")
