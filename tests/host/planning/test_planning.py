from pathlib import Path

import pandas as pd
import pytest

from competitions import image_folder, pixel_csv
from shard_fixtures import make_spec
from shared.assignment import dump_assignment, load_assignment
from host.settings import HostConfig
from host.config_file import load_config
from host.planning import make_plan, plan_kernels
from shared.store import RowRange, ShardWriter, WriterOptions
from shared.store.sharding import plan_shards

SPEC = make_spec(600, 100)  # 28x28x1, labelled train, test ids of 8 characters
OPTIONS = WriterOptions(shard_bytes=20_000)  # 25 train rows (24 test rows, with ids) a shard
SHARDS = 24 + 5  # 600 / 25 train, ceil(100 / 24) test


def _plan(budget, max_kernels=16, prefix="comp", spec=SPEC, options=OPTIONS,
          decode_workers=0):
    return plan_kernels(spec, options, kernel_budget=budget, max_kernels=max_kernels,
                        prefix=prefix, decode_workers=decode_workers)


def _covered(plan, split):
    ranges = sorted((r for s in plan.shares for r in s.ranges if r.split == split),
                    key=lambda r: r.start)
    assert all(a.stop == b.start for a, b in zip(ranges, ranges[1:]))
    return ranges[0].start, ranges[-1].stop


def test_one_kernel_takes_everything():
    plan = _plan(10**9)
    (share,) = plan.shares
    assert share.kernel == "comp-preprocess-00"
    assert share.ranges == (RowRange("train", 0, 600), RowRange("test", 0, 100))
    assert (share.rows, share.shards) == (700, SHARDS)
    assert plan.train_kernel == "comp-train" and plan.sources == ("comp-preprocess-00",)
    assert [(e.split, e.start, e.stop) for e in plan.entries()] == [("train", 0, 600),
                                                                    ("test", 0, 100)]


@pytest.mark.parametrize("budget", [45_000, 60_000, 100_000, 250_000])
def test_many_kernels_cover_every_row_once_within_budget(budget):
    plan = _plan(budget)
    assert len(plan.shares) > 1
    assert _covered(plan, "train") == (0, 600) and _covered(plan, "test") == (0, 100)
    assert all(s.bytes <= budget for s in plan.shares)
    shards = plan_shards(SPEC, [RowRange("train", 0, 600), RowRange("test", 0, 100)],
                         WriterOptions(shard_bytes=plan.shard_bytes))
    assert sum(s.shards for s in plan.shares) == len(shards)
    sizes = [s.bytes for s in plan.shares]
    assert max(sizes) - min(sizes) <= 2 * plan.shard_bytes  # balanced to within a shard or two
    assert [s.kernel for s in plan.shares] == [f"comp-preprocess-{k:02d}"
                                               for k in range(len(plan.shares))]


def test_the_fewest_kernels_that_fit_are_used():
    # 5 shards of 19.9 KB fit 100 KB, 6 do not: 29 shards need ceil(29 / 5) = 6 kernels,
    # balanced as 5+5+5+5+5+4 rather than leaving a tiny last kernel
    plan = _plan(100_000)
    assert [s.shards for s in plan.shares] == [5, 5, 5, 5, 5, 4]


def test_kernel_bytes_are_exactly_what_the_writer_checks(tmp_path):
    plan = _plan(120_000)
    assert len(plan.shares) > 3
    for share in plan.shares:
        writer = ShardWriter(tmp_path / share.kernel, spec=SPEC, ranges=share.ranges,
                             producer=share.kernel,
                             options=WriterOptions(shard_bytes=20_000, budget_bytes=share.bytes))
        assert len(writer.shards) == share.shards
        with pytest.raises(ValueError, match="over the budget"):
            ShardWriter(tmp_path / "x", spec=SPEC, ranges=share.ranges, producer=share.kernel,
                        options=WriterOptions(shard_bytes=20_000, budget_bytes=share.bytes - 1))


def test_train_and_test_may_share_a_kernel():
    plan = _plan(200_000)
    mixed = [s for s in plan.shares if {r.split for r in s.ranges} == {"train", "test"}]
    assert len(mixed) == 1 and mixed[0] is plan.shares[-1]


def test_row_limit_makes_more_shards():
    plan = _plan(10**9, options=WriterOptions(shard_bytes=20_000, max_shard_rows=10))
    assert plan.shares[0].shards == 70


@pytest.mark.parametrize("budget", [10_000, 45_000, 79_999])
def test_shards_shrink_until_each_kernel_holds_several(budget):
    """[store] shard_bytes is the largest shard: a budget too small for four shrinks them."""
    plan = _plan(budget, max_kernels=100)
    assert plan.shard_bytes_asked == 20_000 and plan.shard_bytes == budget // 4
    assert all(s.bytes <= budget for s in plan.shares)
    assert all(s.shards >= 3 for s in plan.shares[:-1])  # headers take the fourth's room
    assert "[store] shard_bytes 20.0 KB lowered to" in plan.table()


def test_shards_are_kept_when_the_budget_holds_four():
    plan = _plan(80_000)
    assert plan.shard_bytes == plan.shard_bytes_asked == 20_000
    assert "lowered" not in plan.table()


def test_a_budget_of_a_few_images_still_plans():
    plan = _plan(1_100, max_kernels=1000)  # one 28x28 sample and its headers: 1,072 bytes
    assert all(s.shards == 1 and s.rows == 1 for s in plan.shares)
    assert len(plan.shares) == 700


def test_a_budget_below_one_image_is_refused():
    with pytest.raises(ValueError, match=r"\[plan\] kernel_budget = 1.0 KB \(1000 bytes\) is "
                                         r"smaller than one image's output \(1072 bytes: one "
                                         r"28x28x1 sample with its label or id and the .npy "
                                         r"headers\): raise \[plan\] kernel_budget \(--disk-"
                                         r"budget\) to at least 1072 bytes"):
        _plan(1_000)


def test_a_small_budget_alone_plans_several_kernels_for_default_shards():
    """6,000 28x28 images with [store] shard_bytes at its 256 MiB default and a 2 MB budget."""
    plan = _plan(2 * 10**6, spec=make_spec(5_000, 1_000), options=WriterOptions())
    assert len(plan.shares) == 3 and plan.shard_bytes == 500_000
    assert all(s.bytes <= 2 * 10**6 and s.shards >= 3 for s in plan.shares)


def test_more_kernels_than_allowed_is_refused():
    with pytest.raises(ValueError, match=r"needs 30 preprocessing kernels .* more than \[plan\] "
                                         r"max_kernels = 4: raise \[plan\] max_kernels to 30"):
        _plan(21_000, max_kernels=4)


def test_the_plan_counts_kaggles_cores_for_decoding():
    assert _plan(10**9).decoders == 4  # [plan] decode_workers = 0: one per core on Kaggle
    assert "4 decoding processes per kernel" in _plan(10**9).table()
    assert _plan(10**9, decode_workers=2).decoders == 2
    assert "2 decoding processes per kernel ([plan] decode_workers)" in _plan(
        10**9, decode_workers=2).table()


@pytest.mark.parametrize("prefix, message", [
    ("a-very-long-competition-name-that-goes-on", r"at most 36 characters"),
    ("Bad_Prefix", "lowercase letters, digits and single hyphens"),
    ("trailing-", "lowercase letters, digits and single hyphens"),
])
def test_prefixes_kaggle_would_refuse(prefix, message):
    with pytest.raises(ValueError, match=message) as info:
        _plan(10**9, prefix=prefix)
    assert "[kaggle] slug_prefix" in str(info.value)


def test_a_long_prefix_is_checked_against_the_longest_slug():
    prefix = "x" * 36
    assert _plan(10**9, prefix=prefix).shares[0].kernel == f"{prefix}-preprocess-00"
    with pytest.raises(ValueError, match=r"'x{37}-preprocess-00' gives the title .* \(51 "
                                         r"characters\); Kaggle accepts 5 to 50"):
        _plan(10**9, prefix="x" * 37)


def test_table_is_readable():
    table = _plan(200_000).table()
    lines = table.splitlines()
    assert lines[0].split() == ["kernel", "rows", "count", "shards", "output"]
    # 10 shards of 19.9 KB fit 200 KB: 29 shards as 10 + 10 + 9
    assert lines[3].split() == ["comp-preprocess-02", "train", "[500,", "600)", "+", "test",
                                "[0,", "100)", "200", "9", "162.4", "KB"]
    assert lines[4].startswith("3 preprocessing kernel(s), 700 rows, 560.0 KB in all; budget "
                               "200.0 KB per kernel")
    assert lines[5] == ("then comp-train reads the outputs of: comp-preprocess-00, "
                        "comp-preprocess-01, comp-preprocess-02")


def _config(**sections):
    base = dict(competition={"slug": "fmnist-comp"}, store={"shard_bytes": 20_000},
                plan={"kernel_budget": 70_000}, loader={"validation_fraction": 0.0})  # a tiny set: a stratified hold-out would keep no row
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return HostConfig().replace(**base)


@pytest.mark.parametrize("build", [image_folder, pixel_csv])
def test_make_plan_builds_every_assignment(tmp_path, fmnist, build):
    comp = build(tmp_path, fmnist, 200, 40)
    plan = make_plan(_config(kaggle={"slug_prefix": "fm"}), comp)
    assert [a.kernel for a in plan.preprocess] == [f"fm-preprocess-{k:02d}"
                                                   for k in range(len(plan.preprocess))]
    assert len(plan.preprocess) == 4  # 8 + 2 shards of about 20 KB, 3 per 70 KB kernel
    assert plan.train.kernel == "fm-train"
    assert plan.train.sources == tuple(a.kernel for a in plan.preprocess)
    assert plan.spec.sample_shape == (28, 28, 1) and plan.spec.split_rows == {"train": 200,
                                                                             "test": 40}
    assert plan.spec.id_width == (4 if build is image_folder else 2)  # "t039" / "40"
    for a in plan.preprocess:
        assert a.plan == plan.shares.entries() and a.competition == "fmnist-comp"
        assert load_assignment(dump_assignment(a)) == a
    assert load_assignment(dump_assignment(plan.train)) == plan.train
    assert plan.table().startswith(f"fmnist-comp: {plan.layout.kind} (train.csv), 200 train + "
                                   "40 test rows, 28x28x1 (stretch), 10 classes")


def test_make_plan_validates_every_row_first(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 30, 5)
    table = pd.read_csv(comp / "train.csv")
    table.loc[20, "id"] = table.loc[3, "id"]
    table.to_csv(comp / "train.csv", index=False)
    with pytest.raises(ValueError, match=r"id 'img0003' appears 2 times \(rows 3, 20\)"):
        make_plan(_config(), comp)


def test_train_ids_are_kept_when_asked(tmp_path, fmnist):
    plan = make_plan(_config(store={"store_train_ids": True}), image_folder(tmp_path, fmnist,
                                                                            20, 5))
    assert plan.spec.stored_ids == ("test", "train") and plan.spec.id_width == 7  # "img0019"


@pytest.mark.parametrize("build, values, channels", [
    (image_folder, [0.5, 0.5, 0.5], 1),
    (pixel_csv, [0.5, 0.5], 1),
])
def test_mean_and_std_must_fit_the_channels(tmp_path, fmnist, build, values, channels):
    comp = build(tmp_path, fmnist, 20, 5)
    config = _config(loader={"mean": values, "std": values})
    with pytest.raises(ValueError, match=rf"\[loader\] mean and std have {len(values)} values "
                                         rf"but the images have {channels} channel"):
        make_plan(config, comp)
    ok = make_plan(_config(loader={"mean": [0.3], "std": [0.4]}), comp)
    assert ok.train.config.loader.mean == (0.3,)


def test_a_small_budget_alone_plans_the_embedded_example():
    """What scripts/dry_run.py --disk-budget 1MB does: no --shard-size needed."""
    root = Path(__file__).resolve().parents[3]
    config = load_config(root / "pipeline.toml").replace(plan={"kernel_budget": 10**6})
    plan = make_plan(config)
    assert len(plan.preprocess) == 4 and plan.shares.shard_bytes == 250_000
    assert all(a.writer.shard_bytes == 250_000 for a in plan.preprocess)
    assert all(s.bytes <= 10**6 and s.shards >= 3 for s in plan.shares.shares)
