"""What the planner refuses or points out in the labels and ids, before any kernel runs.

- Labels that read as missing (``NaN``, ``None``, ``null`` ...): most tools, pandas first,
  read them as "no label", yet as text they would become a class of their own. Refused
  unless ``[source] null_labels = "keep"`` says they are real classes; then the plan says so.
- Ids with spaces around them: images are looked up without the spaces
  (``shared.sources.images``), ``submission.csv`` keeps the ids as the sample writes them;
  the plan says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from shared.sources import SourceLayout, SplitRows
from shared.sources.layouts import layout_kind
from shared.sources.tables import stripped
from shared.sources.validate import examples
from shared.tasks.base import examples as listed

__all__ = ["NULL_WORDS", "null_label_notes", "spaced_id_notes"]

# pandas' default missing-value words (read_csv's na_values), and their usual spellings
NULL_WORDS = frozenset({"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                        "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                        "nan", "null", "NAN", "Nan", "NONE", "none", "Null"})


def null_label_notes(layout: SourceLayout, data_dir: str | Path, policy: str) -> list[str]:
    """ValueError naming rows whose label reads as missing, unless ``policy`` is ``keep``
    (``[source] null_labels``): then a note for the plan."""
    train = layout_kind(layout.kind).train_columns(layout, Path(data_dir))
    labels = stripped(train.labels)
    hits = np.flatnonzero(np.isin(labels, sorted(NULL_WORDS)))
    if not len(hits):
        return []
    words = sorted(set(labels[hits].tolist()))
    where = f"{train.where}: {train.label_column!r}" if not layout.train_csv else \
        f"{layout.train_csv}: column {layout.label_column!r}"
    if policy == "keep":
        return [f"{where} holds {listed(words)} in {len(hits)} rows, words most tools read as "
                "a missing label: kept as classes of their own ([source] null_labels = "
                '"keep")']
    ids = train.ids
    classes = len(set(labels.tolist()))
    raise ValueError(
        f"{where} holds {listed(words)} in {len(hits)} rows ({examples(ids, hits, 0, 3)}): "
        "words that pandas and most tools read as a missing label. Taken as text, they would "
        f"be a class of their own ({classes} classes instead of {classes - len(words)}). Fill "
        f"in those labels or remove the rows; if {words[0]!r} is a real class name, set "
        '[source] null_labels = "keep"')


def spaced_id_notes(layout: SourceLayout, rows: Mapping[str, SplitRows]) -> list[str]:
    """A note when ids (or image paths) that locate images have spaces around them."""
    if layout_kind(layout.kind).pixels_in_csv:
        return []
    found = []
    for split, name in (("train", layout.labels_from), ("test", layout.sample_submission)):
        names = rows[split].names if split in rows else None
        if names is None or not len(names):
            continue
        text = np.asarray(names, dtype=str)
        spaced = np.flatnonzero(np.char.strip(text) != text)
        if len(spaced):
            found.append(f"{len(spaced)} in {name} (e.g. {str(text[spaced[0]])!r})")
    if not found:
        return []
    return [f"ids with spaces around them: {'; '.join(found)}. Their images are looked up "
            f"without the spaces; submission.csv keeps the ids exactly as "
            f"{layout.sample_submission} writes them"]
