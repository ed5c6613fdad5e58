"""``scripts/dry_run.py`` as a user runs it, in this process: its exit status and its words."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "dry_run.py"
CONFIG = """\
[competition]
slug = "bad-input"
data_dir = "{data}"
{competition}
[source]
{source}
[plan]
kernel_budget = "{budget}"
decode_workers = 1

[store]
shard_bytes = "40KB"

[loader]
batch_size = 32
{loader}
[train]
epochs = 1
"""


def load_cli():
    spec = importlib.util.spec_from_file_location("dry_run_cli_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLI = load_cli()


def write_config(path: Path, data: Path, *, budget: str = "100KB", competition: str = "",
                 source: str = "", loader: str = "") -> Path:
    path.write_text(CONFIG.format(data=data, budget=budget, competition=competition,
                                  source=source, loader=loader))
    return path


def dry_run(tmp_path: Path, data: Path, *args: str, workdir: Path | None = None,
            **settings: str) -> tuple[int, str, str]:
    """Run the CLI on ``data``; its exit status, stdout and stderr (stripped)."""
    config = write_config(tmp_path / "pipeline.toml", data, **settings)
    workdir = workdir or tmp_path / "work"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = CLI.main(["--config", str(config), "--workdir", str(workdir), *args])
    return status, out.getvalue(), err.getvalue().strip()
