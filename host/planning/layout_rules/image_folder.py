"""``image_folder``: a labels CSV (id, label), the images found by id (or by a path column)
in whichever folder, or zip archive, holds them."""

from __future__ import annotations

from host.planning.hints import id_column_mismatch
from host.planning.layout_rules._columns import label_column
from host.planning.layout_rules._shared import archive_notes, probed, test_folder
from host.planning.layout_rules.base import Detection, LayoutEvidence, register_layout_rule
from host.planning.locate import check_ids_name_one_image, locate, path_base
from shared.sources.layout import SourceLayout
from shared.sources.tables import classes_of, read_columns, read_header
from shared.sources.validate import check_blank_rows, check_labels_present

__all__ = ["labels_csv"]


@register_layout_rule("image_folder", order=20)
def labels_csv(e: LayoutEvidence, forced: bool) -> Detection | str:
    if not e.train_csv:
        return (f"no labels CSV (found: {', '.join(e.csvs)}; looked for train.csv, "
                "train_labels.csv, labels.csv ...)")
    data_dir, source, common, train_csv = e.data_dir, e.source, e.common, e.train_csv
    header = read_header(data_dir / train_csv)
    if e.id_column not in header:
        raise ValueError(id_column_mismatch(data_dir, train_csv, header, common, e.index))
    path_column = source.path_column
    if path_column and path_column not in header:
        raise ValueError(f"{train_csv} has no column {path_column!r} ([source] path_column)")
    label = label_column(header, {e.id_column, path_column}, source, common["target_column"],
                         train_csv)
    table = read_columns(data_dir / train_csv, [c for c in (e.id_column, label, path_column)
                                                if c])
    ids = table[e.id_column]
    if not len(ids):
        raise ValueError(f"{train_csv} has no rows: nothing to train on")
    check_blank_rows(table, where=train_csv)
    check_labels_present(table[label], ids, where=train_csv, column=label)
    names = table[path_column] if path_column else ids
    notes = []
    if path_column:
        train_dir, train_ext = path_base(data_dir, names)
    else:
        train_dir, train_ext = locate(e.index, data_dir, names, "train")
        notes += check_ids_name_one_image(e.index, train_dir, names, split="train",
                                          where=train_csv)
    test_dir, test_ext, test_notes = test_folder(e)
    size, probe_notes = probed(e, train_dir, train_ext, names)
    layout = SourceLayout(
        kind="image_folder", **common, train_csv=train_csv, label_column=label,
        path_column=path_column, **size, train_dir=train_dir, test_dir=test_dir,
        train_ext=train_ext, test_ext=test_ext, classes=classes_of(table[label]),
        split_rows={"train": len(ids), "test": len(e.test_ids)})
    return Detection(layout, tuple(probe_notes + notes + test_notes
                                   + archive_notes(data_dir, (train_dir, test_dir))))
