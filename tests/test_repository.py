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
