"""Which runtime modules a kernel runs: the import graph of its entry script, read with ``ast``.

A kernel carries, and is fingerprinted by, the modules of ``shared`` that its entry script
imports, directly or through other modules (imports inside functions included), plus the
``__init__.py`` of every package on the way. Nothing is executed to find them. Two rules
follow Python's own: imports under ``if TYPE_CHECKING:`` never run, so they do not count;
``from package import Name``, where the package exports ``Name`` lazily
(``shared.lazy.lazy_exports`` and its literal table), imports the one module that defines it;
and a registry package, whose ``__init__`` calls ``import_submodules(__name__)``
(``shared.registry``), imports every module in it.

The same graph enforces the runtime/host line: code a kernel runs may import ``shared``, the
standard library and third-party packages, never a package of the repository that runs on the
user's machine (``host``, ``scripts``, ``kernels``, ``tests``, ``benchmarks``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["RUNTIME_PACKAGE", "HOST_PACKAGES", "BoundaryError", "ImportEdge", "imports_of",
           "lazy_table", "submodules_imported", "runtime_closure"]

RUNTIME_PACKAGE = "shared"
HOST_PACKAGES = ("host", "scripts", "kernels", "tests", "benchmarks")


class BoundaryError(ValueError):
    """Code that runs in a kernel imports code that runs only on the user's machine."""


@dataclass(frozen=True)
class ImportEdge:
    """``source`` (a file) imports ``module`` at ``line``; ``whole``: by ``import module``,
    which makes every lazy export of a package reachable."""

    source: Path
    line: int
    module: str
    whole: bool = False


def _module_name(path: Path, repo: Path) -> str:
    parts = list(path.relative_to(repo).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(node: ast.ImportFrom, path: Path, repo: Path) -> str:
    package = _module_name(path, repo).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or \
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` without the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if _is_type_checking(node):
            stack.extend(node.orelse)  # type: ignore[attr-defined]
        else:
            stack.extend(ast.iter_child_nodes(node))


def imports_of(path: Path, repo: Path) -> Iterator[ImportEdge]:
    """Every module ``path`` names in an import statement that can run, at any depth;
    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportEdge(path, node.lineno, alias.name, whole=True)
        elif isinstance(node, ast.ImportFrom):
            module = _resolve_relative(node, path, repo) if node.level else node.module or ""
            yield ImportEdge(path, node.lineno, module)
            for alias in node.names:
                if alias.name != "*":
                    yield ImportEdge(path, node.lineno, f"{module}.{alias.name}")
                else:
                    yield ImportEdge(path, node.lineno, module, whole=True)


def lazy_table(path: Path) -> dict[str, str]:
    """``name -> module`` of a package's ``lazy_exports(__name__, {...})`` call, if any."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_exports" \
                and len(node.args) == 2:
            table = ast.literal_eval(node.args[1])
            return {name: module for module, names in table.items() for name in names}
    return {}


def submodules_imported(path: Path) -> tuple[Path, ...]:
    """The modules a registry package's ``__init__`` imports by calling
    ``import_submodules(__name__)``: every ``.py`` beside it not named with a leading ``_``
    (as ``shared.registry.import_submodules`` does); () for any other file."""
    if path.name != "__init__.py":
        return ()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    calls = any(isinstance(node, ast.Call) and (getattr(node.func, "id", "") or getattr(
        node.func, "attr", "")) == "import_submodules" for node in _runtime_nodes(tree))
    if not calls:
        return ()
    return tuple(sorted(p for p in path.parent.glob("*.py") if not p.name.startswith("_")))


def _module_file(module: str, repo: Path) -> Path | None:
    base = repo.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(module: str) -> Iterable[str]:
    parts = module.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts) + 1))


def runtime_closure(entry: Path, repo: Path) -> tuple[Path, ...]:
    """The files of ``shared`` that ``entry`` runs, sorted; ``BoundaryError`` when the entry
    or any of them imports host code (naming the file, the line and the module)."""
    repo = Path(repo).resolve()
    found: set[Path] = set()
    queue = [Path(entry).resolve()]
    seen: set[Path] = set()
    tables: dict[Path, dict[str, str]] = {}

    def table_of(package: str) -> dict[str, str]:
        file = _module_file(package, repo)
        if file is None or file.name != "__init__.py":
            return {}
        if file not in tables:
            tables[file] = lazy_table(file)
        return tables[file]

    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for module_file in submodules_imported(path):
            if module_file not in found:
                found.add(module_file)
                queue.append(module_file)
        for edge in imports_of(path, repo):
            top = edge.module.split(".")[0]
            if top in HOST_PACKAGES:
                where = edge.source.relative_to(repo) if edge.source.is_relative_to(repo) \
                    else edge.source
                raise BoundaryError(
                    f"{where}:{edge.line} imports {edge.module}, which runs on the user's "
                    f"machine; code a kernel runs imports only {RUNTIME_PACKAGE}, the standard "
                    "library and third-party packages: move what it needs into "
                    f"{RUNTIME_PACKAGE}/")
            if top != RUNTIME_PACKAGE:
                continue
            names = list(_with_parents(edge.module))
            package, _, name = edge.module.rpartition(".")
            lazy = table_of(package).get(name) if package else None
            if lazy:
                names.append(lazy)
            if edge.whole:
                names.extend(table_of(edge.module).values())
            for module in names:
                file = _module_file(module, repo)
                if file is not None and file not in found:
                    found.add(file)
                    queue.append(file)
    return tuple(sorted(found))


if __name__ == "__main__":  # python -m host.bundle.closure kernels/train.py
    import sys

    root = Path(__file__).resolve().parents[2]
    for arg in sys.argv[1:] or ["kernels/preprocess.py", "kernels/train.py", "kernels/blend.py"]:
        files = runtime_closure(Path(arg), root)
        print(f"{arg} runs {len(files)} modules of {RUNTIME_PACKAGE}:")
        print("\n".join(f"  {f.relative_to(root).as_posix()}" for f in files))
