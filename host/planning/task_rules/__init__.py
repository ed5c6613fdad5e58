"""How the planner guesses the task kind: one rule module per kind, tried in order.

``[competition] task`` names a kind and skips the guessing. Otherwise the rules (each module
here registers one, keyed by the task kind's name, ``register_rule``) are tried by ``order``:

1. several value columns in the sample, named like the classes: ``class-probabilities``;
2. space-separated labels whose tokens recur in different combinations, far fewer tokens
   than distinct labels: ``multi-label`` (class names with a space, such as ``Ankle boot``,
   have about as many tokens as labels, so they stay classes);
3. sample values of k >= 2 space-separated labels: ``top-k``;
4. two classes and a sample holding probabilities (non-integer numbers such as ``0.5``):
   ``binary-probability``;
5. numeric labels that are not all integers, or integers on a dense numeric scale (over 30
   values covering at least half the range between the smallest and the largest), or any
   numeric labels when the sample holds non-integer numbers: ``regression``;
6. otherwise ``label``.

A new kind that can be recognised adds a module here; one that cannot is chosen by name.
"""

from __future__ import annotations

from host.planning.task_rules.base import (TASK_RULES, Claim, TaskEvidence, TaskRule, register_rule,
                                           unknown_shape)
from shared.registry import import_submodules

__all__ = ["Claim", "TaskEvidence", "TaskRule", "TASK_RULES", "register_rule", "unknown_shape",
           "detect_task"]

import_submodules(__name__)


def detect_task(evidence: TaskEvidence) -> tuple[str, str, tuple[str, ...]]:
    """The first rule's claim: ``(task kind, evidence, notes for the plan)``."""
    for rule in sorted(TASK_RULES, key=lambda r: r.order):
        found = rule.detect(evidence)
        if isinstance(found, str):
            found = Claim(found)
        if found.evidence:
            return rule.name, found.evidence, (found.note,) if found.note else ()
    raise ValueError(f"no task rule claims {evidence.where}: set [competition] task")
