"""make_plan: a competition folder and the pipeline settings in, every kernel's assignment out.

It detects the layout, decides the task, validates every row (ids unique, labels present)
before anything is written, fingerprints the source, sizes the preprocessing kernels, decides
what the ``auto`` training settings mean on the machine of ``[kaggle] machine_shape``
(``shared.training.settings``, ``host.machine_shapes``) and builds every
kernel's assignment. What the plan decided travels whole: the preprocessing kernels get the
shard limits they were sized with (``writer``), the train kernels the training choices.
``bundle_fingerprint`` is left empty: the bundler fills it in (``dataclasses.replace``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from host.kernel_stages import KernelStages
from host.machine_shapes import machine_shape
from host.planning.code_competition import code_layout, code_notes
from host.planning.machine_plan import machine_lines
from host.planning.detect import detect_source
from host.planning.input_notes import null_label_notes, spaced_id_notes
from host.planning.kernels import (KernelPlan, blend_slug, check_slug_prefix, fold_slug,
                                   infer_slug, plan_kernels)
from host.planning.out_of_scope import check_in_scope
from host.planning.presets import local_preset, source_for_preset
from host.planning.task_detect import decide_task
from host.planning.training_rows import batch_note, training_rows
from host.settings import HostConfig
from shared.assignment import (Assignment, BlendAssignment, InferAssignment,
                               PreprocessAssignment, TrainAssignment, TrainChoices)
from shared.config import PipelineConfig, StoreConfig
from shared.data.normalization import Normalization
from shared.sources import SourceLayout, SplitRows, read_split_rows, source_fingerprint
from shared.store.manifest import DatasetSpec
from shared.store.sharding import WriterOptions
from shared.tasks import task_for
from shared.training.preset_settings import choose_preset
from shared.training.settings import choose_training, infer_choices

__all__ = ["Plan", "make_plan", "dataset_spec"]


@dataclass(frozen=True, kw_only=True)
class Plan(KernelStages[Assignment]):
    """Every kernel's assignment (``preprocess``, ``trains``, ``blend``), with the resolved
    source, the data set's shape, the preprocessing shares and what the training settings
    became."""

    layout: SourceLayout
    spec: DatasetSpec
    source_fingerprint: str
    shares: KernelPlan
    choices: TrainChoices
    task_evidence: str = ""
    notes: tuple[str, ...] = ()  # what the planner decided that the user should know
    machine: tuple[str, ...] = ()  # the train kernels' machine (host.planning.machine_plan)

    def table(self) -> str:
        """What will run: the source in one line, then the kernel table."""
        lay = self.layout
        height, width, channels = self.spec.sample_shape
        rows = " + ".join(f"{n} {s}" for s, n in self.spec.split_rows.items())
        kinds = {"multi_hot": "tags", "value": ""}.get(lay.targets, "classes")
        head = (f"{self.trains[0].competition}: {lay.kind} ({lay.labels_from}), {rows} rows, "
                f"{height}x{width}x{channels} ({lay.resize}), "
                + (f"{len(lay.classes)} {kinds}, " if kinds else "")
                + f"source {self.source_fingerprint[:12]}")
        task = (f"task {lay.task}: {task_for(lay).describe()}; because "
                f"{self.task_evidence or 'of the layout'}")
        lines = [head, task, self.choices.describe(), *self.machine,
                 *(f"note: {note}" for note in self.notes), self.shares.table()]
        if self.blend is not None:
            lines.append(f"the {len(self.trains)} fold kernels ({self.trains[0].kernel} .. "
                         f"{self.trains[-1].kernel}) each validate on one fold and train on "
                         f"the others; then {self.blend.kernel} blends them")
        if self.infer is not None:
            lines.append(f"then {self.infer.kernel} (submitted) predicts the test images with "
                         f"the model(s) of {', '.join(self.infer.sources)}")
        return "\n".join(lines)


def dataset_spec(layout: SourceLayout, rows: dict[str, SplitRows],
                 store: StoreConfig) -> DatasetSpec:
    """The data set every kernel writes: sample shape, rows, classes, which ids are kept."""
    stored = ("test", "train") if store.store_train_ids else ("test",)
    width = max((len(str(i)) for split in stored if split in rows for i in rows[split].ids),
                default=1)
    return DatasetSpec(sample_shape=layout.sample_shape, split_rows=dict(layout.split_rows),
                       classes=layout.classes, id_column=layout.id_column,
                       label_column=layout.target_column or layout.label_column,
                       id_width=max(width, 1), stored_ids=stored, targets=layout.targets,
                       task=layout.task)


def make_plan(config: HostConfig, data_dir: str | Path | None = None) -> Plan:
    """Plan every kernel for the competition in ``data_dir`` (default: [competition] data_dir)."""
    data_dir = Path(config.competition.data_dir if data_dir is None else data_dir)
    if data_dir.is_dir():
        check_in_scope(data_dir)
    local = local_preset(config)  # a preset [train] model names: its size shapes the shards
    preset = choose_preset(config, str(local.handle), local.facts) if local else None
    source, preset_notes = source_for_preset(config.source, preset)
    detection = detect_source(data_dir, source)
    notes = [*preset_notes, *detection.notes,
             *null_label_notes(detection.layout, data_dir, config.source.null_labels)]
    competition = config.competition
    code = competition.submission == "code"
    decision = decide_task(detection.layout, data_dir, competition.task,
                           metric=competition.metric, positive_class=competition.positive_class,
                           header_only=code)
    layout = decision.layout
    notes += decision.notes
    prefix = config.kaggle.slug_prefix or config.competition.slug
    if code:
        public_rows = layout.split_rows.get("test", 0)
        layout = code_layout(layout, data_dir)
        notes += code_notes(layout, public_rows, infer_slug(prefix))
    shape = machine_shape(config.kaggle.machine_shape)
    # a setting that cannot work (on this machine too) fails here
    choices = choose_training(config, task_for(layout), shape.target(), preset=preset)
    Normalization.from_config(config.loader).check_channels(layout.channels)
    rows = {split: read_split_rows(layout, data_dir, split) for split in layout.split_rows}
    spec = dataset_spec(layout, rows, config.store)
    notes += spaced_id_notes(layout, rows)
    fitted = training_rows(layout, rows["train"], config)
    choices = choose_training(config, task_for(layout), shape.target(), train_rows=fitted,
                              sample_shape=spec.sample_shape, preset=preset)
    notes += batch_note(config, choices.batch_size, fitted)
    fingerprint = source_fingerprint(layout, data_dir)
    shares = plan_kernels(spec, WriterOptions.from_config(config),
                          kernel_budget=config.plan.kernel_budget,
                          max_kernels=config.plan.max_kernels, prefix=prefix,
                          decode_workers=config.plan.decode_workers)
    writer = WriterOptions(shard_bytes=shares.shard_bytes,
                           max_shard_rows=config.store.max_shard_rows,
                           budget_bytes=config.plan.kernel_budget)
    entries = shares.entries()
    common = dict(competition=config.competition.slug, spec=spec, source=layout,
                  source_fingerprint=fingerprint, config=config.runtime())
    preprocess = tuple(PreprocessAssignment(kernel=share.kernel, ranges=share.ranges,
                                            plan=entries, writer=writer, **common)
                       for share in shares.shares)
    trains, blend = _train_kernels(config, shares, prefix, common, choices)
    infer = None
    if code:
        sources = tuple(a.kernel for a in trains) + ((blend.kernel,) if blend else ())
        infer = InferAssignment(kernel=infer_slug(prefix), sources=sources,
                                choices=infer_choices(choices), **common)
    return Plan(preprocess=preprocess, trains=trains, blend=blend, infer=infer, layout=layout,
                spec=spec, source_fingerprint=fingerprint, shares=shares, choices=choices,
                task_evidence=decision.evidence, notes=tuple(notes),
                machine=machine_lines(shape, config, choices))


def _train_kernels(config: PipelineConfig, shares: KernelPlan, prefix: str, common: dict,
                   choices: TrainChoices
                   ) -> tuple[tuple[TrainAssignment, ...], BlendAssignment | None]:
    """One train kernel; or, with ``[train] folds = K``, K fold kernels and the blend."""
    folds = config.train.folds
    if folds == 1:
        return (TrainAssignment(kernel=shares.train_kernel, sources=shares.sources,
                                choices=choices, **common),), None
    check_slug_prefix(prefix, len(shares.shares), folds)
    train_rows = common["spec"].split_rows.get("train", 0)
    if train_rows < 2 * folds:
        raise ValueError(f"[train] folds = {folds} needs at least {2 * folds} train rows (two "
                         f"per fold), the data has {train_rows}: lower [train] folds")
    trains = tuple(TrainAssignment(kernel=fold_slug(prefix, k), sources=shares.sources,
                                   fold=k, choices=choices, **common) for k in range(folds))
    blend = BlendAssignment(kernel=blend_slug(prefix), sources=tuple(a.kernel for a in trains),
                            **common)
    return trains, blend
