"""make_plan: a competition folder and the pipeline settings in, every kernel's assignment out.

It detects the layout, validates every row (ids unique, labels present) before anything is
written, fingerprints the source, plans the preprocessing kernels and builds their
assignments plus the train kernel's. When the planner lowered the shard size to fit the
budget, the assignments carry the lowered ``[store] shard_bytes``, so the kernels write
exactly the planned shards. ``bundle_fingerprint`` is left empty: the bundler
fills it in (``dataclasses.replace``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.assignment import PreprocessAssignment, TrainAssignment
from shared.config import PipelineConfig, StoreConfig
from shared.data.normalization import Normalization
from host.planning.kernels import KernelPlan, plan_kernels
from host.planning.detect import detect_layout
from shared.sources import (SourceLayout, SplitRows, read_split_rows,
                            source_fingerprint)
from shared.store.sharding import WriterOptions
from shared.store.manifest import DatasetSpec

__all__ = ["Plan", "make_plan", "dataset_spec"]


@dataclass(frozen=True)
class Plan:
    """The resolved source, the data set's shape and every kernel's assignment."""

    layout: SourceLayout
    spec: DatasetSpec
    source_fingerprint: str
    kernels: KernelPlan
    preprocess: tuple[PreprocessAssignment, ...]
    train: TrainAssignment

    def table(self) -> str:
        """What will run: the source in one line, then the kernel table."""
        lay = self.layout
        height, width, channels = self.spec.sample_shape
        rows = " + ".join(f"{n} {s}" for s, n in self.spec.split_rows.items())
        head = (f"{self.train.competition}: {lay.kind} ({lay.train_csv}), {rows} rows, "
                f"{height}x{width}x{channels} ({lay.resize}), {len(lay.classes)} classes, "
                f"source {self.source_fingerprint[:12]}")
        return head + "\n" + self.kernels.table()


def dataset_spec(layout: SourceLayout, rows: dict[str, SplitRows],
                 store: StoreConfig) -> DatasetSpec:
    """The data set every kernel writes: sample shape, rows, classes, which ids are kept."""
    stored = ("test", "train") if store.store_train_ids else ("test",)
    width = max((len(str(i)) for split in stored if split in rows for i in rows[split].ids),
                default=1)
    return DatasetSpec(sample_shape=layout.sample_shape, split_rows=dict(layout.split_rows),
                       classes=layout.classes, id_column=layout.id_column,
                       label_column=layout.target_column or layout.label_column,
                       id_width=max(width, 1), stored_ids=stored)


def make_plan(config: PipelineConfig, data_dir: str | Path | None = None) -> Plan:
    """Plan every kernel for the competition in ``data_dir`` (default: [competition] data_dir)."""
    data_dir = Path(config.competition.data_dir if data_dir is None else data_dir)
    layout = detect_layout(data_dir, config.source)
    Normalization.from_config(config.loader).check_channels(layout.channels)
    rows = {split: read_split_rows(layout, data_dir, split) for split in layout.split_rows}
    spec = dataset_spec(layout, rows, config.store)
    fingerprint = source_fingerprint(layout, data_dir)
    options = WriterOptions.from_config(config)
    kernels = plan_kernels(spec, options, kernel_budget=config.plan.kernel_budget,
                           max_kernels=config.plan.max_kernels,
                           prefix=config.kaggle.slug_prefix or config.competition.slug,
                           decode_workers=config.plan.decode_workers)
    if kernels.shard_bytes != config.store.shard_bytes:  # lowered to fit the budget
        config = config.replace(store={"shard_bytes": kernels.shard_bytes})
    entries = kernels.entries()
    common = dict(competition=config.competition.slug, spec=spec, source=layout,
                  source_fingerprint=fingerprint, config=config)
    preprocess = tuple(PreprocessAssignment(kernel=share.kernel, ranges=share.ranges,
                                            plan=entries, **common)
                       for share in kernels.shares)
    train = TrainAssignment(kernel=kernels.train_kernel, sources=kernels.sources, **common)
    return Plan(layout=layout, spec=spec, source_fingerprint=fingerprint, kernels=kernels,
                preprocess=preprocess, train=train)
