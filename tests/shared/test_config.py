from pathlib import Path

import pytest

from host.config_file import check_config, load_config
from host.settings import HostConfig
from shared.units import parse_size

ROOT = Path(__file__).resolve().parents[2]


def test_repository_config_loads_and_round_trips():
    config = load_config(ROOT / "pipeline.toml")
    assert HostConfig.from_dict(config.to_dict()) == config
    assert Path(config.competition.data_dir).is_absolute()


@pytest.mark.parametrize("text, expected", [
    ("50MB", 50 * 10**6), ("19GB", 19 * 10**9), ("256MiB", 256 * 2**20), ("1.5 kb", 1500),
    (1234, 1234)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_parse_size_rejects_garbage():
    with pytest.raises(ValueError, match="could not read '12 parsecs' as a size"):
        parse_size("12 parsecs")


def test_unknown_setting_suggests_the_close_name(tmp_path):
    (tmp_path / "p.toml").write_text("[train]\nepoch = 3\n")
    with pytest.raises(ValueError, match=r"unknown setting \[train\] epoch; did you mean 'epochs'"):
        load_config(tmp_path / "p.toml")


@pytest.mark.parametrize("table, message", [
    ({"loader": {"shuffle": "random"}}, r"\[loader\] shuffle = 'random': expected one of none"),
    ({"loader": {"batch_size": 0}}, r"\[loader\] batch_size = 0: expected a positive integer"),
    ({"train": {"epochs": "ten"}}, r"\[train\] epochs = 'ten' should be of type int"),
    ({"plan": {"kernel_budget": "lots"}}, r"\[plan\] kernel_budget: could not read 'lots'"),
    ({"loader": {"mean": [0.5]}}, r"give both with one value per channel"),
    ({"train": {"time_limit_hours": 13}}, r"Kaggle stops a session at 12 hours"),
    ({"loader": {"seed": -1}}, r"\[loader\] seed = -1: expected a non-negative integer"),
    ({"loader": {"mean": ["0.5"], "std": [0.2]}},
     r"\[loader\] mean = \['0.5'\]: expected numbers, e.g. \[0.5\] or \[0.49, 0.48, 0.45\]"),
    ({"loader": {"mean": [0.5], "std": [True]}}, r"\[loader\] std = \[True\]: expected numbers"),
    ({"loader": {"mean": [0.5], "std": [float("nan")]}}, r"\[loader\] std = \[nan\]: expected"),
    ({"loader": {"mean": [0.5], "std": [0.0]}}, r"\[loader\] std = \[0.0\]: expected numbers > 0"),
    ({"loader": {"output": "float16"}}, r"\[loader\] output = 'float16': expected one of uint8"),
    ({"train": {"backend": "torch"}},
         r"\[train\] backend = 'torch': expected one of auto, tensorflow, jax"),
    ({"train": {"mixed_precision": "fp16"}},
     r"\[train\] mixed_precision = 'fp16': expected one of auto, float16, bfloat16, off"),
    ({"train": {"steps_per_execution": 0}},
     r"\[train\] steps_per_execution = 0: expected a positive integer or \"auto\""),
    ({"train": {"steps_per_execution": "fast"}}, r"steps_per_execution = 'fast': expected"),
    ({"train": {"steps_per_execution": 2.5}}, r"steps_per_execution = 2.5 should be of type int"),
])
def test_bad_values_name_the_setting(table, message):
    with pytest.raises(ValueError, match=message):
        HostConfig.from_dict(table)


@pytest.mark.parametrize("train", [{"tta": "flip"}, {"tta": "flip", "augment": "shift"},
                                   {"tta": "flip", "augment": "none", "model": "better"}])
def test_mirror_tta_without_mirror_training_is_refused(train):
    with pytest.raises(ValueError, match=r'\[train\] tta = "flip" with augment = "(auto|shift|'
                       r'none)".*never sees in training; expected augment = "flip" or '
                       r'"flip_shift".*or tta = "none"'):
        check_config(HostConfig.from_dict({"train": train}))


def test_mirror_tta_without_mirror_training_is_refused_when_the_file_is_read(tmp_path):
    (tmp_path / "p.toml").write_text('[train]\ntta = "flip"\n')
    with pytest.raises(ValueError, match=r'p.toml: \[train\] tta = "flip" with augment = "auto" '
                                         r'\(that is "none" for model = "article"\)'):
        load_config(tmp_path / "p.toml")


@pytest.mark.parametrize("table, message", [
    ("[competition]\ntask = 'lable'", r"p.toml: \[competition\] task = 'lable': no such task "
                                      r"kind; expected one of .*label.*; did you mean 'label'"),
    ("[train]\nmodel = 'beter'", r"p.toml: \[train\] model = 'beter': no such model family; "
                                 r"expected one of article, better; did you mean 'better'"),
    ("[train]\nmodel = 'Article!'", r"\[train\] model = 'Article!': expected a model family"),
])
def test_names_of_registered_kinds_are_checked_when_the_file_is_read(tmp_path, table, message):
    (tmp_path / "p.toml").write_text(table + "\n")
    with pytest.raises(ValueError, match=message):
        load_config(tmp_path / "p.toml")


@pytest.mark.parametrize("train", [{"tta": "flip", "augment": "flip"},
                                   {"tta": "flip", "augment": "flip_shift"},
                                   {"tta": "flip", "model": "better"}])
def test_mirror_tta_goes_with_mirror_training(train):
    assert check_config(HostConfig.from_dict({"train": train})).train.tta == "flip"


def test_replace_validates():
    config = HostConfig().replace(train={"epochs": 2})
    assert config.train.epochs == 2
    with pytest.raises(ValueError, match="epochs"):
        config.replace(train={"epochs": -1})


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass --config PATH"):
        load_config(tmp_path / "nope.toml")


def test_loader_mean_and_std_become_floats():
    loader = HostConfig.from_dict({"loader": {"mean": [1], "std": [0.5]}}).loader
    assert loader.mean == (1.0,) and loader.std == (0.5,)
    assert all(type(v) is float for v in loader.mean + loader.std)


@pytest.mark.parametrize("value, expected", [(True, "auto"), (False, "off"),
                                             ("bfloat16", "bfloat16")])
def test_mixed_precision_of_earlier_releases_still_reads(tmp_path, value, expected):
    (tmp_path / "p.toml").write_text(f"[train]\nmixed_precision = {str(value).lower()!s}\n"
                                     if isinstance(value, bool) else
                                     f'[train]\nmixed_precision = "{value}"\n')
    train = load_config(tmp_path / "p.toml").train
    assert train.mixed_precision == expected
    assert HostConfig.from_dict({"train": {"mixed_precision": expected}}).train == train


def test_defaults_send_uint8_to_the_device_and_leave_the_backend_to_the_machine():
    config = HostConfig()
    assert config.loader.output == "uint8" and config.loader.read_ahead is True
    assert (config.train.backend, config.train.mixed_precision,
            config.train.steps_per_execution, config.train.time_limit_hours) == \
        ("auto", "auto", "auto", "auto")
    assert HostConfig.from_dict({"train": {"steps_per_execution": 8}}).train \
        .steps_per_execution == 8
