"""``binary-probability``: two classes, and the sample holds probabilities (``0.5``)."""

from host.planning.task_rules.base import TaskEvidence, register_rule


@register_rule("binary-probability", order=40)
def two_classes_and_a_probability(e: TaskEvidence) -> str:
    p = e.sample_numbers
    if len(e.classes) == 2 and e.fractional_sample and ((p >= 0) & (p <= 1)).all():
        return f"2 classes and {e.where} holds probabilities, e.g. {e.values[0]!r}"
    return ""
