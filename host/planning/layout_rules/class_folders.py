"""``class_folders``: no labels CSV; the train images sit one folder per class
(``train/<class>/<image>``), the folder's name the label."""

from __future__ import annotations

import dataclasses
import os

from host.planning.layout_rules._listed import describe_folders, train_images
from host.planning.layout_rules._shared import archive_notes, probed, test_folder
from host.planning.layout_rules.base import Detection, LayoutEvidence, register_layout_rule
from shared.sources.layout import SourceLayout
from shared.sources.layouts import layout_kind
from shared.sources.tables import classes_of
from shared.tasks.base import examples

__all__ = ["one_folder_per_class"]


@register_layout_rule("class_folders", order=30)
def one_folder_per_class(e: LayoutEvidence, forced: bool) -> Detection | str:
    if e.train_csv and not forced:
        return ""
    test_dir, test_ext, test_notes = test_folder(e)
    paths = train_images(e, test_dir)
    if not paths:
        return "no train images outside the test folder"
    parents = sorted({os.path.dirname(p) for p in paths})
    roots = {os.path.dirname(p) for p in parents}
    if len(parents) < 2 or len(roots) != 1 or "" in parents or roots == {""}:
        return (f"not one folder per class (train/<class>/<image>): the train images lie in "
                f"{describe_folders(paths)}")
    train_dir = roots.pop()
    layout = SourceLayout(kind="class_folders", **e.common, train_csv="", train_dir=train_dir,
                          test_dir=test_dir, test_ext=test_ext, label_column="folder",
                          image_size=(1, 1), channels=1)  # size and classes: below
    train = layout_kind(layout.kind).train_columns(layout, e.data_dir)
    size, probe_notes = probed(e, train_dir, "", train.names)
    classes = classes_of(train.labels)
    evidence = (f"layout class_folders: no labels CSV; the {len(train.ids)} train images sit "
                f"in {len(classes)} class folders of {train_dir}/ ({examples(list(classes))}): "
                "the folder names the label")
    layout = dataclasses.replace(layout, **size, classes=classes,
                                 split_rows={"train": len(train.ids), "test": len(e.test_ids)})
    return Detection(layout, (evidence, *probe_notes, *test_notes,
                              *archive_notes(e.data_dir, (train_dir, test_dir))))
