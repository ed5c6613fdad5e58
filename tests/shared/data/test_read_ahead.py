"""uint8 batches and the window read-ahead: raw pixels out, the next window read in the
background, and no batch of a window in memory waiting on another window's read."""

import threading
import time

import numpy as np
import pytest

from shard_fixtures import make_spec, write_output
from shared.data import Normalization, ShuffleOptions, WorkerOptions
from shared.data.direct_reads import DirectReads
from shared.data.sequence import ShardedSequence
from shared.data.window_cache import WindowCache
from shared.store import RowRange, ShardSet
from shared.training.augment import make_augment

MODES = ["none", "block", "full"]


@pytest.fixture(scope="module")
def split(tmp_path_factory, fmnist):
    """600 real images over 24 shard files."""
    root = tmp_path_factory.mktemp("input")
    write_output(root / "k0", make_spec(600), [RowRange("train", 0, 600)], fmnist,
                 shard_bytes=20_000)
    return ShardSet.discover(root).split("train")


def seq(split, *, shuffle="block", seed=3, read_ahead=True, **kw):
    """32 per batch, windows of 3 blocks of 40 rows (5 windows an epoch)."""
    return ShardedSequence(split, **{"batch_size": 32, **kw},
                           shuffle=ShuffleOptions(mode=shuffle, seed=seed, block_rows=40,
                                                  window_blocks=3),
                           workers=WorkerOptions(read_ahead=read_ahead))


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.mark.parametrize("mode", MODES)
def test_uint8_output_hands_over_the_raw_pixels(split, fmnist, mode):
    s = seq(split, shuffle=mode, output="uint8", repeat=True)
    for i in (0, 4, s.steps_per_epoch + 1):
        x, y = s[i]
        rows = s.batch_samples(i)
        assert x.dtype == np.uint8 and x.shape == (32, 28, 28, 1)
        np.testing.assert_array_equal(x, fmnist["x_train"][rows])
        np.testing.assert_array_equal(y, fmnist["y_train"][rows])


def test_float32_output_is_the_uint8_batch_normalised(split):
    norm = Normalization(mean=(0.3,), std=(0.5,))
    raw, scaled = (seq(split, output=o, normalization=norm) for o in ("uint8", "float32"))
    for i in (0, 9):
        np.testing.assert_allclose(scaled[i][0], (raw[i][0] / 255.0 - 0.3) / 0.5, rtol=1e-5,
                                   atol=1e-6)


def test_augmentation_runs_on_uint8_and_matches_the_float32_path(split):
    flip_shift = make_augment("flip_shift", (28, 28, 1))
    raw, again, scaled = (seq(split, output=o, augment=flip_shift)
                          for o in ("uint8", "uint8", "float32"))
    x = raw[5][0]
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x, again[5][0])  # a function of (seed, epoch, batch)
    np.testing.assert_array_equal(scaled[5][0], x * np.float32(1 / 255))
    assert not np.array_equal(x, seq(split, output="uint8")[5][0])  # it did augment


def test_the_next_window_is_read_in_the_background(split):
    s = seq(split)
    s[0]  # window 0 of epoch 0
    assert wait_for(lambda: (0, 1) in s.windows.resident())
    last = s.steps_per_epoch - 1  # in the epoch's last window: the next epoch's first
    s[last]
    assert wait_for(lambda: (1, 0) in s.windows.resident())
    off = seq(split, read_ahead=False)
    off[0]
    time.sleep(0.05)
    assert off.windows.resident() == [(0, 0)]


def test_read_ahead_changes_no_batch_and_memory_stays_bounded(split):
    on, off = seq(split), seq(split, read_ahead=False)
    for i in range(3 * on.steps_per_epoch):
        a, b = on[i], off[i]
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert len(on.windows.resident()) <= on.windows.capacity


def test_a_window_in_memory_never_waits_on_another_windows_read(split, fmnist):
    s = seq(split, read_ahead=False, output="uint8")
    cache, (blocks, _) = s.windows, s._order(0)
    s[0]  # window 0 is in memory
    release = threading.Event()

    def slow_positions():  # window 1's read is under way until released
        release.wait(30)
        return blocks[120:240]

    assert cache.prefetch((0, 1), slow_positions)
    served = threading.Event()
    reader = threading.Thread(target=lambda: (s[1], s[2], served.set()))
    reader.start()
    reader.join(5)
    assert served.is_set(), "a batch of window 0 waited on the read of window 1"
    release.set()
    x, y = s[4]  # rows 128..160: window 1, read by the background thread
    np.testing.assert_array_equal(x, fmnist["x_train"][s.batch_samples(4)])


def test_a_failed_read_reaches_its_readers_and_is_retried(split):
    s = seq(split, read_ahead=False)
    fail = threading.Event()

    def broken():  # fails once a reader waits for this window
        fail.wait(30)
        raise OSError("input/output error")

    assert s.windows.prefetch((0, 0), broken)
    errors = []

    def read():
        try:
            s[0]
        except OSError as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    # the reader has pinned the window whose read is in progress, and waits on it
    assert wait_for(lambda: s.windows._windows[(0, 0)].pins == 2)
    fail.set()
    reader.join(10)
    assert [str(e) for e in errors] == ["input/output error"]
    x, _ = s[0]  # the failed window was dropped: this read starts afresh
    assert x.shape == (32, 28, 28, 1)


def test_output_must_be_uint8_or_float32(split):
    with pytest.raises(ValueError, match="output = 'float16': expected one of float32, uint8"):
        seq(split, output="float16")


class RowByRow(ShardedSequence):
    """Block mode through DirectReads whatever the sample size."""

    direct_min_bytes = 0


def test_large_samples_are_copied_once_per_row_with_the_same_batches(split, fmnist):
    rows = np.arange(0, 600, 3)[::-1].copy()  # a subset, as a hold-out leaves
    options = dict(batch_size=32, output="uint8", rows=rows,
                   shuffle=ShuffleOptions(mode="block", seed=5, block_rows=40, window_blocks=3))
    direct, windows = RowByRow(split, **options), ShardedSequence(split, **options)
    assert isinstance(direct.windows, DirectReads) and isinstance(windows.windows, WindowCache)
    for i in range(2 * direct.steps_per_epoch + 1):
        (x0, y0), (x1, y1) = direct[i], windows[i]
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)
        np.testing.assert_array_equal(x0, fmnist["x_train"][direct.batch_samples(i)])
    assert direct.windows.resident() == []  # no window buffer is held


def test_sample_size_picks_the_reader(tmp_path):
    rng = np.random.default_rng(0)
    data = {"x_train": rng.integers(0, 256, (64, 64, 64, 3), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 64)}
    spec = make_spec(64, sample_shape=(64, 64, 3))
    write_output(tmp_path / "k", spec, [RowRange("train", 0, 64)], data, shard_bytes=200_000)
    big = ShardSet.discover(tmp_path).split("train")
    s = ShardedSequence(big, batch_size=8, shuffle=ShuffleOptions(mode="block"))
    assert isinstance(s.windows, DirectReads)  # 12 KiB a sample
    np.testing.assert_allclose(s[3][0], data["x_train"][s.batch_samples(3)] / 255, rtol=1e-6)
