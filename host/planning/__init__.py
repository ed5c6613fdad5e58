"""Planning: which preprocessing kernels decode which rows, and what the train kernel reads.

``plan_kernels`` is the pure planner over numbers; ``make_plan`` runs it on a competition
folder and the pipeline settings and returns every kernel's assignment.
"""

from host.planning.kernels import (KernelPlan, KernelShare, check_slug_prefix, plan_kernels,
                                   preprocess_slug, train_slug)
from host.planning.detect import detect_layout
from host.planning.plan import Plan, dataset_spec, make_plan

__all__ = ["KernelPlan", "KernelShare", "Plan", "check_slug_prefix", "dataset_spec",
           "detect_layout", "make_plan", "plan_kernels", "preprocess_slug", "train_slug"]
