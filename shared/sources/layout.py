"""SourceLayout: the competition's files as the planner resolved them.

The planner detects the layout once, on the user's local copy of the competition
(``kaggle competitions download``); every kernel then reads its mounted copy through the same
resolved layout, so row numbers mean the same rows everywhere. Paths are relative to the
competition folder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

__all__ = ["SourceLayout", "LAYOUTS"]

LAYOUTS = ("image_folder", "pixel_csv")


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
    test_csv: str = ""  # pixel_csv: the test pixels; image_folder: ""
    train_dir: str = ""  # image_folder: where train images are found by id
    test_dir: str = ""
    path_column: str = ""  # image_folder: a column of image paths instead of ids
    classes: tuple[Any, ...] = ()
    split_rows: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in LAYOUTS:
            raise ValueError(f"layout kind {self.kind!r}: expected one of {', '.join(LAYOUTS)}")
        object.__setattr__(self, "image_size", tuple(self.image_size))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "split_rows", dict(self.split_rows))
        if len(self.image_size) != 2 or min(self.image_size) < 1:
            raise ValueError(f"image_size {self.image_size}: expected (height, width)")
        if self.channels not in (1, 3):
            raise ValueError(f"channels {self.channels}: expected 1 or 3")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["image_size"] = list(self.image_size)
        data["classes"] = list(self.classes)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SourceLayout":
        return cls(**data)
