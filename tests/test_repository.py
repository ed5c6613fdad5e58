"""Lines of the runtime and host packages stay within 100 characters (the team's limit)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 100


def test_no_line_of_shared_or_host_is_over_the_limit():
    long = [f"{path.relative_to(ROOT)}:{number}: {len(line)} characters"
            for package in ("shared", "host")
            for path in sorted((ROOT / package).rglob("*.py"))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if len(line) > LIMIT]
    assert long == []


def _unit(module: str, root: Path) -> str | None:
    """The package (or top-level module) of ``shared`` that ``module`` belongs to."""
    parts = module.split(".")
    if parts[0] != "shared" or len(parts) < 2:
        return None
    top = root / "shared" / parts[1]
    return f"shared.{parts[1]}" if top.is_dir() or top.with_suffix(".py").is_file() else None


def package_cycles(root: Path) -> list[str]:
    """Every pair of packages (or top-level modules) of ``root/shared`` where each reaches the
    other through imports (imports inside functions included), with the files and lines."""
    from host.bundle.closure import imports_of

    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted((root / "shared").rglob("*.py")):
        source = _unit(".".join(path.relative_to(root).with_suffix("").parts), root)
        for edge in imports_of(path, root):
            target = _unit(edge.module, root)
            if source and target and target != source:
                graph.setdefault(source, {}).setdefault(target, []).append(
                    f"{path.relative_to(root)}:{edge.line}")

    def reachable(unit: str) -> set[str]:
        seen, todo = set(), list(graph.get(unit, {}))
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(graph.get(nxt, {}))
        return seen

    return sorted(f"{a} -> {b} ({', '.join(graph[a][b][:2])}), and back"
                  for a in graph for b in graph[a] if a in reachable(b))


def test_no_package_of_shared_imports_one_that_imports_it_back():
    """The runtime's packages form layers: in a cycle, none of them can change alone."""
    assert package_cycles(ROOT) == []


def test_the_graph_test_sees_a_cycle_through_a_function_level_import(tmp_path):
    for name, body in (("alpha", "from shared.beta import b\n"),
                       ("beta", "def b():\n    from shared.gamma.g import c\n"),
                       ("gamma", ""), ("delta", "import shared.alpha\n")):
        (tmp_path / "shared" / name).mkdir(parents=True)
        (tmp_path / "shared" / name / "__init__.py").write_text(body)
    (tmp_path / "shared" / "gamma" / "g.py").write_text("import shared.alpha\n")
    cycles = package_cycles(tmp_path)
    assert [c.split(" (")[0] for c in cycles] == [
        "shared.alpha -> shared.beta", "shared.beta -> shared.gamma", "shared.gamma -> shared.alpha"]
