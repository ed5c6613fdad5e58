"""The values a setting may take, each list defined once.

``shared.config`` validates the settings file against these, and the code that implements
each choice reads its list from here too, so the two cannot drift apart. This module imports
nothing: every kernel can carry it without carrying the code behind the choices.

What is open-ended lives in a registry instead: task kinds (``shared.tasks``), models
(``shared.models``) and source layouts (``shared.sources.layouts``); a setting naming one is
checked when the config is read.
"""

__all__ = ["SUBMISSION_KINDS", "RESIZE_MODES", "NULL_LABEL_POLICIES",
           "VERIFY_MODES", "SHUFFLE_MODES", "LOADER_OUTPUTS", "PRECISIONS", "BACKENDS",
           "AUGMENT_MODES", "LR_SCHEDULES", "DISTRIBUTE_MODES", "TTA_MODES", "INFER_ACCELERATORS",
           "ACCELERATORS", "WEIGHT_SOURCES",
           "AUTO"]

AUTO = "auto"  # decided by the planner or the kernel, and said in the plan or the log

SUBMISSION_KINDS = ("csv", "code")  # [competition] submission
RESIZE_MODES = ("stretch", "pad")  # [source] resize
NULL_LABEL_POLICIES = ("refuse", "keep")  # [source] null_labels
VERIFY_MODES = ("size", "full")  # [store] verify
SHUFFLE_MODES = ("none", "block", "full")  # [loader] shuffle
LOADER_OUTPUTS = ("uint8", "float32")  # [loader] output
PRECISIONS = ("auto", "float16", "bfloat16", "off")  # [train] mixed_precision
BACKENDS = ("tensorflow", "jax")  # [train] backend (besides auto: jax on a TPU shape)
AUGMENT_MODES = ("none", "flip", "shift", "flip_shift")  # [train] augment (besides auto)
LR_SCHEDULES = ("constant", "cosine")  # [train] lr_schedule (besides auto)
DISTRIBUTE_MODES = ("auto", "mirrored", "none")  # [train] distribute
TTA_MODES = ("none", "flip")  # [train] tta
INFER_ACCELERATORS = ("gpu", "cpu")  # [kaggle] infer_accelerator (code competitions)
ACCELERATORS = ("gpu", "tpu")  # what a [kaggle] machine_shape trains on (host.machine_shapes)
WEIGHT_SOURCES = ("pretrained", "random")  # [train] weights, for a Kaggle Models preset
