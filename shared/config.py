"""Pipeline settings: one TOML file loaded into frozen, self-validating dataclasses.

Every setting lives in ``pipeline.toml`` at the repository root. ``host.config_file.load_config``
reads it on the user's machine; a kernel never reads the repo: its bundle carries ``to_dict()``
of the config and rebuilds it with ``PipelineConfig.from_dict``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from shared.checks import check_choice, check_int, check_mean_std, check_number, refuse
from shared.sources.layout import TASKS

__all__ = [
    "CompetitionConfig",
    "SourceConfig",
    "StoreConfig",
    "PlanConfig",
    "LoaderConfig",
    "TrainConfig",
    "KaggleConfig",
    "PipelineConfig",
    "parse_size",
    "format_size",
]

MAX_FOLDS = 20
# what [train] augment = "auto" means for each model (Fashion-MNIST: shifting cost more than it
# gave in 15 epochs, mirroring helped the better model)
AUGMENT_BY_MODEL = {"article": "none", "better": "flip"}
# what [train] monitor may name; which of them a task reports is the task's (shared.tasks)
MONITORS = ("auto", "val_accuracy", "val_loss", "val_auc", "val_rmse", "val_top_k_accuracy")

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")


def parse_size(value: int | str, *, what: str = "size") -> int:
    """Bytes from an int or a string such as ``"50MB"``, ``"19GB"`` or ``"256MiB"``."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a byte count such as 50MB, received {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{what}: expected a non-negative byte count, received {value}")
        return value
    match = _SIZE_RE.match(str(value))
    unit = match.group(2).upper() if match else None
    if not match or unit not in _UNITS:
        raise ValueError(
            f"{what}: could not read {value!r} as a size; write a number with an optional unit "
            f"(B, KB, MB, GB, TB or KiB, MiB, GiB, TiB), for example '50MB'"
        )
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(num_bytes: int | float) -> str:
    """Human-readable size in decimal units (the ones Kaggle's limits use)."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.2f} TB"


def _choice(section: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    check_choice(f"[{section}] {name}", value, choices)


def _positive(section: str, name: str, value: Any, *, allow_zero: bool = False) -> None:
    check_int(f"[{section}] {name}", value, minimum=0 if allow_zero else 1)


@dataclass(frozen=True)
class CompetitionConfig:
    """Which competition and where its data lies locally."""

    slug: str = "fashion-mnist-demo"
    data_dir: str = "examples/fashion-mnist-mini"
    submission: str = "csv"  # csv: upload submission.csv; code: submit the train kernel's version
    task: str = "auto"  # auto: detected by the planner; or one of TASKS
    # test rows without a usable image get the task's prior; more than this share is refused
    max_fallback_fraction: float = 0.01

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.slug or ""):
            raise ValueError(f"[competition] slug = {self.slug!r}: expected the lowercase slug in "
                             "the competition's URL, e.g. 'digit-recognizer'")
        _choice("competition", "submission", self.submission, ("csv", "code"))
        _choice("competition", "task", self.task, ("auto", *TASKS))
        check_number("[competition] max_fallback_fraction", self.max_fallback_fraction,
                     at_least=0.0, at_most=1.0,
                     fix="the share of test rows that may lack an image, e.g. 0.01")


@dataclass(frozen=True)
class SourceConfig:
    """How to read the competition's images; empty values mean 'detect from the data'."""

    layout: str = "auto"
    train_csv: str = ""
    id_column: str = ""
    label_column: str = ""
    path_column: str = ""
    image_size: tuple[int, ...] = ()  # (height, width); () = the most common (sampled images)
    channels: int = 0  # 1 or 3; 0 = the most common among the sampled images
    resize: str = "stretch"
    strict: bool = False
    null_labels: str = "refuse"  # labels such as NaN, None, null: refuse | keep (real classes)
    max_image_pixels: int = 250_000_000  # larger files are rejected (bomb guard); 0 = no limit

    def __post_init__(self) -> None:
        _choice("source", "layout", self.layout, ("auto", "image_folder", "pixel_csv"))
        _positive("source", "max_image_pixels", self.max_image_pixels, allow_zero=True)
        _choice("source", "resize", self.resize, ("stretch", "pad"))
        _choice("source", "null_labels", self.null_labels, ("refuse", "keep"))
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
        _choice("store", "verify", self.verify, ("size", "full"))


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
        _choice("loader", "output", self.output, ("uint8", "float32"))
        _choice("loader", "shuffle", self.shuffle, ("none", "block", "full"))
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
    """The training kernel: model, schedule and limits."""

    model: str = "article"  # article: the origin article's CNN; better: BN + dropout + augmentation
    epochs: int = 15
    learning_rate: float = 1e-3
    early_stopping_patience: int = 0  # 0 = no early stopping
    time_limit_hours: float = 11.0  # Kaggle ends a session at 12 h
    # auto: float16 on T4/P100, bfloat16 where the chip has it, off on CPU; true/false (the
    # settings of earlier releases) read as auto/off
    mixed_precision: str = field(default="auto", metadata={"types": (str, bool)})
    augment: str = "auto"  # auto: none for article, flip for better; none; flip; shift; flip_shift
    lr_schedule: str = "auto"  # auto: constant for article, cosine for better; constant; cosine
    monitor: str = "auto"  # picks the best checkpoint and drives early stopping; auto: by task
    distribute: str = "auto"  # auto: MirroredStrategy / DataParallel on 2+ GPUs; mirrored; none
    folds: int = 1  # 1: one model on a hold-out; K: K fold kernels, then a blend kernel
    tta: str = "none"  # none | flip: average the left-right mirror's prediction at predict time
    backend: str = "tensorflow"  # Keras' backend: tensorflow or jax
    # batches per compiled call; auto: 1 on CPU, more where a step is short on an accelerator
    steps_per_execution: int | str = field(default="auto", metadata={"types": (int, str)})

    def __post_init__(self) -> None:
        if isinstance(self.mixed_precision, bool):
            object.__setattr__(self, "mixed_precision", "auto" if self.mixed_precision else "off")
        _choice("train", "mixed_precision", self.mixed_precision,
                ("auto", "float16", "bfloat16", "off"))
        _choice("train", "backend", self.backend, ("tensorflow", "jax"))
        spe = self.steps_per_execution
        if spe != "auto" and (isinstance(spe, bool) or not isinstance(spe, int) or spe < 1):
            raise refuse("[train] steps_per_execution", spe, 'a positive integer or "auto"',
                         "e.g. 8 runs 8 batches per compiled call")
        _choice("train", "model", self.model, ("article", "better"))
        _choice("train", "tta", self.tta, ("none", "flip"))
        check_int("[train] folds", self.folds, fix="1 trains one model, K >= 2 trains K folds")
        if self.folds > MAX_FOLDS:
            raise refuse("[train] folds", self.folds, f"at most {MAX_FOLDS} fold kernels")
        _choice("train", "augment", self.augment, ("auto", "none", "flip", "shift", "flip_shift"))
        self._check_tta()
        _choice("train", "lr_schedule", self.lr_schedule, ("auto", "constant", "cosine"))
        _choice("train", "monitor", self.monitor, MONITORS)
        _choice("train", "distribute", self.distribute, ("auto", "mirrored", "none"))
        _positive("train", "epochs", self.epochs)
        _positive("train", "early_stopping_patience", self.early_stopping_patience,
                  allow_zero=True)
        check_number("[train] learning_rate", self.learning_rate, above=0.0)
        check_number("[train] time_limit_hours", self.time_limit_hours, above=0.0, at_most=12.0,
                     fix="Kaggle stops a session at 12 hours")

    @property
    def augment_mode(self) -> str:
        """``augment`` with ``auto`` resolved for ``model``."""
        return AUGMENT_BY_MODEL[self.model] if self.augment == "auto" else self.augment

    def _check_tta(self) -> None:
        """Mirror TTA on a model that never saw a mirror averages in predictions of images
        unlike any it learned: on Fashion-MNIST, whose shoes all point one way, that cost the
        article CNN's 5-fold blend 4 points (0.9297 to 0.8901) with no error anywhere."""
        if self.tta == "flip" and "flip" not in self.augment_mode:
            auto = (f' (that is "{self.augment_mode}" for model = "{self.model}")'
                    if self.augment == "auto" else "")
            raise ValueError(
                f'[train] tta = "flip" with augment = "{self.augment}"{auto}: mirror TTA '
                "averages each prediction with that of the left-right mirror, which this model "
                'never sees in training; expected augment = "flip" or "flip_shift" with it. '
                "On Fashion-MNIST (its shoes all point one way) it cut the 5-fold blend from "
                '0.9297 to 0.8901. Set [train] augment = "flip" (or "flip_shift"), or tta = '
                '"none"')


@dataclass(frozen=True)
class KaggleConfig:
    """Kernel ids, visibility and how the push script drives Kaggle."""

    owner: str = ""  # "" = the user name in the credentials
    slug_prefix: str = ""  # "" = the competition slug
    machine_shape: str = "NvidiaTeslaT4"
    is_private: bool = True
    enable_internet: bool = False
    max_concurrent: int = 2  # preprocessing kernels running at once
    max_concurrent_gpu: int = 2  # fold kernels (GPU) running at once; Kaggle allows about 2
    poll_interval: float = 30.0
    timeout_minutes: float = 720.0
    max_poll_interval: float = 300.0  # polling backs off up to this interval
    settle_seconds: float = 60.0  # trust a finished status seen before the run was seen active
    retries: int = 5  # extra attempts after HTTP 429, 5xx or a timeout
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 60.0
    request_timeout: float = 120.0  # seconds one HTTP request may take
    output_dir: str = "kaggle-output"  # where the train kernel's outputs are downloaded

    def __post_init__(self) -> None:
        _positive("kaggle", "max_concurrent", self.max_concurrent)
        _positive("kaggle", "max_concurrent_gpu", self.max_concurrent_gpu)
        _positive("kaggle", "retries", self.retries, allow_zero=True)
        for name in ("poll_interval", "timeout_minutes", "max_poll_interval",
                     "retry_base_seconds", "retry_max_seconds", "request_timeout"):
            check_number(f"[kaggle] {name}", getattr(self, name), above=0.0)
        check_number("[kaggle] settle_seconds", self.settle_seconds, at_least=0.0)
        if self.owner and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", self.owner):
            raise ValueError(f"[kaggle] owner = {self.owner!r}: expected your Kaggle user name "
                             "(letters, digits, '-' or '_'), or \"\" to take it from the "
                             "credentials")
        if self.slug_prefix and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.slug_prefix):
            raise ValueError(f"[kaggle] slug_prefix = {self.slug_prefix!r}: expected lowercase "
                             "letters, digits and '-', e.g. 'fmnist'")
        if not re.fullmatch(r"[A-Za-z0-9_]+", self.machine_shape or ""):
            raise ValueError(f"[kaggle] machine_shape = {self.machine_shape!r}: expected an "
                             "accelerator name such as 'NvidiaTeslaT4' (GPU T4 x2)")
        if not self.output_dir:
            raise ValueError("[kaggle] output_dir is empty: name a folder for the downloaded "
                             "outputs, e.g. 'kaggle-output'")


_SECTIONS: dict[str, type] = {
    "competition": CompetitionConfig,
    "source": SourceConfig,
    "store": StoreConfig,
    "plan": PlanConfig,
    "loader": LoaderConfig,
    "train": TrainConfig,
    "kaggle": KaggleConfig,
}


@dataclass(frozen=True)
class PipelineConfig:
    """All settings of one pipeline, one attribute per TOML table."""

    competition: CompetitionConfig = field(default_factory=CompetitionConfig)
    source: SourceConfig = field(default_factory=SourceConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    plan: PlanConfig = field(default_factory=PlanConfig)
    loader: LoaderConfig = field(default_factory=LoaderConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    kaggle: KaggleConfig = field(default_factory=KaggleConfig)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str = "config") -> "PipelineConfig":
        """Build from nested mappings (a parsed TOML file or a bundle's baked-in settings)."""
        _reject_unknown(origin, "", data, _SECTIONS)
        sections = {name: _build_section(origin, name, section, data.get(name, {}))
                    for name, section in _SECTIONS.items()}
        return cls(**sections)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain JSON/TOML-compatible nested dict; ``from_dict`` restores an equal config."""
        return {name: {k: list(v) if isinstance(v, tuple) else v
                       for k, v in dataclasses.asdict(getattr(self, name)).items()}
                for name in _SECTIONS}

    def only(self, sections: tuple[str, ...]) -> "PipelineConfig":
        """A copy that keeps ``sections`` and has every other table at its defaults: what a
        kernel role reads, so settings it never reads neither travel in its bundle nor change
        its fingerprint."""
        unknown = [s for s in sections if s not in _SECTIONS]
        if unknown:
            raise ValueError(f"unknown settings table(s) {unknown}: expected {list(_SECTIONS)}")
        return PipelineConfig(**{name: getattr(self, name) for name in sections})

    def replace(self, **sections: Mapping[str, Any]) -> "PipelineConfig":
        """A copy with some settings changed: ``cfg.replace(train={"epochs": 1})``."""
        data = self.to_dict()
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return PipelineConfig.from_dict(data, origin="override")


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
