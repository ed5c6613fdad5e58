"""A tiny competition at the default settings (a batch of 128, more than its training rows)
runs to a submission: the planner lowered the batch, and said so, before any kernel ran."""

from __future__ import annotations

import contextlib
import io
import json

from competitions import image_folder
from dry_run_cli import CLI


def test_fewer_training_rows_than_the_default_batch_still_train(tmp_path, fmnist):
    data = image_folder(tmp_path / "comp", fmnist, 60, 10)
    config = tmp_path / "pipeline.toml"
    config.write_text(f'[competition]\nslug = "tiny"\ndata_dir = "{data}"\n'
                      "[train]\nepochs = 1\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = CLI.main(["--config", str(config), "--workdir", str(tmp_path / "work")])
    assert status == 0, err.getvalue()[-2000:]
    metrics = json.loads((tmp_path / "work" / "report.json").read_text())["train_metrics"]
    assert metrics["global_batch"] == metrics["train_samples"] < 60
