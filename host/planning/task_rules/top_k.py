"""``top-k``: the sample holds k >= 2 space-separated labels per id.

A placeholder that is one class whose name holds a space (``Ankle boot``) is a class, not two
labels: when every placeholder is a known class as a whole, this rule passes.
"""

from host.planning.task_rules.base import TaskEvidence, register_rule
from shared.sources.tables import stripped
from shared.tasks.top_k import labels_per_row


@register_rule("top-k", order=30)
def ranked_labels(e: TaskEvidence) -> str:
    k = labels_per_row(e.sample[e.columns[0]])
    if k < 2 or set(stripped(e.values).tolist()) <= set(e.classes):
        return ""
    return f"{e.where} holds {k} space-separated labels per id, e.g. {e.values[0]!r}"
