"""How the planner recognises a source layout: one rule module per layout, tried in order.

``[source] layout`` names a layout and runs its rule alone. Otherwise the rules (each module
here registers one, keyed by the layout's name, ``register_layout_rule``) are tried by
``order``:

1. a labels CSV with pixel columns (``pixel0`` ..): ``pixel_csv``;
2. a labels CSV (``train.csv``, ``train_labels.csv`` .. or ``[source] train_csv``):
   ``image_folder``, the images found by id in any folder or zip archive;
3. no labels CSV, the train images one folder per class (``train/<class>/*.jpg``):
   ``class_folders``;
4. no labels CSV, every train file name holding a label (``train/cat.0.jpg``): ``file_names``.

A new layout that can be recognised adds a module here (and its record in
``shared/sources/layouts/``).
"""

from __future__ import annotations

from host.planning.layout_rules.base import (LAYOUT_RULES, Detection, LayoutEvidence,
                                             LayoutRule, register_layout_rule)
from host.planning.locate import unreadable_inputs
from shared.registry import import_submodules

__all__ = ["Detection", "LayoutEvidence", "LayoutRule", "LAYOUT_RULES", "register_layout_rule",
           "detect_layout_kind"]

import_submodules(__name__)


def detect_layout_kind(evidence: LayoutEvidence, requested: str = "auto") -> Detection:
    """The claim of ``requested``'s rule, or of the first rule that claims the folder."""
    if requested != "auto":
        found = LAYOUT_RULES.get(requested).detect(evidence, True)
        if isinstance(found, Detection):
            return found
        raise ValueError(f"[source] layout = {requested!r}, but {found}")
    reasons = []
    for rule in sorted(LAYOUT_RULES, key=lambda r: r.order):
        found = rule.detect(evidence, False)
        if isinstance(found, Detection):
            return found
        if found:
            reasons.append(found)
    hint = unreadable_inputs(evidence.data_dir)
    raise ValueError(
        f"cannot tell where the train labels are in {evidence.data_dir}: "
        + "; ".join(reasons) + (f". Found {hint}" if hint else "")
        + ". Set [source] train_csv to the labels CSV, or [source] layout = \"class_folders\" "
        "(train/<class>/<image>) or \"file_names\" with [source] label_pattern (a regular "
        "expression whose group 'label' reads a file name's label)")
