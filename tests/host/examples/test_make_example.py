"""scripts/make_example.py builds the same example whatever Python's hash seed."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
IDS = ("import numpy as np; from host.examples.fashion_mnist import unique_ids; "
       "print(unique_ids(200, np.random.default_rng(0)))")


def _ids(hash_seed: str) -> str:
    proc = subprocess.run([sys.executable, "-c", IDS], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
    return proc.stdout


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_ids_do_not_depend_on_the_hash_seed(hash_seed):
    ids = _ids(hash_seed)
    assert ids == _ids("0")
    assert len(set(ast.literal_eval(ids))) == 200
