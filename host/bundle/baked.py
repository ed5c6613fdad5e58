"""Reading back the assignment a built kernel carries (``BAKED_ASSIGNMENT`` in its script).

What a kernel will do is in its folder: the push can read the epochs, the data and the time
limit of a train kernel built earlier (``push.py --kernels DIR``) without planning again.
"""

from __future__ import annotations

import ast
import re

from host.bundle.folder import KernelFolder
from shared.assignment import Assignment, load_assignment

__all__ = ["baked_assignment"]

# render_script writes the assignment as one line: ``BAKED_ASSIGNMENT = '<json>'``
_LINE = re.compile(r"^BAKED_ASSIGNMENT = (.+)$", re.MULTILINE)


def baked_assignment(kernel: KernelFolder) -> Assignment | None:
    """The assignment baked into ``kernel``'s script, or None when it carries none (a script
    not built by this project). ValueError when it carries one that cannot be read."""
    match = _LINE.search(kernel.script_path.read_text(encoding="utf-8"))
    if match is None:
        return None
    try:
        text = ast.literal_eval(match.group(1))
        return load_assignment(text)
    except (ValueError, SyntaxError) as exc:
        raise ValueError(f"kernel {kernel.slug}: its script's BAKED_ASSIGNMENT cannot be read "
                         f"({exc}); rebuild the kernels") from None
