from pathlib import Path

import pytest

from host.config_file import load_config
from shared.config import PipelineConfig, parse_size

ROOT = Path(__file__).resolve().parents[1]


def test_repository_config_loads_and_round_trips():
    config = load_config(ROOT / "pipeline.toml")
    assert PipelineConfig.from_dict(config.to_dict()) == config
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
])
def test_bad_values_name_the_setting(table, message):
    with pytest.raises(ValueError, match=message):
        PipelineConfig.from_dict(table)


def test_replace_validates():
    config = PipelineConfig().replace(train={"epochs": 2})
    assert config.train.epochs == 2
    with pytest.raises(ValueError, match="epochs"):
        config.replace(train={"epochs": -1})


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass --config PATH"):
        load_config(tmp_path / "nope.toml")


def test_loader_mean_and_std_become_floats():
    loader = PipelineConfig.from_dict({"loader": {"mean": [1], "std": [0.5]}}).loader
    assert loader.mean == (1.0,) and loader.std == (0.5,)
    assert all(type(v) is float for v in loader.mean + loader.std)
