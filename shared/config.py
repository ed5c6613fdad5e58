"""Pipeline settings: one TOML file loaded into frozen, self-validating dataclasses.

Every setting lives in ``pipeline.toml`` at the repository root. ``host.config_file.load_config``
reads it on the user's machine; a kernel never reads the repo: its bundle carries ``to_dict()``
of the settings its role reads and rebuilds them with ``PipelineConfig.from_dict``.

These are the runtime's settings; ``[kaggle]``, which only the push reads, is
``host.settings``'. Each class checks the form of its values; a value that names a registered
kind (``[competition] task``, ``[train] model``) is looked up when the plan is made, and what
``auto`` means is decided once, in ``shared.training.settings``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from shared.checks import check_choice, check_int, check_mean_std, check_number, refuse
from shared.choices import (AUGMENT_MODES, AUTO, BACKENDS, DISTRIBUTE_MODES, LOADER_OUTPUTS,
                            LR_SCHEDULES, NULL_LABEL_POLICIES, PRECISIONS,
                            RESIZE_MODES, SHUFFLE_MODES, SUBMISSION_KINDS, TTA_MODES,
                            VERIFY_MODES, WEIGHT_SOURCES)
from shared.units import parse_size

__all__ = [
    "CompetitionConfig",
    "SourceConfig",
    "StoreConfig",
    "PlanConfig",
    "LoaderConfig",
    "TrainConfig",
    "PipelineConfig",
    "MAX_FOLDS",
]

MAX_FOLDS = 20
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
# a Kaggle Models handle: owner/model/framework/variation/version
_HANDLE = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+){3}/[0-9]+")


def _choice(section: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    check_choice(f"[{section}] {name}", value, choices)


def _name(section: str, name: str, value: Any, expected: str) -> None:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise refuse(f"[{section}] {name}", value, expected)


def _positive(section: str, name: str, value: Any, *, allow_zero: bool = False) -> None:
    check_int(f"[{section}] {name}", value, minimum=0 if allow_zero else 1)


@dataclass(frozen=True)
class CompetitionConfig:
    """Which competition and where its data lies locally."""

    slug: str = "fashion-mnist-demo"
    data_dir: str = "examples/fashion-mnist-mini"
    submission: str = "csv"  # csv: upload submission.csv; code: submit the train kernel's version
    task: str = "auto"  # auto: detected by the planner; or a task kind (``shared.tasks``)
    # test rows without a usable image get the task's prior; more than this share is refused
    max_fallback_fraction: float = 0.01
    # code competitions: the hours Kaggle gives the scoring rerun (the inference kernel warns
    # when 100,000 hidden images would not fit at its measured rate)
    rerun_hours: float = 9.0
    metric: str = "auto"  # auto: the task's own; binary-probability: auc or log_loss
    positive_class: str = ""  # binary-probability: the class P() is of; "" = the larger

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.slug or ""):
            raise ValueError(f"[competition] slug = {self.slug!r}: expected the lowercase slug in "
                             "the competition's URL, e.g. 'digit-recognizer'")
        _choice("competition", "submission", self.submission, SUBMISSION_KINDS)
        _name("competition", "task", self.task, "auto, or a task kind such as 'label'")
        check_number("[competition] rerun_hours", self.rerun_hours, above=0.0,
                     fix="the scoring rerun's time limit in hours, e.g. 9")
        _name("competition", "metric", self.metric, "auto, or the metric the competition is "
              "scored by, such as 'log_loss'")
        if not isinstance(self.positive_class, str):
            raise refuse("[competition] positive_class", self.positive_class,
                         'a class as the labels write it, or "" for the larger class')
        check_number("[competition] max_fallback_fraction", self.max_fallback_fraction,
                     at_least=0.0, at_most=1.0,
                     fix="the share of test rows that may lack an image, e.g. 0.01")


@dataclass(frozen=True)
class SourceConfig:
    """How to read the competition's images; empty values mean 'detect from the data'."""

    layout: str = "auto"  # auto, or a source layout (``shared.sources.layouts``)
    train_csv: str = ""
    id_column: str = ""
    label_column: str = ""
    path_column: str = ""
    label_pattern: str = ""  # file_names: a regex whose group "label" reads a file's label
    image_size: tuple[int, ...] = ()  # (height, width); () = the most common (sampled images)
    channels: int = 0  # 1 or 3; 0 = the most common among the sampled images
    resize: str = "stretch"
    strict: bool = False
    null_labels: str = "refuse"  # labels such as NaN, None, null: refuse | keep (real classes)
    max_image_pixels: int = 250_000_000  # larger files are rejected (bomb guard); 0 = no limit

    def __post_init__(self) -> None:
        _name("source", "layout", self.layout, "auto, or a source layout such as "
              "'image_folder'")
        if self.label_pattern:
            try:
                groups = re.compile(self.label_pattern).groupindex
            except re.error as exc:
                groups, error = None, str(exc)
            if groups is None:
                raise refuse("[source] label_pattern", self.label_pattern,
                             f"a regular expression (this one does not compile: {error})")
            if "label" not in groups:
                raise refuse("[source] label_pattern", self.label_pattern,
                             "a regular expression with a group named label",
                             r"e.g. '(?P<label>[a-z]+)\.[0-9]+\.jpg'")
        _positive("source", "max_image_pixels", self.max_image_pixels, allow_zero=True)
        _choice("source", "resize", self.resize, RESIZE_MODES)
        _choice("source", "null_labels", self.null_labels, NULL_LABEL_POLICIES)
        if self.image_size and (len(self.image_size) != 2 or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in self.image_size)):
            raise refuse("[source] image_size", list(self.image_size),
                         "[height, width] in pixels, or [] to detect it")
        if self.channels not in (0, 1, 3):
            raise refuse("[source] channels", self.channels,
                         "1 (grayscale), 3 (RGB) or 0 to detect it")


@dataclass(frozen=True)
class StoreConfig:
    """Shard files: how large, and how the train side verifies them."""

    shard_bytes: int = field(default=256 * 2**20, metadata={"size": True})
    max_shard_rows: int = 0  # 0 = no row limit
    verify: str = "size"  # size: sizes and headers; full: also every checksum
    store_train_ids: bool = False

    def __post_init__(self) -> None:
        _positive("store", "shard_bytes", self.shard_bytes)
        _positive("store", "max_shard_rows", self.max_shard_rows, allow_zero=True)
        _choice("store", "verify", self.verify, VERIFY_MODES)


@dataclass(frozen=True)
class PlanConfig:
    """How the planner splits the data over preprocessing kernels."""

    kernel_budget: int = field(default=19 * 10**9, metadata={"size": True})
    max_kernels: int = 16
    decode_workers: int = 0  # 0 = one per CPU core

    def __post_init__(self) -> None:
        _positive("plan", "kernel_budget", self.kernel_budget)
        _positive("plan", "max_kernels", self.max_kernels)
        _positive("plan", "decode_workers", self.decode_workers, allow_zero=True)


@dataclass(frozen=True)
class LoaderConfig:
    """ShardedSequence settings for training."""

    batch_size: int = 128
    shuffle: str = "block"
    block_rows: int = 0  # 0 = about 1 MiB of samples per block, and at least one batch
    window_blocks: int = 16
    seed: int = 42
    validation_fraction: float = 0.1
    mean: tuple[float, ...] = ()  # per channel, in [0, 1] units; () = only scale by 1/255
    std: tuple[float, ...] = ()
    workers: int = 1
    use_multiprocessing: bool = False
    max_queue_size: int = 10
    read_ahead: bool = True  # block mode: a background thread reads the next window
    output: str = "uint8"  # uint8: raw pixels, normalised on the device; float32: on the host

    def __post_init__(self) -> None:
        _positive("loader", "batch_size", self.batch_size)
        _choice("loader", "output", self.output, LOADER_OUTPUTS)
        _choice("loader", "shuffle", self.shuffle, SHUFFLE_MODES)
        _positive("loader", "block_rows", self.block_rows, allow_zero=True)
        _positive("loader", "window_blocks", self.window_blocks)
        _positive("loader", "workers", self.workers)
        _positive("loader", "max_queue_size", self.max_queue_size)
        _positive("loader", "seed", self.seed, allow_zero=True)
        check_number("[loader] validation_fraction", self.validation_fraction, at_least=0.0,
                     below=1.0, fix="e.g. 0.1")
        mean, std = check_mean_std(self.mean, self.std, prefix="[loader] ")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)


@dataclass(frozen=True)
class TrainConfig:
    """The training kernel: model, schedule and limits. ``auto`` values are decided per model
    family and device in ``shared.training.settings``, once, and the plan says what they
    became."""

    model: str = "article"  # a model family (``shared.models``): article, better, ...
    epochs: int = 15
    # auto: the model family's own (1e-3 for article and better)
    learning_rate: float | str = field(default=AUTO, metadata={"types": (float, int, str)})
    early_stopping_patience: int = 0  # 0 = no early stopping
    # stop cleanly before this much wall time; auto: an hour before the machine's sessions end
    # (11 on a GPU, whose sessions last 12 h; 8 on a TPU: 9 h)
    time_limit_hours: float | str = field(default=AUTO, metadata={"types": (float, int, str)})
    # auto: float16 on T4/P100, bfloat16 where the chip has it, off on CPU; true/false (the
    # settings of earlier releases) read as auto/off
    mixed_precision: str = field(default=AUTO, metadata={"types": (str, bool)})
    augment: str = AUTO  # auto: the model family's own (none for article, flip for better)
    lr_schedule: str = AUTO  # auto: the model family's own (constant for article, cosine ...)
    monitor: str = AUTO  # picks the best checkpoint and drives early stopping; auto: by task
    distribute: str = AUTO  # auto: MirroredStrategy / DataParallel on 2+ GPUs; mirrored; none
    folds: int = 1  # 1: one model on a hold-out; K: K fold kernels, then a blend kernel
    tta: str = "none"  # none | flip: average the left-right mirror's prediction at predict time
    backend: str = AUTO  # Keras' backend: tensorflow or jax; auto: jax on a TPU, else tensorflow
    # batches per compiled call; auto: 1 on CPU, more where a step is short on an accelerator
    steps_per_execution: int | str = field(default=AUTO, metadata={"types": (int, str)})
    # With model = a Kaggle Models preset (docs/pretrained.md): its weights, or only its
    # architecture (random: trained from scratch); epochs that train the head alone with the
    # backbone frozen (auto: the family's, 0 for random weights); whether the backbone's batch
    # norm keeps its pretrained statistics (auto: with pretrained weights).
    weights: str = "pretrained"
    head_epochs: int | str = field(default=AUTO, metadata={"types": (int, str)})
    freeze_batchnorm: bool | str = field(default=AUTO, metadata={"types": (bool, str)})

    def __post_init__(self) -> None:
        if isinstance(self.mixed_precision, bool):
            object.__setattr__(self, "mixed_precision", AUTO if self.mixed_precision else "off")
        _choice("train", "mixed_precision", self.mixed_precision, PRECISIONS)
        _choice("train", "backend", self.backend, (AUTO, *BACKENDS))
        spe = self.steps_per_execution
        if spe != AUTO and (isinstance(spe, bool) or not isinstance(spe, int) or spe < 1):
            raise refuse("[train] steps_per_execution", spe, 'a positive integer or "auto"',
                         "e.g. 8 runs 8 batches per compiled call")
        if not isinstance(self.model, str) or not (
                _NAME.fullmatch(self.model) or _HANDLE.fullmatch(self.model)):
            raise refuse("[train] model", self.model,
                         "a model family such as 'article' or 'better', or a Kaggle Models "
                         "handle owner/model/framework/variation/version")
        _choice("train", "tta", self.tta, TTA_MODES)
        _choice("train", "weights", self.weights, WEIGHT_SOURCES)
        if self.head_epochs != AUTO:
            check_int("[train] head_epochs", self.head_epochs, minimum=0,
                      fix='or "auto" for the model family\'s own')
        if self.freeze_batchnorm != AUTO and not isinstance(self.freeze_batchnorm, bool):
            raise refuse("[train] freeze_batchnorm", self.freeze_batchnorm,
                         'true, false or "auto"')
        check_int("[train] folds", self.folds, fix="1 trains one model, K >= 2 trains K folds")
        if self.folds > MAX_FOLDS:
            raise refuse("[train] folds", self.folds, f"at most {MAX_FOLDS} fold kernels")
        _choice("train", "augment", self.augment, (AUTO, *AUGMENT_MODES))
        _choice("train", "lr_schedule", self.lr_schedule, (AUTO, *LR_SCHEDULES))
        _name("train", "monitor", self.monitor, "auto, or a metric the task reports, such as "
              "'val_accuracy'")
        _choice("train", "distribute", self.distribute, DISTRIBUTE_MODES)
        _positive("train", "epochs", self.epochs)
        _positive("train", "early_stopping_patience", self.early_stopping_patience,
                  allow_zero=True)
        if isinstance(self.learning_rate, int) and not isinstance(self.learning_rate, bool):
            object.__setattr__(self, "learning_rate", float(self.learning_rate))
        if self.learning_rate != AUTO:
            check_number("[train] learning_rate", self.learning_rate, above=0.0,
                         fix='or "auto" for the model family\'s own')
        if isinstance(self.time_limit_hours, int) and not isinstance(self.time_limit_hours,
                                                                     bool):
            object.__setattr__(self, "time_limit_hours", float(self.time_limit_hours))
        if self.time_limit_hours != AUTO:
            check_number("[train] time_limit_hours", self.time_limit_hours, above=0.0,
                         at_most=12.0, fix='Kaggle stops a session at 12 hours (9 on a TPU); '
                         'or "auto"')


@dataclass(frozen=True)
class PipelineConfig:
    """All settings of one pipeline, one attribute per TOML table."""

    competition: CompetitionConfig = field(default_factory=CompetitionConfig)
    source: SourceConfig = field(default_factory=SourceConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    plan: PlanConfig = field(default_factory=PlanConfig)
    loader: LoaderConfig = field(default_factory=LoaderConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @classmethod
    def sections(cls) -> dict[str, type]:
        """The TOML tables this class reads, by name (a subclass may add tables)."""
        return {f.name: f.default_factory for f in dataclasses.fields(cls)}  # type: ignore

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str = "config") -> "PipelineConfig":
        """Build from nested mappings (a parsed TOML file or a bundle's baked-in settings)."""
        known = cls.sections()
        _reject_unknown(origin, "", data, known)
        return cls(**{name: _build_section(origin, name, section, data.get(name, {}))
                      for name, section in known.items()})

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain JSON/TOML-compatible nested dict; ``from_dict`` restores an equal config."""
        return {name: {k: list(v) if isinstance(v, tuple) else v
                       for k, v in dataclasses.asdict(getattr(self, name)).items()}
                for name in self.sections()}

    def only(self, sections: tuple[str, ...]) -> "PipelineConfig":
        """The runtime's settings keeping ``sections``, every other table at its defaults:
        what a kernel role reads, so settings it never reads neither travel in its bundle nor
        change its fingerprint."""
        runtime = PipelineConfig.sections()
        unknown = [s for s in sections if s not in runtime]
        if unknown:
            raise ValueError(f"unknown settings table(s) {unknown}: expected {list(runtime)}")
        return PipelineConfig(**{name: getattr(self, name) for name in sections})

    def runtime(self) -> "PipelineConfig":
        """The runtime's tables alone (a host config's extra tables dropped)."""
        return self.only(tuple(PipelineConfig.sections()))

    def replace(self, **sections: Mapping[str, Any]) -> "PipelineConfig":
        """A copy with some settings changed: ``cfg.replace(train={"epochs": 1})``."""
        data = self.to_dict()
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return type(self).from_dict(data, origin="override")


def _reject_unknown(origin: str, section: str, given: Mapping[str, Any], known) -> None:
    for key in given:
        if key not in known:
            where = f"[{section}] {key}" if section else f"[{key}]"
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
            raise ValueError(f"{origin}: unknown setting {where}{hint}")


def _build_section(origin: str, name: str, cls: type, values: Any):
    if not isinstance(values, Mapping):
        raise ValueError(f"{origin}: [{name}] must be a table of settings, received {values!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _reject_unknown(origin, name, values, fields)
    kwargs = {}
    for key, value in values.items():
        f = fields[key]
        if f.metadata.get("size"):
            value = parse_size(value, what=f"[{name}] {key}")
        elif isinstance(value, list):
            value = tuple(value)
        elif (isinstance(f.default, float) and isinstance(value, int)
              and not isinstance(value, bool)):
            value = float(value)
        expected = f.metadata.get("types") or (
            type(f.default) if f.default is not dataclasses.MISSING else None)
        if expected is not None and not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected) if isinstance(expected, tuple) \
                else expected.__name__
            raise ValueError(f"{origin}: [{name}] {key} = {value!r} should be of type "
                             f"{names} like its default {f.default!r}")
        kwargs[key] = value
    return cls(**kwargs)
