"""Checks that run before anything reaches Kaggle: credentials, metadata, the kernel index,
the [kaggle] settings. No network and no ``kaggle`` import here."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import pytest

from kaggle_helpers import make_folder, make_kernel_set
from host.settings import HostConfig
from host.kaggle_api import (CredentialsError, KernelSet, MetadataError, MetadataRules,
                               find_credentials, require_credentials, validate_kernels)
from host.bundle.build import mount_own_output
from host.kaggle_api.credentials import config_dir, find_secret_leaks, local_username
from host.kaggle_api.train_runs import load_train_run

RULES = MetadataRules(owner="alice", competition="fashion-mnist-demo",
                      machine_shape="NvidiaTeslaT4")


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_api_key_from_the_environment_wins_over_kaggle_json(home):
    (home / ".kaggle").mkdir()
    (home / ".kaggle" / "kaggle.json").write_text('{"username": "bob", "key": "file-key-123456"}')
    env = {"HOME": str(home), "KAGGLE_USERNAME": "alice", "KAGGLE_KEY": "env-key-1234567"}
    found = find_credentials(env)
    assert (found.kind, found.username, found.source) == ("key", "alice",
                                                          "KAGGLE_USERNAME and KAGGLE_KEY")
    assert "env-key" not in repr(found)  # the secret never shows
    assert find_credentials({"HOME": str(home)}).username == "bob"


def test_kaggle_json_in_kaggle_config_dir(home, tmp_path):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "kaggle.json").write_text(json.dumps({"username": "carol", "key": "k" * 32}))
    env = {"HOME": str(home), "KAGGLE_CONFIG_DIR": str(folder)}
    assert find_credentials(env).source == str(folder / "kaggle.json")
    assert local_username(env) == "carol"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux-only")
def test_config_dir_follows_the_client_xdg_fallback(home):
    assert config_dir({"HOME": str(home)}) == home / ".config" / "kaggle"
    (home / ".kaggle").mkdir()
    assert config_dir({"HOME": str(home)}) == home / ".kaggle"


@pytest.mark.parametrize("where", ["value", "file", "home-file"])
def test_access_token_comes_first(home, tmp_path, where):
    env = {"HOME": str(home), "KAGGLE_USERNAME": "alice", "KAGGLE_KEY": "env-key-1234567"}
    if where == "value":
        env["KAGGLE_API_TOKEN"] = "tok-0123456789"
    elif where == "file":
        (tmp_path / "tok").write_text("tok-0123456789\n")
        env["KAGGLE_API_TOKEN"] = str(tmp_path / "tok")
    else:
        (home / ".kaggle").mkdir()
        (home / ".kaggle" / "access_token").write_text("tok-0123456789")
    found = find_credentials(env)
    assert found.kind == "token" and found.secrets == ("tok-0123456789",)
    assert found.username == ""  # only the server knows whose token it is


def test_missing_credentials_say_where_to_put_them(home):
    with pytest.raises(CredentialsError, match=r"No Kaggle credentials found(.|\n)*"
                       r"kaggle\.json(.|\n)*KAGGLE_USERNAME=(.|\n)*KAGGLE_API_TOKEN="):
        require_credentials({"HOME": str(home)})


def test_broken_kaggle_json_is_named(home):
    (home / ".kaggle").mkdir()
    (home / ".kaggle" / "kaggle.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"kaggle\.json: not valid JSON.*Create New Token"):
        find_credentials({"HOME": str(home)})


def test_secret_leaks_are_found_by_value_and_by_file_name(tmp_path, home):
    creds = find_credentials({"HOME": str(home), "KAGGLE_USERNAME": "alice",
                              "KAGGLE_KEY": "s3cret-key-value"})
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "script.py").write_text("print('fine')\n")
    assert find_secret_leaks(tmp_path / "k", creds) == []
    (tmp_path / "k" / "script.py").write_text("KEY = 's3cret-key-value'\n")
    (tmp_path / "k" / "kaggle.json").write_text("{}")
    leaks = find_secret_leaks(tmp_path / "k", creds)
    assert len(leaks) == 2 and "contains your key" in leaks[1] and "credentials file" in leaks[0]


def test_well_built_kernels_pass(tmp_path):
    kernels = make_kernel_set(tmp_path)
    validate_kernels(kernels.preprocess, kernels.train, RULES)


@pytest.mark.parametrize("role, change, words", [
    ("preprocess", {"title": "Fmnist Preprocess 00 " + "x" * 40},
     r"title: .* Kaggle needs 5 to 50"),
    ("preprocess", {"title": "Other Kernel"}, r"title: 'Other Kernel' slugifies to 'other-kernel'"),
    ("preprocess", {"enable_internet": None}, r"enable_internet: must be set explicitly"),
    ("preprocess", {"enable_internet": "false"}, r"enable_internet: must be set explicitly"),
    ("preprocess", {"is_private": None}, r"is_private: must be set explicitly"),
    ("preprocess", {"enable_internet": True}, r"enable_internet: is true but \[kaggle\]"),
    ("preprocess", {"enable_internt": False}, r"enable_internt: unknown key"),
    ("preprocess", {"id": "alice/Fmnist_Pre"}, r"id: slug 'Fmnist_Pre': expected lowercase"),
    ("preprocess", {"id": "alice-fmnist-preprocess-00"}, r"id: expected 'alice/fmnist-prep"),
    ("preprocess", {"competition_sources": []}, r"competition_sources: must include"),
    ("preprocess", {"dataset_sources": ["no-owner"]}, r"dataset_sources: 'no-owner' is not"),
    ("preprocess", {"kernel_sources": "alice/x"}, r"kernel_sources: expected a list"),
    ("preprocess", {"model_sources": ["a/b"]}, r"model_sources: 'a/b' is not of the form"),
    ("preprocess", {"code_file": "main.py"}, r"code_file: expected 'preprocess.py'"),
    ("preprocess", {"language": "r"}, r"language: expected 'python'"),
    ("train", {"kernel_sources": ["alice/fmnist-preprocess-00"]},
     r"kernel_sources: must be every preprocessing kernel; missing \['alice/fmnist-preprocess-01"),
    ("train", {"machine_shape": None}, r"machine_shape: expected \[kaggle\] machine_shape"),
])
def test_metadata_problems_name_kernel_and_field(tmp_path, role, change, words):
    kernels = make_kernel_set(tmp_path, n_preprocess=2)
    slug = "fmnist-train" if role == "train" else "fmnist-preprocess-00"
    sources = tuple(k.slug for k in kernels.preprocess) if role == "train" else ()
    make_folder(tmp_path, slug, role, owner="alice", sources=sources, **change)
    with pytest.raises(MetadataError, match=rf"nothing was uploaded:\n  kernel {slug}: {words}"):
        validate_kernels(kernels.preprocess, kernels.train, RULES)


def test_every_problem_is_reported_at_once(tmp_path):
    kernels = make_kernel_set(tmp_path, n_preprocess=2)
    for slug in ("fmnist-preprocess-00", "fmnist-preprocess-01"):
        make_folder(tmp_path, slug, "preprocess", owner="alice", is_private=None)
    (tmp_path / "fmnist-train" / "kernel-metadata.json").write_text("{oops")
    with pytest.raises(MetadataError, match=r"3 problem\(s\)") as info:
        validate_kernels(kernels.preprocess, kernels.train, RULES)
    assert "kernel fmnist-train: kernel-metadata.json:" in str(info.value)


def test_kernel_set_round_trips_through_its_index(tmp_path):
    kernels = make_kernel_set(tmp_path / "build")
    loaded = KernelSet.load(tmp_path / "build")
    assert loaded == kernels and loaded.train.sources == kernels.train.sources


def test_kernel_set_load_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match="--kernels needs a folder of kernels built by an earlier push.py"):
        KernelSet.load(tmp_path)
    (tmp_path / "kernels.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a kernel index.*rebuild"):
        KernelSet.load(tmp_path)


def test_kernel_set_requires_the_train_kernel_to_mount_every_preprocess_kernel(tmp_path):
    kernels = make_kernel_set(tmp_path, n_preprocess=2)
    with pytest.raises(ValueError, match="mounts .* expected every preprocessing kernel"):
        KernelSet(kernels.preprocess[:1], kernels.train)


def test_the_train_kernel_may_mount_itself_only_to_continue_training(tmp_path):
    kernels = make_kernel_set(tmp_path, n_preprocess=2)
    train = mount_own_output(kernels.train, owner="alice", mounted=True)
    assert train.sources == (*kernels.train.sources, "fmnist-train")
    assert train.metadata()["kernel_sources"][-1] == "alice/fmnist-train"
    assert mount_own_output(train, owner="alice", mounted=True) == train  # idempotent
    continuing = KernelSet(kernels.preprocess, train)
    assert continuing.continues_training and not kernels.continues_training
    continuing.save(tmp_path)
    assert KernelSet.load(tmp_path) == continuing
    validate_kernels(kernels.preprocess, train, replace(RULES, continue_training=True))
    with pytest.raises(MetadataError, match=r"kernel fmnist-train: kernel_sources: lists the "
                       r"train kernel's own id 'alice/fmnist-train'.*--continue-training"):
        validate_kernels(kernels.preprocess, train, RULES)
    back = mount_own_output(train, owner="alice", mounted=False)
    assert back.sources == kernels.train.sources
    assert back.metadata()["kernel_sources"] == kernels.train.metadata()["kernel_sources"]
    with pytest.raises(MetadataError, match=r"kernel_sources: --continue-training needs the "
                       r"train kernel's own id"):
        validate_kernels(kernels.preprocess, back, replace(RULES, continue_training=True))
    with pytest.raises(ValueError, match="only the train kernel can continue"):
        mount_own_output(kernels.preprocess[0], owner="alice", mounted=True)


NO_REASON = "reported no stop_reason in its metrics.json"


@pytest.mark.parametrize("metrics, finished, words", [
    ({"stop_reason": "completed", "epochs_completed": 15, "epochs_planned": 15}, True,
     "completed after 15 of 15 epochs"),
    ({"stop_reason": "early_stopping", "epochs_completed": 9}, True,
     "stopped early (no more improvement) after 9 epochs"),
    ({"stop_reason": "time_limit", "epochs_completed": 7, "epochs_planned": 15}, False,
     "stopped by the time limit after 7 of 15 epochs"),
    ({"val_accuracy": 0.9}, False, NO_REASON),
    ({"stop_reason": 3, "epochs_completed": "7"}, False, NO_REASON),
])
def test_how_a_train_run_ended_is_read_from_its_metrics(tmp_path, metrics, finished, words):
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    run = load_train_run(tmp_path)
    assert run.finished is finished and run.describe() == words and not run.has_state
    (tmp_path / "train_state.json").write_text("{}")
    assert load_train_run(tmp_path).has_state


@pytest.mark.parametrize("values, words", [
    ({"timeout_minutes": 0}, r"\[kaggle\] timeout_minutes = 0.0: expected a number > 0"),
    ({"retries": -1}, r"\[kaggle\] retries = -1: expected a non-negative integer"),
    ({"settle_seconds": -1.0}, r"\[kaggle\] settle_seconds = -1.0: expected a number >= 0"),
    ({"owner": "alice smith"}, r"\[kaggle\] owner = 'alice smith'"),
    ({"slug_prefix": "My_Prefix"}, r"\[kaggle\] slug_prefix = 'My_Prefix'"),
    ({"machine_shape": "GPU T4 x2"}, r"\[kaggle\] machine_shape = 'GPU T4 x2'.*NvidiaTeslaT4"),
    ({"output_dir": ""}, r"\[kaggle\] output_dir is empty"),
])
def test_kaggle_settings_are_validated(values, words):
    with pytest.raises(ValueError, match=words):
        HostConfig.from_dict({"kaggle": values})


def test_fractional_timeouts_and_integer_toml_values_load():
    config = HostConfig.from_dict({"kaggle": {"timeout_minutes": 720, "poll_interval": 1}})
    assert config.kaggle.timeout_minutes == 720.0 and isinstance(config.kaggle.poll_interval, float)
    assert HostConfig().replace(kaggle={"timeout_minutes": 0.5}).kaggle.timeout_minutes == 0.5


@pytest.mark.parametrize("content, words", [
    ({"username": "alice", "key": ""}, '"key" is empty'),
    ({"username": "", "key": "k" * 32}, '"username" is empty'),
    ({"username": "alice"}, '"key" is missing'),
])
def test_an_empty_key_in_kaggle_json_is_named_with_the_file(home, content, words):
    path = home / ".kaggle" / "kaggle.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(content))
    field = "key" if "key" in words else "username"
    with pytest.raises(ValueError) as caught:
        find_credentials({"HOME": str(home)})
    assert str(caught.value) == (
        f"{path}: {words}, so the Kaggle client cannot sign in. Fill it in (Create New Token "
        "at https://www.kaggle.com/settings, API section, downloads a complete kaggle.json), or "
        f"export KAGGLE_{field.upper()}")
    env = {"HOME": str(home), f"KAGGLE_{field.upper()}": "x" * 8}
    assert find_credentials(env).kind == "key"
