"""The inference kernel's parts on their own: its record, the models it accepts, the decoding
stream, what it refuses and what it reports."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from host.examples.code_competition import write_code_competition
from host.planning import make_plan
from host.settings import HostConfig
from shared.inference.record import InferenceRecord, find_records
from shared.inference.report import say_timing
from shared.inference.stream import DecodeStream

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return write_code_competition(ROOT / "examples" / "fashion-mnist-mini",
                                  tmp_path_factory.mktemp("code") / "data", hidden_rows=40)


@pytest.fixture(scope="module")
def plan(code):
    config = HostConfig().replace(competition={"slug": "cc", "submission": "code",
                                               "data_dir": str(code.public)},
                                  plan={"kernel_budget": 10**6})
    return make_plan(config)


def test_the_record_round_trips_and_is_found_at_any_depth(tmp_path):
    record = InferenceRecord(role="fold", task="label", classes=("a", "b"),
                             sample_shape=(28, 28, 1), source_fingerprint="f",
                             prior=np.array([0.25, 0.75]), calibration={"threshold": 0.4},
                             tta="flip", folds=3, fold=2, model="model.keras")
    record.save(tmp_path / "deep" / "er")
    found = find_records(tmp_path)
    assert found == [(tmp_path / "deep" / "er", record)]
    (tmp_path / "deep" / "er" / "inference.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match=r"not an inference record"):
        find_records(tmp_path)


def test_the_stream_decodes_in_order_predicts_full_batches_and_gives_failures_the_prior(code,
                                                                                      plan):
    layout = plan.infer.source
    names = pd.read_csv(code.hidden / "sample_submission.csv", dtype=str)["id"].tolist()
    seen = []

    def predict(x: np.ndarray) -> np.ndarray:
        seen.append(x.shape)
        return np.stack([x.reshape(len(x), -1).mean(axis=1), np.zeros(len(x))], axis=1)

    stream = DecodeStream(layout, code.hidden, names, workers=1, max_pixels=0).open()
    try:
        result = stream.predict(predict, np.array([-1.0, -1.0]), batch=16)
    finally:
        stream.close()
    assert seen == [(16, 28, 28, 1)] * 3  # 38 good images: 2 full batches and a padded one
    broken = [names.index(i) for i in code.broken_ids]
    assert [row for row, _, _ in result.failures] == sorted(broken)
    assert all(result.outputs[r, 0] == -1.0 for r in broken)
    good = [r for r in range(len(names)) if r not in broken]
    from PIL import Image
    first = np.asarray(Image.open(code.hidden / "test" / f"{names[good[0]]}.png"))
    assert result.outputs[good[0], 0] == pytest.approx(first.mean(), rel=1e-5)


def test_a_strict_stream_stops_at_the_first_bad_image(code, plan):
    names = pd.read_csv(code.hidden / "sample_submission.csv", dtype=str)["id"].tolist()
    stream = DecodeStream(plan.infer.source, code.hidden, names, workers=1, max_pixels=0).open()
    try:
        with pytest.raises(ValueError, match=r"\[source\] strict = true stops at the first bad "
                                             r"image"):
            stream.predict(lambda x: np.zeros((len(x), 2)), np.zeros(2), batch=8, strict=True)
    finally:
        stream.close()


def test_timing_warns_when_a_100k_rerun_would_not_fit(capsys):
    metrics = {"test_rows": 500, "predict_seconds": 50.0, "images_per_s": 2.0,
               "decode_workers": 3, "projected_seconds_10k": 5000.0,
               "projected_seconds_100k": 50000.0}
    say_timing(metrics, rerun_hours=9)
    out = capsys.readouterr().out
    assert "2.0 images/s" in out and "10k images take 83.3 min" in out
    assert "100,000 hidden images would take 13.9 h, more than [competition] rerun_hours = 9" \
        in out
    say_timing({**metrics, "projected_seconds_100k": 3000.0}, rerun_hours=9)
    assert "warning" not in capsys.readouterr().out


def test_predictors_refuse_a_model_of_another_plan(code, plan, tmp_path):
    import keras

    from shared.data.normalization import Normalization
    from shared.inference.predictors import load_predictors
    from shared.models import build_model
    from shared.tasks import task_for
    from shared.training.device_input import prepare_model

    infer = plan.infer
    task = task_for(infer.source)
    model = prepare_model(build_model("article", (28, 28, 1), task.head(np.zeros(0))),
                          sample_shape=(28, 28, 1), normalization=Normalization(), output="uint8")
    out = tmp_path / "input" / "cc-train"
    out.mkdir(parents=True)
    model.save(out / "model.keras")
    record = InferenceRecord(role="train", task="label", classes=infer.spec.classes,
                             sample_shape=(28, 28, 1), source_fingerprint=infer.source_fingerprint,
                             prior=np.full(10, 0.1), model="model.keras")
    record.save(out)
    predictors = load_predictors(tmp_path / "input", infer)
    assert len(predictors.models) == 1 and predictors.prior.shape == (10,)
    x = np.zeros((4, 28, 28, 1), np.uint8)
    assert predictors.predict(x, "flip").shape == (4, 10)
    dataclasses.replace(record, classes=("a", "b")).save(out)
    with pytest.raises(ValueError, match=r"has classes \('a', 'b'\), this inference kernel was "
                                         r"built for .*push the train and inference kernels of "
                                         r"one plan together"):
        load_predictors(tmp_path / "input", infer)
    record.save(out)
    keras.Sequential([keras.Input((14, 14, 1), dtype="uint8"), keras.layers.Flatten(),
                      keras.layers.Dense(10)]).save(out / "model.keras")
    with pytest.raises(ValueError, match=r"takes uint8 \(14, 14, 1\), expected uint8 "
                                         r"\(28, 28, 1\)"):
        load_predictors(tmp_path / "input", infer)
    shutil.rmtree(out)
    with pytest.raises(FileNotFoundError, match=r"0 trained model\(s\) with an inference.json "
                                                r"under .*attach the train kernel's output "
                                                r"\(cc-train\)"):
        load_predictors(tmp_path / "input", infer)


def test_fold_models_and_the_mirror_are_averaged_as_the_blend_does():
    import keras

    from shared.inference.predictors import Predictors

    def model(weight: float):
        net = keras.Sequential([keras.Input((2, 3, 1), dtype="uint8"),
                                keras.layers.Rescaling(1.0), keras.layers.Flatten(),
                                keras.layers.Dense(2, use_bias=False)])
        net.layers[-1].set_weights([np.arange(12, dtype=np.float32).reshape(6, 2) * weight])
        return net

    x = np.arange(12, dtype=np.uint8).reshape(2, 2, 3, 1)
    a, b = model(1.0), model(-0.5)
    record = InferenceRecord(role="blend", task="label", classes=(0, 1), sample_shape=(2, 3, 1),
                             source_fingerprint="f", prior=(0.5, 0.5), folds=2)
    predictors = Predictors(models=(a, b), record=record, folders=())
    mirror = x[:, :, ::-1]
    views = [np.asarray(m.predict_on_batch(v)) for m in (a, b) for v in (x, mirror)]
    assert np.allclose(predictors.predict(x, "flip"), np.mean(views, axis=0))
    assert np.allclose(predictors.predict(x, "none"), np.mean(views[::2], axis=0))
