"""KernelSet: the kernel folders of one pipeline run, and the index that finds them again.

The push needs nothing but this: the preprocessing kernels, the train kernel that mounts
them (and, to continue an unfinished training, its own previous output) or, with folds, the
fold kernels that each mount them and the blend kernel that mounts the folds, and (for
``--plan``) the planner's table. ``save`` writes ``kernels.json`` beside the
folders, so ``push.py --kernels DIR`` can push a build made earlier without planning again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host.bundle.folder import KernelFolder
from host.kernel_stages import KernelStages
from shared.store.manifest import write_json_atomic

__all__ = ["KernelSet", "INDEX_NAME"]

INDEX_NAME = "kernels.json"
INDEX_FORMAT = "kaggle-pipeline-kernels"


def _folder_to_dict(kernel: KernelFolder, root: Path) -> dict[str, Any]:
    path = kernel.path.resolve()
    try:
        where = str(path.relative_to(root.resolve()))
    except ValueError:
        where = str(path)
    return {"slug": kernel.slug, "role": kernel.role, "path": where, "script": kernel.script,
            "fingerprint": kernel.fingerprint, "sources": list(kernel.sources),
            "models": list(kernel.models)}


@dataclass(frozen=True)
class KernelSet(KernelStages[KernelFolder]):
    """The built kernel folders of one run (``KernelStages``: preprocessing, the train kernel
    or fold kernels they are sources of, with folds the blend), and the planner's table."""

    plan_text: str = ""  # the planner's table (row ranges, budgets), shown by --plan

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.preprocess:
            raise ValueError("KernelSet: no preprocessing kernels; the plan must have at least one")
        wrong = [k.slug for k in self.preprocess if k.role != "preprocess"]
        wrong_train = [k.slug for k in self.trains if k.role != "train"]
        if wrong or wrong_train or (self.blend is not None and self.blend.role != "blend"):
            raise ValueError(f"KernelSet: roles are wrong (preprocess kernels with another role: "
                             f"{wrong}; train kernels with another role: {wrong_train}; "
                             f"blend kernel role {self.blend.role if self.blend else None!r})")
        slugs = [k.slug for k in self.preprocess]
        for train in self.trains:
            others = [s for s in train.sources if s != train.slug]
            if sorted(others) != sorted(slugs):
                raise ValueError(f"KernelSet: the train kernel {train.slug} mounts "
                                 f"{list(train.sources)}, expected every preprocessing kernel "
                                 f"{slugs} (and, to continue its training, itself)")
        if self.blend is not None and list(self.blend.sources) != [k.slug for k in self.trains]:
            raise ValueError(f"KernelSet: the blend kernel {self.blend.slug} mounts "
                             f"{list(self.blend.sources)}, expected the fold kernels "
                             f"{[k.slug for k in self.trains]}")
        trained = [k.slug for k in self.trains] + ([self.blend.slug] if self.blend else [])
        if self.infer is not None and (self.infer.role != "infer"
                                       or list(self.infer.sources) != trained):
            raise ValueError(f"KernelSet: the inference kernel {self.infer.slug} (role "
                             f"{self.infer.role!r}) mounts {list(self.infer.sources)}, "
                             f"expected {trained}")

    @property
    def kernels(self) -> tuple[KernelFolder, ...]:
        return self.all

    @property
    def continues_training(self) -> bool:
        """The train kernels mount their own previous output (``push.py --continue-training``)."""
        return all(k.slug in k.sources for k in self.trains)

    @classmethod
    def from_built(cls, built: KernelStages[KernelFolder], plan_text: str = "") -> "KernelSet":
        """From the bundler's folders."""
        return cls(built.preprocess, built.trains, built.blend, built.infer, plan_text)

    def save(self, root: str | Path) -> Path:
        """Write ``root/kernels.json`` (atomically); folder paths are stored relative to root."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        data = {"format": INDEX_FORMAT, "version": 1, "plan_text": self.plan_text,
                "kernels": [_folder_to_dict(k, root) for k in self.kernels]}
        path = root / INDEX_NAME
        write_json_atomic(path, json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, root: str | Path) -> "KernelSet":
        """Read ``root/kernels.json`` written by ``save``."""
        root = Path(root)
        path = root / INDEX_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: --kernels needs a folder of kernels built "
                                    "by an earlier push.py run (its --build-dir, "
                                    "build/kernels by default)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != INDEX_FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {INDEX_FORMAT!r}")
            folders = [KernelFolder(slug=k["slug"], role=k["role"], path=root / k["path"],
                                    script=k["script"], fingerprint=k["fingerprint"],
                                    sources=tuple(k["sources"]),
                                    models=tuple(k.get("models", ()))) for k in data["kernels"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a kernel index ({type(exc).__name__}: {exc}); rebuild "
                             "the kernels") from None
        trains = tuple(k for k in folders if k.role == "train")
        blends = [k for k in folders if k.role == "blend"]
        infers = [k for k in folders if k.role == "infer"]
        if not trains or len(blends) > 1 or len(infers) > 1:
            raise ValueError(f"{path}: expected a train kernel (or fold kernels and one blend "
                             f"kernel) and at most one inference kernel, found {len(trains)} "
                             f"train, {len(blends)} blend and {len(infers)} inference kernels")
        return cls(tuple(k for k in folders if k.role == "preprocess"), trains,
                   blends[0] if blends else None, infers[0] if infers else None,
                   str(data.get("plan_text", "")))
