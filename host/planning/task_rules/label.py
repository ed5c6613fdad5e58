"""``label``: one class per image, what is left when no other rule claims the data.

Two classes with a class value in the sample (``0``) read as labels, scored by accuracy; some
competitions of that shape (Histopathologic Cancer Detection) score probabilities by AUC, so
the plan then says how to ask for them.
"""

from host.planning.task_rules.base import Claim, TaskEvidence, register_rule

PROBABILITIES_NOTE = (
    "2 classes and {where} holds a class value ({value!r}), so each row gets a class, scored "
    "by accuracy. If the competition is scored by AUC or log loss it wants probabilities "
    "instead: set [competition] task = \"binary-probability\" (and metric = \"log_loss\" for "
    "log loss)")


@register_rule("label", order=1000)
def one_class_per_image(e: TaskEvidence) -> Claim:
    evidence = f"{len(e.classes)} classes, one per image ({e.where} holds a label per id)"
    if len(e.classes) != 2:
        return Claim(evidence)
    return Claim(evidence, PROBABILITIES_NOTE.format(where=e.where, value=e.values[0]))
