"""Kernel code must run on numpy 1.26 too (Kaggle's image may ship it): no numpy-2-only API.

A static check over every module under ``shared/`` and ``kernels/``: the attributes below
were added in numpy 2.x, so ``np.<name>`` raises AttributeError on numpy 1.26.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NUMPY_2_ONLY = {
    "strings", "bool", "long", "ulong", "concat", "isdtype", "unique_values", "unique_counts",
    "unique_inverse", "unique_all", "permute_dims", "matrix_transpose", "vecdot", "vecmat",
    "matvec", "cumulative_sum", "cumulative_prod", "trapezoid", "pow", "acos", "acosh", "asin",
    "asinh", "atan", "atan2", "atanh", "bitwise_left_shift", "bitwise_right_shift",
    "bitwise_invert", "astype",
}
SOURCES = sorted([*(ROOT / "shared").rglob("*.py"), *(ROOT / "kernels").glob("*.py")])


def numpy_2_only_uses(source: str, name: str) -> list[str]:
    """``name:line: alias.attr`` for each numpy-2-only attribute ``source`` uses."""
    tree = ast.parse(source)
    aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for a in node.names if a.name == "numpy"}
    return [f"{name}:{node.lineno}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in aliases and node.attr in NUMPY_2_ONLY]


def test_no_numpy_2_only_api_in_kernel_code():
    assert len(SOURCES) > 50
    assert [use for path in SOURCES
            for use in numpy_2_only_uses(path.read_text(encoding="utf-8"),
                                         str(path.relative_to(ROOT)))] == []


def test_the_check_sees_an_aliased_use():
    text = "import numpy as xp\nclean = xp.char.strip\nbad = xp.strings.strip\n"
    assert numpy_2_only_uses(text, "sample.py") == ["sample.py:3: xp.strings"]
