"""``label``: one class per image, what is left when no other rule claims the data."""

from host.planning.task_rules.base import TaskEvidence, register_rule


@register_rule("label", order=1000)
def one_class_per_image(e: TaskEvidence) -> str:
    return f"{len(e.classes)} classes, one per image ({e.where} holds a label per id)"
