"""A train kernel built on a Kaggle Models preset: ``model_sources`` is checked before the
first upload, and a push whose answer says Kaggle dropped the model is a failure (fake Kaggle
server)."""

from __future__ import annotations

from kaggle_helpers import (PRE, TRAIN, fake, make_folder, make_kernel_set, push,  # noqa: F401
                            setup)

HANDLE = "bob/tiny-resnet/keras/tiny_resnet/1"


def with_model(tmp_path, **overrides):
    """The setup's kernels, the train kernel rebuilt to mount the preset ``HANDLE``."""
    make_kernel_set(tmp_path / "kernels")
    folder = make_folder(tmp_path / "kernels", TRAIN, "train", owner="alice",
                         sources=tuple(PRE), **{"model_sources": [HANDLE], **overrides})
    return folder


def test_a_dropped_model_source_fails_the_push_and_stops_the_run(tmp_path, fake, setup):
    _, args, env = setup
    with_model(tmp_path)
    fake.missing_models.add(HANDLE)
    result = push(tmp_path, args, env)
    assert result.returncode == 1
    assert (f"alice/{TRAIN} version 1 was pushed but Kaggle dropped sources it needs: "
            f"{{'model': ['{HANDLE}']}}; check that they exist and that your account can read "
            "them") in result.stderr
    saved = [r.body for r in fake.calls("SaveKernel") if r.body["slug"].endswith(TRAIN)]
    assert saved and saved[0]["modelDataSources"] == [HANDLE]
    assert not fake.submissions


def test_a_model_source_without_its_version_is_refused_before_the_upload(tmp_path, fake, setup):
    _, args, env = setup
    with_model(tmp_path, model_sources=["bob/tiny-resnet/keras/tiny_resnet"])
    result = push(tmp_path, args, env)
    assert result.returncode == 2 and not fake.pushed_slugs()  # bad input: nothing uploaded
    assert ("model_sources: 'bob/tiny-resnet/keras/tiny_resnet' is not of the form "
            "'owner/model/framework/variation/version'") in result.stderr
