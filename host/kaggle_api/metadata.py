"""Check every ``kernel-metadata.json`` before the first upload.

The client accepts a lot that Kaggle later rejects or silently gets wrong: a title over 50
characters breaks the push, a title that does not slugify to the id pushes to another kernel,
a missing ``enable_internet`` means internet *on*, a misspelt key is ignored, a train kernel
that mounts its own output silently continues an old training. Each problem
names the kernel and the field, and all problems are reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from slugify import slugify  # the function the official client checks titles with

from host.bundle.accelerator import role_accelerator
from host.bundle.folder import KernelFolder, METADATA_NAME

__all__ = ["MetadataError", "MetadataRules", "metadata_problems", "validate_kernels"]

OWNER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
COMPETITION_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
# exactly five parts, as the client checks: owner/model/framework/variation/version
MODEL_RE = re.compile(r"[^/\s]+/[^/\s]+/[^/\s]+/[^/\s]+/\d+")
TITLE_MIN, TITLE_MAX = 5, 50
SLUG_MAX = 50

KNOWN_KEYS = frozenset({
    "id", "id_no", "title", "code_file", "language", "kernel_type", "is_private", "enable_gpu",
    "enable_tpu", "enable_internet", "dataset_sources", "competition_sources", "kernel_sources",
    "model_sources", "keywords", "docker_image", "docker_image_pinning_type", "machine_shape"})
SOURCE_KEYS = ("dataset_sources", "competition_sources", "kernel_sources", "model_sources")


class MetadataError(ValueError):
    """One or more ``kernel-metadata.json`` files would push something wrong."""


@dataclass(frozen=True)
class MetadataRules:
    """What the metadata must say, from the config and the credentials."""

    owner: str  # every kernel id must be <owner>/<slug>
    competition: str  # preprocessing kernels must mount it
    is_private: bool = True
    enable_internet: bool = False
    machine_shape: str = ""  # the train kernel's accelerator; "" = not checked
    continue_training: bool = False  # the train kernel must mount its own previous output
    infer_accelerator: str = "gpu"  # a code competition's inference kernel: gpu or cpu


def _is_bool(meta: Mapping[str, Any], key: str) -> bool:
    return isinstance(meta.get(key), bool)


def _source_problems(meta: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    patterns = {"dataset_sources": (r"owner/dataset-slug", re.compile(r"[^/\s]+/[^/\s]+")),
                "kernel_sources": ("owner/kernel-slug", re.compile(r"[^/\s]+/[a-z0-9-]+")),
                "competition_sources": ("competition-slug", COMPETITION_RE),
                "model_sources": ("owner/model/framework/variation/version", MODEL_RE)}
    for key in SOURCE_KEYS:
        value = meta.get(key, [])
        form, pattern = patterns[key]
        if not isinstance(value, list):
            yield key, f"expected a list of '{form}' strings, received {value!r}"
            continue
        for item in value:
            if not isinstance(item, str) or not pattern.fullmatch(item):
                yield key, f"{item!r} is not of the form '{form}'"
        if len(set(map(str, value))) != len(value):
            yield key, f"lists a source twice: {value}"


def _identity_problems(kernel: KernelFolder, meta: Mapping[str, Any],
                       rules: MetadataRules) -> Iterable[tuple[str, str]]:
    kernel_id = meta.get("id")
    expected = f"{rules.owner}/{kernel.slug}"
    if not isinstance(kernel_id, str) or kernel_id.count("/") != 1:
        yield "id", f"expected '{expected}', received {kernel_id!r}"
    else:
        owner, slug = kernel_id.split("/")
        if not OWNER_RE.fullmatch(owner):
            yield "id", f"owner {owner!r} is not a Kaggle user name"
        elif owner != rules.owner:
            yield "id", (f"owner {owner!r}, but the kernels are pushed as {rules.owner!r}; "
                         "rebuild the kernels, or set [kaggle] owner")
        if not SLUG_RE.fullmatch(slug) or len(slug) > SLUG_MAX:
            yield "id", (f"slug {slug!r}: expected lowercase letters, digits and single '-', "
                         f"at most {SLUG_MAX} characters")
        elif slug != kernel.slug:
            yield "id", f"slug {slug!r} differs from the kernel folder's slug {kernel.slug!r}"
    title = meta.get("title")
    if not isinstance(title, str) or not TITLE_MIN <= len(title) <= TITLE_MAX:
        size = len(title) if isinstance(title, str) else "no"
        yield "title", (f"{title!r} has {size} characters; Kaggle needs {TITLE_MIN} to "
                        f"{TITLE_MAX} (longer titles break the push): shorten [kaggle] "
                        "slug_prefix")
    elif slugify(title) != kernel.slug:
        yield "title", (f"{title!r} slugifies to {slugify(title)!r}, not to the id's slug "
                        f"{kernel.slug!r}; Kaggle would push to a different kernel")


def _setting_problems(kernel: KernelFolder, meta: Mapping[str, Any],
                      rules: MetadataRules) -> Iterable[tuple[str, str]]:
    for key in sorted(set(meta) - KNOWN_KEYS):
        yield key, "unknown key (the client ignores it silently); check its spelling"
    if meta.get("code_file") != kernel.script:
        yield "code_file", f"expected {kernel.script!r}, received {meta.get('code_file')!r}"
    elif not kernel.script_path.is_file():
        yield "code_file", f"{kernel.script_path} does not exist"
    if meta.get("language") != "python":
        yield "language", f"expected 'python', received {meta.get('language')!r}"
    if meta.get("kernel_type") not in ("script", "notebook"):
        yield "kernel_type", ("expected 'script' or 'notebook', received "
                              f"{meta.get('kernel_type')!r}")
    for key, wanted in (("is_private", rules.is_private),
                        ("enable_internet", rules.enable_internet)):
        if not _is_bool(meta, key):
            yield key, (f"must be set explicitly to true or false (received "
                        f"{meta.get(key, 'nothing')!r}; the client defaults "
                        f"{'enable_internet to true' if key == 'enable_internet' else 'it'})")
        elif meta[key] != wanted:
            yield key, (f"is {str(meta[key]).lower()} but [kaggle] {key} = "
                        f"{str(wanted).lower()}; rebuild the kernels")
    for key in ("enable_gpu", "enable_tpu"):
        if key in meta and not _is_bool(meta, key):
            yield key, f"expected true or false, received {meta[key]!r}"


def _model_problems(kernel: KernelFolder, meta: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    listed = meta.get("model_sources", [])
    for handle in kernel.models:
        if not isinstance(listed, list) or handle not in listed:
            yield "model_sources", (f"must list {handle!r}, the preset the kernel builds on, "
                                    "so that Kaggle mounts it; rebuild the kernels")


def _role_problems(kernel: KernelFolder, meta: Mapping[str, Any], rules: MetadataRules,
                   preprocess_ids: tuple[str, ...], fold_ids: tuple[str, ...],
                   trained_ids: tuple[str, ...] = ()) -> Iterable[tuple[str, str]]:
    yield from _model_problems(kernel, meta)
    sources = meta.get("kernel_sources", [])
    if kernel.role == "preprocess":
        if rules.competition not in (meta.get("competition_sources") or []):
            yield "competition_sources", (f"must include the competition {rules.competition!r}"
                                          " so the kernel can read its data")
        if sources:
            yield "kernel_sources", f"a preprocessing kernel mounts no kernels, lists {sources}"
        if meta.get("machine_shape") or meta.get("enable_gpu") or meta.get("enable_tpu"):
            yield "machine_shape", ("a preprocessing kernel decodes images on a CPU: it needs "
                                    "no accelerator, which would spend the week's GPU/TPU hours "
                                    "(remove machine_shape, enable_gpu and enable_tpu false)")
    elif kernel.role == "train":
        if isinstance(sources, list):
            yield from _train_source_problems(kernel, sources, rules, preprocess_ids)
        yield from _machine_problems(kernel.role, meta, rules)
    elif kernel.role == "blend":
        if sources != list(fold_ids):
            yield "kernel_sources", (f"must be the fold kernels {list(fold_ids)}, in fold "
                                     f"order; lists {sources}")
        if meta.get("machine_shape") or meta.get("enable_gpu") or meta.get("enable_tpu"):
            yield "machine_shape", ("the blend kernel averages predictions on a CPU: it needs "
                                    "no accelerator (remove machine_shape, enable_gpu and "
                                    "enable_tpu false)")
    elif kernel.role == "infer":
        if rules.competition not in (meta.get("competition_sources") or []):
            yield "competition_sources", (f"must include the competition {rules.competition!r}: "
                                          "Kaggle swaps it for the hidden test set to score")
        if sources != list(trained_ids):
            yield "kernel_sources", (f"must be the kernels whose models it runs "
                                     f"{list(trained_ids)}; lists {sources}")
        yield from _machine_problems(kernel.role, meta, rules)
    else:
        yield "role", f"{kernel.role!r} is not 'preprocess', 'train', 'blend' or 'infer'"


def _machine_problems(role: str, meta: Mapping[str, Any],
                      rules: MetadataRules) -> Iterable[tuple[str, str]]:
    """The role's machine as ``host.bundle.accelerator`` writes it for ``[kaggle]
    machine_shape``: the shape, and the GPU/TPU switches that must agree with it."""
    shape = meta.get("machine_shape")
    if not rules.machine_shape:
        return
    expected = role_accelerator(role, rules.machine_shape, infer=rules.infer_accelerator)
    if shape != expected.get("machine_shape"):
        what = "[kaggle] machine_shape" if role == "train" else f"the {role} kernel's machine"
        yield "machine_shape", (f"expected {what} {expected.get('machine_shape')!r}, "
                                f"received {shape!r}")
        return
    for key in ("enable_gpu", "enable_tpu"):
        if meta.get(key) is not expected[key]:
            yield key, (f"is {meta.get(key, 'unset')!r} but {rules.machine_shape} needs "
                        f"{str(expected[key]).lower()} (a TPU session: enable_tpu true and "
                        "enable_gpu false; a GPU session the other way round); rebuild the "
                        "kernels")


def _train_source_problems(kernel: KernelFolder, sources: list, rules: MetadataRules,
                           preprocess_ids: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    own = f"{rules.owner}/{kernel.slug}"
    others = [s for s in sources if s != own]
    if sorted(others) != sorted(preprocess_ids):
        missing = sorted(set(preprocess_ids) - set(others))
        extra = sorted(set(others) - set(preprocess_ids))
        yield "kernel_sources", (f"must be every preprocessing kernel; missing {missing}, "
                                 f"unexpected {extra}")
    if own in sources and not rules.continue_training:
        yield "kernel_sources", (f"lists the train kernel's own id {own!r}, which mounts its "
                                 "previous output and continues that training; pass "
                                 "--continue-training to mean it, or rebuild the kernels")
    elif own not in sources and rules.continue_training:
        yield "kernel_sources", (f"--continue-training needs the train kernel's own id {own!r} "
                                 "here, so that it mounts its previous output")


def metadata_problems(kernel: KernelFolder, rules: MetadataRules,
                      preprocess_ids: tuple[str, ...] = (), fold_ids: tuple[str, ...] = (),
                      trained_ids: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(field, problem)`` pairs for one kernel folder; empty when it is fine to push."""
    path = kernel.path / METADATA_NAME
    if not path.is_file():
        return [(METADATA_NAME, f"{path} does not exist")]
    try:
        meta = kernel.metadata()
    except ValueError as exc:
        return [(METADATA_NAME, f"{path} is not valid JSON ({exc})")]
    if not isinstance(meta, dict):
        return [(METADATA_NAME, f"{path} must hold a JSON object")]
    return [*_identity_problems(kernel, meta, rules), *_setting_problems(kernel, meta, rules),
            *_source_problems(meta),
            *_role_problems(kernel, meta, rules, preprocess_ids, fold_ids, trained_ids)]


def validate_kernels(preprocess: tuple[KernelFolder, ...],
                     train: KernelFolder | tuple[KernelFolder, ...] | None,
                     rules: MetadataRules, blend: KernelFolder | None = None,
                     infer: KernelFolder | None = None) -> None:
    """Raise ``MetadataError`` listing every problem of every kernel, or return None.
    ``train`` is the train kernel, or the fold kernels (then ``blend`` mounts them); ``infer``
    the inference kernel of a code competition (it mounts them all)."""
    trains = () if train is None else (train,) if isinstance(train, KernelFolder) else train
    preprocess_ids = tuple(f"{rules.owner}/{k.slug}" for k in preprocess)
    fold_ids = tuple(f"{rules.owner}/{k.slug}" for k in trains)
    trained_ids = fold_ids + ((f"{rules.owner}/{blend.slug}",) if blend is not None else ())
    kernels = (*preprocess, *trains, *(k for k in (blend, infer) if k is not None))
    lines = []
    for kernel in kernels:
        for key, problem in metadata_problems(kernel, rules, preprocess_ids, fold_ids,
                                              trained_ids):
            lines.append(f"  kernel {kernel.slug}: {key}: {problem}")
    slugs = [k.slug for k in kernels]
    for slug in sorted({s for s in slugs if slugs.count(s) > 1}):
        lines.append(f"  kernel {slug}: id: used by more than one kernel")
    if lines:
        raise MetadataError(f"{len(lines)} problem(s) in kernel-metadata.json, nothing was "
                            "uploaded:\n" + "\n".join(lines))
