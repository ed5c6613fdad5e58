"""Writing kernel outputs in tests: a data set spec, a plan, and a writer run over real images."""

from __future__ import annotations

import numpy as np

from shared.store import DatasetSpec, PlanEntry, ShardWriter, WriterOptions


def make_spec(n_train: int, n_test: int = 0, **kw) -> DatasetSpec:
    splits = {"train": n_train, **({"test": n_test} if n_test else {})}
    defaults = dict(sample_shape=(28, 28, 1), split_rows=splits, classes=tuple(range(10)),
                    id_width=8, stored_ids=("test",))
    return DatasetSpec(**{**defaults, **kw})


def write_output(out_dir, spec: DatasetSpec, ranges, data: dict, *, producer="preprocess-00",
                 shard_bytes=8_000, plan=(), rejects=frozenset(), **writer_kw):
    """Write ``ranges`` of ``data`` (x_train, y_train, x_test) like a preprocessing kernel;
    rows in ``rejects`` ((split, row) pairs) are rejected instead of written."""
    with ShardWriter(out_dir, spec=spec, ranges=ranges, producer=producer,
                     options=WriterOptions(shard_bytes=shard_bytes,
                                           **writer_kw.pop("options", {})),
                     plan=plan, **writer_kw) as writer:
        for r in writer.pending():
            for row in range(r.start, r.stop):
                if (r.split, row) in rejects:
                    writer.reject(r.split, row, f"{r.split}{row}", "unreadable image")
                elif r.split == "train":
                    writer.add("train", row, data["x_train"][row], label=int(data["y_train"][row]))
                else:
                    writer.add("test", row, data["x_test"][row], id=f"t{row}")
    return writer


def split_plan(n: int, kernels: int, split: str = "train") -> list[PlanEntry]:
    edges = np.linspace(0, n, kernels + 1).astype(int)
    return [PlanEntry(f"preprocess-{k:02d}", split, int(a), int(b))
            for k, (a, b) in enumerate(zip(edges, edges[1:]))]
