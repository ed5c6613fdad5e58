"""``file_names``: no labels CSV; every train file's name holds its label (``cat.0.jpg``),
read by ``[source] label_pattern`` or the default pattern (a label, a separator, a number)."""

from __future__ import annotations

import dataclasses
import os

from host.planning.layout_rules._listed import describe_folders, train_images
from host.planning.layout_rules._shared import archive_notes, probed, test_folder
from host.planning.layout_rules.base import Detection, LayoutEvidence, register_layout_rule
from shared.sources.layout import SourceLayout
from shared.sources.layouts import layout_kind
from shared.sources.layouts.file_names import DEFAULT_LABEL_PATTERN, label_pattern
from shared.sources.tables import classes_of
from shared.tasks.base import examples

__all__ = ["labels_in_names"]


@register_layout_rule("file_names", order=40)
def labels_in_names(e: LayoutEvidence, forced: bool) -> Detection | str:
    if e.train_csv and not forced:
        return ""
    test_dir, test_ext, test_notes = test_folder(e)
    paths = train_images(e, test_dir)
    if not paths:
        return "no train images outside the test folder"
    folders = sorted({os.path.dirname(p) for p in paths})
    if len(folders) != 1:
        return (f"no labels in file names: the train images lie in several folders, "
                f"{describe_folders(paths)}")
    text = e.source.label_pattern or DEFAULT_LABEL_PATTERN
    pattern = label_pattern(text)
    names = [os.path.basename(p) for p in paths]
    misses = [n for n in names if not pattern.fullmatch(n)]
    setting = "[source] label_pattern" if e.source.label_pattern else "the default pattern"
    if misses:
        return (f"no labels in file names: {len(misses)} of the {len(names)} names in "
                f"{folders[0] or '.'}/ do not match {setting} {text!r} (e.g. "
                f"{examples(misses)})")
    train_dir = folders[0]
    layout = SourceLayout(kind="file_names", **e.common, train_csv="", train_dir=train_dir,
                          test_dir=test_dir, test_ext=test_ext, label_column="label",
                          label_pattern=text, image_size=(1, 1), channels=1)  # size: below
    train = layout_kind(layout.kind).train_columns(layout, e.data_dir)
    classes = classes_of(train.labels)
    if len(classes) < 2:
        return (f"every file name in {train_dir}/ reads as the label {classes[0]!r} under "
                f"{setting} {text!r}: one class is nothing to learn")
    size, probe_notes = probed(e, train_dir, "", train.names)
    evidence = (f"layout file_names: no labels CSV; the names of the {len(names)} files in "
                f"{train_dir}/ hold their labels ({setting} {text!r}: {names[0]!r} is "
                f"{train.labels[0]!r}), {len(classes)} classes: {examples(list(classes))}")
    layout = dataclasses.replace(layout, **size, classes=classes,
                                 split_rows={"train": len(train.ids), "test": len(e.test_ids)})
    return Detection(layout, (evidence, *probe_notes, *test_notes,
                              *archive_notes(e.data_dir, (train_dir, test_dir))))
