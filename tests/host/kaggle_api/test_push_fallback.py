"""``push.py --submit`` holds the train kernel's fallback rows (``metrics.json``) against
``[competition] max_fallback_fraction`` before anything is submitted (fake Kaggle server)."""

from __future__ import annotations

import json

import pytest

from fake_kaggle import default_outputs
from kaggle_helpers import TRAIN, fake, push, setup  # noqa: F401


def with_fallback(rows: int):
    """Outputs whose train run says ``rows`` of 100 test rows got the fallback."""
    def outputs(kernel, version):
        files = default_outputs(kernel, version)
        if "metrics.json" in files:
            metrics = json.loads(files["metrics.json"])
            metrics.update(test_rows=100, test_rows_rejected=rows, fallback={
                "rows": rows, "ids": [f"t{i:03d}" for i in range(min(rows, 20))],
                "values": {"label": "Trouser"}})
            files["metrics.json"] = json.dumps(metrics).encode()
        return files
    return outputs


def test_a_submission_with_too_many_fallback_rows_is_not_submitted(tmp_path, fake, setup):
    _, args, env = setup
    fake.outputs_for = with_fallback(30)
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1 and not fake.submissions
    assert (f"error: 30 of 100 test rows (30.0%) have no usable image, e.g. ids 't000', 't001', "
            "'t002', 't003', 't004' and 25 more. Each would get the same fallback prediction "
            "(the training set's prior), more than [competition] max_fallback_fraction = 0.01 "
            f"allows (1 of 100), so nothing was submitted (the outputs are in out/{TRAIN}). Fix "
            "or replace those images") in result.stderr
    assert "re-run with --skip-unchanged" not in result.stderr  # a re-run would not help
    assert (tmp_path / "out" / TRAIN / "submission.csv").is_file()


@pytest.mark.parametrize("submit", [True, False])
def test_fallback_rows_under_the_threshold_are_named_and_submitted(tmp_path, fake, setup, submit):
    _, args, env = setup
    fake.outputs_for = with_fallback(1)
    result = push(tmp_path, [*args, *(["--submit"] if submit else [])], env)
    assert result.returncode == 0, result.stderr
    assert (f"note: 1 of 100 test rows (1.0%) have no usable image: they got the fallback "
            f"prediction (ids 't000'; see fallback in out/{TRAIN}/metrics.json)") in result.stdout
    assert len(fake.submissions) == int(submit)
