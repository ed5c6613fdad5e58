"""Kaggle's machine shapes: the one list, retired and unknown names refused when the config is
read, the settings a TPU cannot run refused there too, and the metadata of each role."""

import pytest

from host.bundle.accelerator import role_accelerator
from host.config_file import load_config
from host.machine_shapes import RETIRED, SHAPES, machine_shape
from host.settings import HostConfig
from kaggle_helpers import clean_env, run_push

VALID = ("NvidiaTeslaT4", "NvidiaTeslaT4Highmem", "NvidiaL4", "NvidiaL4X1", "NvidiaTeslaA100",
         "NvidiaH100", "NvidiaRtxPro6000", "TpuV5E8", "TpuV6E8")


def test_the_valid_shapes_are_the_client_docs_list_less_the_retired():
    assert tuple(SHAPES) == VALID
    assert set(RETIRED) == {"NvidiaTeslaP100", "TpuV38", "Tpu1VmV38", "TpuV232", "TpuV2256"}
    assert not set(RETIRED) & set(SHAPES)
    for name in VALID:
        assert HostConfig.from_dict({"kaggle": {"machine_shape": name}}).kaggle.machine_shape \
            == name


@pytest.mark.parametrize("name, now", [("NvidiaTeslaP100", "NvidiaTeslaT4"),
                                       ("TpuV38", "TpuV5E8"), ("Tpu1VmV38", "TpuV5E8")])
def test_a_retired_shape_is_refused_naming_what_it_runs_on_now(name, now):
    with pytest.raises(ValueError, match=rf"machine_shape = '{name}' is retired .*its sessions "
                                         rf"now run on {now} .*set \[kaggle\] machine_shape = "
                                         rf'"{now}"'):
        HostConfig.from_dict({"kaggle": {"machine_shape": name}})


def test_a_retired_tpu_v2_runs_on_the_cpu():
    with pytest.raises(ValueError, match=r"'TpuV232' is retired .*run on the CPU, with no "
                                         r"accelerator at all. Expected one of NvidiaTeslaT4"):
        machine_shape("TpuV232")


@pytest.mark.parametrize("name", ["GPU T4 x2", "NvidiaTeslaV100", "TpuV4", ""])
def test_an_unknown_shape_is_refused_listing_the_valid_ones(name):
    with pytest.raises(ValueError, match=rf"machine_shape = '{name}' is not a Kaggle machine "
                                         rf"shape; expected one of {', '.join(VALID)} "
                                         r"\(from the kaggle client's docs"):
        HostConfig.from_dict({"kaggle": {"machine_shape": name}})


def test_another_letter_case_is_refused_with_kaggles_spelling():
    with pytest.raises(ValueError, match=r"'tpuv5e8': Kaggle spells it \"TpuV5E8\""):
        HostConfig.from_dict({"kaggle": {"machine_shape": "tpuv5e8"}})


def test_shapes_that_may_be_restricted_are_flagged():
    flagged = {name for name, shape in SHAPES.items() if shape.restriction()}
    assert flagged == set(VALID) - {"NvidiaTeslaT4", "TpuV5E8"}
    assert "only for participants of specific competitions or for Kaggle admins" in \
        SHAPES["NvidiaH100"].restriction()


def test_what_the_runtime_is_told_of_a_shape():
    tpu, gpu = SHAPES["TpuV5E8"].target(), SHAPES["NvidiaTeslaT4"].target()
    assert (tpu.accelerator, tpu.chips, tpu.session_hours) == ("tpu", 8, 9.0)
    assert (gpu.accelerator, gpu.chips, gpu.session_hours) == ("gpu", 2, 12.0)
    assert all(s.precision == "bfloat16" for s in SHAPES.values() if s.accelerator == "tpu")


@pytest.mark.parametrize("role, shape, expected", [
    ("train", "TpuV5E8", {"machine_shape": "TpuV5E8", "enable_gpu": False, "enable_tpu": True}),
    ("train", "NvidiaL4", {"machine_shape": "NvidiaL4", "enable_gpu": True, "enable_tpu": False}),
    ("preprocess", "TpuV5E8", {"enable_gpu": False, "enable_tpu": False}),
    ("blend", "NvidiaTeslaT4", {"enable_gpu": False, "enable_tpu": False}),
])
def test_each_role_has_its_machine_in_one_place(role, shape, expected):
    assert role_accelerator(role, shape) == expected


def write(tmp_path, text):
    path = tmp_path / "pipeline.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("train, message", [
    ('backend = "tensorflow"', r'\[train\] backend = "tensorflow" with \[kaggle\] '
     r'machine_shape = "TpuV5E8" \(a TPU\): .*tensorflow-cpu.*expected "jax" or "auto"'),
    ('mixed_precision = "float16"', r'mixed_precision = "float16" .*TPUs compute in bfloat16'),
    ("time_limit_hours = 10", r"time_limit_hours = 10 on TpuV5E8: Kaggle ends its sessions "
     r"after 9 h.*expected at most 9"),
])
def test_what_a_tpu_cannot_run_is_refused_when_the_config_is_read(tmp_path, train, message):
    path = write(tmp_path, f'[kaggle]\nmachine_shape = "TpuV5E8"\n[train]\n{train}\n')
    with pytest.raises(ValueError, match=rf"{tmp_path}.*{message}"):
        load_config(path)


def test_a_tpu_with_every_other_setting_at_its_default_is_accepted(tmp_path):
    config = load_config(write(tmp_path, '[kaggle]\nmachine_shape = "TpuV5E8"\n'))
    assert (config.train.backend, config.train.time_limit_hours) == ("auto", "auto")
    load_config(write(tmp_path, '[kaggle]\nmachine_shape = "TpuV6E8"\n[train]\n'
                                'backend = "jax"\ntime_limit_hours = 8.5\n'))


@pytest.mark.parametrize("shape, words", [
    ("NvidiaTeslaP100", "is retired (kaggle 2.2.5): its sessions now run on NvidiaTeslaT4"),
    ("TpuV38", "is retired (kaggle 2.2.5): its sessions now run on TpuV5E8"),
    ("NvidiaK80", "is not a Kaggle machine shape; expected one of NvidiaTeslaT4, "
                  "NvidiaTeslaT4Highmem, NvidiaL4, NvidiaL4X1, NvidiaTeslaA100, NvidiaH100, "
                  "NvidiaRtxPro6000, TpuV5E8, TpuV6E8"),
])
def test_push_plan_refuses_retired_and_unknown_shapes(tmp_path, shape, words):
    config = write(tmp_path, f'[kaggle]\nowner = "alice"\nmachine_shape = "{shape}"\n')
    done = run_push(["--plan", "--config", str(config)], cwd=tmp_path,
                    env=clean_env(tmp_path / "home"))
    assert done.returncode == 2 and not done.stdout
    assert f"error: {config}: [kaggle] machine_shape = '{shape}' {words}" in done.stderr
