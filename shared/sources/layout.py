"""SourceLayout: the competition's files as the planner resolved them.

The planner detects the layout once, on the user's local copy of the competition
(``kaggle competitions download``); every kernel then reads its mounted copy through the same
resolved layout, so row numbers mean the same rows everywhere. Paths are relative to the
competition folder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from shared.store.manifest import TARGET_KINDS

__all__ = ["SourceLayout"]


@dataclass(frozen=True)
class SourceLayout:
    """Resolved competition layout (what ``[source]`` settings left to detection, decided)."""

    kind: str
    train_csv: str
    sample_submission: str
    id_column: str
    label_column: str
    image_size: tuple[int, int]
    channels: int
    resize: str = "stretch"
    test_csv: str = ""  # pixel_csv: the test pixels; image layouts: ""
    # where the train images are (relative to the competition folder; a folder inside a zip
    # archive is written through it: "train.zip/train")
    train_dir: str = ""
    test_dir: str = ""
    path_column: str = ""  # image_folder: a column of image paths instead of ids
    train_ext: str = ""  # image_folder: appended to a train id to name its file ("" = id has it)
    test_ext: str = ""
    label_pattern: str = ""  # file_names: the regex whose group "label" reads a file's label
    target_column: str = ""  # sample_submission's prediction column, e.g. "Label"
    source_shape: tuple[int, ...] = ()  # pixel_csv: (height, width, channels) stored in the CSV
    classes: tuple[Any, ...] = ()  # sorted class values; multi-label: the sorted tags
    split_rows: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    task: str = "label"  # the task kind (``shared.tasks``), decided by the planner
    targets: str = "class"  # how the task's targets are stored: one of TARGET_KINDS
    value_columns: tuple[str, ...] = ()  # sample_submission's columns after the id
    top_k: int = 0  # top-k: how many labels each submission row holds
    metric: str = ""  # [competition] metric where the task offers a choice; "" = its own
    # a code competition: the test images are decoded by the inference kernel when it runs
    # (Kaggle swaps in a hidden test set to score); only the train split is planned and sharded
    test_at_inference: bool = False

    def __post_init__(self) -> None:
        from shared.sources.layouts import layout_kind

        kind = layout_kind(self.kind)
        object.__setattr__(self, "image_size", tuple(self.image_size))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "source_shape", tuple(self.source_shape))
        object.__setattr__(self, "split_rows", dict(self.split_rows))
        object.__setattr__(self, "value_columns", tuple(self.value_columns))
        if not self.task or not isinstance(self.task, str):
            raise ValueError(f"task {self.task!r}: expected the name of a task kind")
        if self.targets not in TARGET_KINDS:
            raise ValueError(f"targets {self.targets!r}: expected one of "
                             f"{', '.join(TARGET_KINDS)}")
        if len(self.image_size) != 2 or min(self.image_size) < 1:
            raise ValueError(f"image_size {self.image_size}: expected (height, width)")
        if self.channels not in (1, 3):
            raise ValueError(f"channels {self.channels}: expected 1 or 3")
        kind.check(self)

    @property
    def labels_from(self) -> str:
        """Where the train labels are, for the plan (``train.csv``, ``file names in
        train/``)."""
        from shared.sources.layouts import layout_kind

        return layout_kind(self.kind).labels_from(self)

    @property
    def submission_label_column(self) -> str:
        """The column predictions go in: sample_submission's, else the train CSV's name."""
        return self.target_column or self.label_column

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        """Shape of one stored sample: (height, width, channels)."""
        return (*self.image_size, self.channels)

    def source_files(self) -> tuple[str, ...]:
        """The CSV files the planned kernels read (what the source fingerprint hashes): the
        train side alone when the test set comes at inference time."""
        names = (self.train_csv,) if self.test_at_inference else (
            self.train_csv, self.test_csv, self.sample_submission)
        return tuple(n for n in names if n)

    def train_side(self) -> dict[str, Any]:
        """What a scoring rerun cannot change (the fingerprinted layout of a code competition):
        everything but where the test images are and how many there are."""
        data = self.to_dict()
        for name in ("test_dir", "test_ext", "test_csv"):
            data.pop(name)
        data["split_rows"] = {k: v for k, v in data["split_rows"].items() if k != "test"}
        return data

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["image_size"] = list(self.image_size)
        data["classes"] = list(self.classes)
        data["source_shape"] = list(self.source_shape)
        data["value_columns"] = list(self.value_columns)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SourceLayout":
        """Inverse of ``to_dict``."""
        return cls(**data)
