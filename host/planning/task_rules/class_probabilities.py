"""``class-probabilities``: the sample has one value column per class."""

from host.planning.task_rules.base import TaskEvidence, register_rule, unknown_shape
from shared.tasks.base import examples


@register_rule("class-probabilities", order=10)
def one_column_per_class(e: TaskEvidence) -> str:
    if len(e.columns) < 2:
        return ""
    if sorted(e.columns) == sorted(e.classes):
        return (f"{e.where} has one column per class ({len(e.columns)} columns named like the "
                "labels)")
    raise unknown_shape(e.sample, e.where, e.id_column,
                        f"its columns after the id are not the {len(e.classes)} classes "
                        f"{examples(e.classes)}")
