"""``multi-label``: labels are space-separated tags that recur in different combinations."""

from host.planning.task_rules.base import TaskEvidence, register_rule
from shared.sources.tables import stripped
from shared.tasks.base import examples


@register_rule("multi-label", order=20)
def tag_sets(e: TaskEvidence) -> str:
    strings = sorted(set(stripped(e.labels)))
    combined = [s for s in strings if len(s.split()) > 1]
    tokens = {t for s in strings for t in s.split()}
    if combined and len(tokens) < len(strings):
        return (f"labels are space-separated tags: {len(tokens)} tags in {len(strings)} "
                f"combinations, e.g. {examples(combined)}")
    return ""
