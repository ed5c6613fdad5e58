"""Planning: which preprocessing kernels decode which rows, and what the train kernel reads.

``plan_kernels`` is the pure planner over numbers; ``make_plan`` runs it on a competition
folder and the pipeline settings and returns every kernel's assignment.
"""

from shared.planning.kernels import (KernelPlan, KernelShare, check_slug_prefix, plan_kernels,
                                     preprocess_slug, train_slug)
from shared.planning.plan import Plan, dataset_spec, make_plan, writer_options

__all__ = ["KernelPlan", "KernelShare", "Plan", "check_slug_prefix", "dataset_spec",
           "make_plan", "plan_kernels", "preprocess_slug", "train_slug", "writer_options"]
