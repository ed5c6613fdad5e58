"""``inference.json``: what the inference kernel needs from training, beside the model.

In a code competition the train kernel (or each fold kernel, and the blend) writes this record
into its output: the task and classes the model predicts, the input it takes, the train side's
fingerprint, the prediction a row without a usable image gets (the training set's prior), the
settings chosen on the validation rows (a multi-label threshold) and the test-time
augmentation. The blend's record carries what it chose on every out-of-fold row; the folds'
records name their models. The inference kernel reads them and never recomputes them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

from shared.kaggle_paths import find_files
from shared.store.atomic import write_text_atomic

__all__ = ["INFERENCE_NAME", "InferenceRecord", "find_records"]

INFERENCE_NAME = "inference.json"
_FORMAT = "kaggle-pipeline-inference"
ROLES = ("train", "fold", "blend")


@dataclass(frozen=True)
class InferenceRecord:
    """One trained output's record (see the module docstring)."""

    role: str  # train (one model), fold (one of K models) or blend (the K folds' choices)
    task: str
    classes: tuple[Any, ...]
    sample_shape: tuple[int, ...]
    source_fingerprint: str
    prior: tuple[float, ...]  # one model output row: the fallback prediction
    calibration: Mapping[str, Any] = field(default_factory=dict)
    tta: str = "none"
    folds: int = 1
    fold: int = 0
    model: str = ""  # the model's file beside the record ("" for the blend)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"inference record role {self.role!r}: expected one of "
                             f"{', '.join(ROLES)}")
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "sample_shape", tuple(self.sample_shape))
        object.__setattr__(self, "prior", tuple(float(v) for v in self.prior))
        object.__setattr__(self, "calibration", dict(self.calibration))

    def save(self, folder: str | Path) -> Path:
        Path(folder).mkdir(parents=True, exist_ok=True)
        data = {"format": _FORMAT, **asdict(self)}
        return write_text_atomic(Path(folder) / INFERENCE_NAME,
                                 json.dumps(data, indent=1, default=_plain))

    @classmethod
    def load(cls, path: str | Path) -> "InferenceRecord":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: unreadable ({exc}); re-run the kernel that wrote it") \
                from None
        if not isinstance(data, dict) or data.pop("format", None) != _FORMAT:
            raise ValueError(f"{path}: not an inference record (expected \"format\": "
                             f"\"{_FORMAT}\")")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"{path}: malformed inference record ({exc}); it was written by "
                             "another version of the pipeline: re-run that kernel") from None


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def find_records(root: str | Path) -> list[tuple[Path, InferenceRecord]]:
    """Every ``inference.json`` below ``root`` (any depth, links followed once): its folder
    and record."""
    return [(path.parent, InferenceRecord.load(path)) for path in find_files(root,
                                                                            INFERENCE_NAME)]
