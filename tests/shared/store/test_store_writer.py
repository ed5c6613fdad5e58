import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from shard_fixtures import make_spec, write_output
from shared.store import (MANIFEST_NAME, Manifest, RowRange, ShardSet, ShardWriter,
                          WriterOptions)
from shared.store.diskspace import DiskFullError
from shared.store.writer import JOURNAL_NAME

ROOT = Path(__file__).resolve().parents[3]


def test_round_trip_many_shards(tmp_path, fmnist):
    spec = make_spec(600, 100)
    writer = write_output(tmp_path, spec, [RowRange("train", 0, 600), RowRange("test", 0, 100)],
                          fmnist, shard_bytes=20_000)
    manifest = Manifest.load(tmp_path / MANIFEST_NAME)
    assert len([s for s in manifest.shards if s.split == "train"]) == 24  # 25 rows of 785 B
    assert not (tmp_path / JOURNAL_NAME).exists()
    assert not list(tmp_path.glob(".*.tmp"))
    index = ShardSet.discover(tmp_path, verify="full").split("train")
    pixels = np.concatenate([np.load(s.x, mmap_mode="r") for s in index.shards])
    np.testing.assert_array_equal(pixels, fmnist["x_train"])
    np.testing.assert_array_equal(index.labels(), fmnist["y_train"])
    test = ShardSet.discover(tmp_path).split("test")
    assert list(test.ids()) == [f"t{i}" for i in range(100)]
    assert writer.complete


def test_every_file_is_a_standard_npy(tmp_path, fmnist):
    write_output(tmp_path, make_spec(600), [RowRange("train", 0, 600)], fmnist)
    for record in Manifest.load(tmp_path / MANIFEST_NAME).shards:
        for f in record.files.values():
            array = np.load(tmp_path / f.name, mmap_mode="r")
            assert array.shape == tuple(f.shape) and array.dtype == np.dtype(f.dtype)
            assert os.path.getsize(tmp_path / f.name) == f.bytes


def test_pixels_cost_one_byte_each(tmp_path, fmnist):
    spec = make_spec(600)
    write_output(tmp_path, spec, [RowRange("train", 0, 600)], fmnist, shard_bytes=10**6)
    disk = sum(p.stat().st_size for p in tmp_path.glob("*.npy"))
    assert disk / (600 * 28 * 28) < 1.01


def test_rejected_rows_are_listed_and_skipped(tmp_path, fmnist):
    rejects = {("train", 3), ("train", 4), ("train", 250)}
    write_output(tmp_path, make_spec(600), [RowRange("train", 0, 600)], fmnist,
                 rejects=rejects)
    shards = ShardSet.discover(tmp_path, verify="full")
    index = shards.split("train")
    assert len(index) == 597
    assert sorted(r.row for r in shards.rejects) == [3, 4, 250]
    assert shards.rejects[0].reason == "unreadable image"
    keep = np.setdiff1d(np.arange(600), [3, 4, 250])
    np.testing.assert_array_equal(index.source_rows(), keep)
    np.testing.assert_array_equal(index.labels(), fmnist["y_train"][keep])


def test_budget_is_refused_up_front_with_the_numbers(tmp_path, fmnist):
    with pytest.raises(ValueError, match=r"planned output is 4\d\d\.\d KB .* over the budget of "
                                         r"100\.0 KB"):
        ShardWriter(tmp_path, spec=make_spec(600), ranges=[RowRange("train", 0, 600)],
                    producer="preprocess-00", options=WriterOptions(budget_bytes=100_000))
    assert not list(tmp_path.iterdir())


def test_a_shard_smaller_than_one_sample_is_refused(tmp_path):
    with pytest.raises(ValueError, match="smaller than one train sample .785 bytes."):
        ShardWriter(tmp_path, spec=make_spec(10), ranges=[RowRange("train", 0, 10)],
                    producer="k", options=WriterOptions(shard_bytes=500))


def test_file_size_limit_is_a_clear_oserror_not_sigbus(tmp_path):
    """A write past the allowed size fails when the shard is reserved, never on a map."""
    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'tests')!r})
        import numpy as np
        from shard_fixtures import make_spec
        from shared.store import RowRange, ShardWriter, WriterOptions
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        w = ShardWriter({str(tmp_path)!r}, spec=make_spec(1000), ranges=[RowRange("train", 0, 1000)],
                        producer="k", options=WriterOptions(shard_bytes=10**6))
        w.add_batch("train", 0, np.zeros((1000, 28, 28, 1), np.uint8), np.zeros(1000, int))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr  # an exception, not a signal
    assert "OSError" in proc.stderr and "File too large" in proc.stderr
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / MANIFEST_NAME).exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 1 MB filesystem (tmpfs); skipped where mounting is not permitted."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                              capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount command: cannot make a 1 MB tmpfs to fill")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs (needs root): {proc.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_more_than_the_free_space_is_refused_up_front(tiny_disk):
    out = tiny_disk / "out"
    with pytest.raises(DiskFullError, match=r"preprocess-00: 1\.6 MB still to write but only "
                                            r"1\.0 MB free in .*out. Free disk space or lower "
                                            r"\[plan\] kernel_budget"):
        ShardWriter(out, spec=make_spec(2000), ranges=[RowRange("train", 0, 2000)],
                    producer="preprocess-00", options=WriterOptions(shard_bytes=20_000))
    assert not list(out.iterdir())


def test_a_disk_that_fills_up_is_a_clear_oserror_and_a_rerun_resumes(tiny_disk, fmnist):
    """The disk fills after the up-front check: reserving the next shard fails, in Python."""
    out = tiny_disk / "out"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'tests')!r})
        import numpy as np
        from shard_fixtures import make_spec
        from shared.store import RowRange, ShardWriter, WriterOptions
        from shared.store.diskspace import free_bytes
        x = np.load({str(ROOT / 'tests' / 'data' / 'fashion_mnist_tiny.npz')!r})["x_train"]
        w = ShardWriter({str(out)!r}, spec=make_spec(600), ranges=[RowRange("train", 0, 600)],
                        producer="k", options=WriterOptions(shard_bytes=100_000))
        w.add_batch("train", 0, x[:300, ..., None], np.zeros(300, int))  # 2 shards + part
        with open({str(tiny_disk / 'filler')!r}, "wb") as fh:  # someone else fills the disk
            fh.write(bytes(free_bytes({str(tiny_disk)!r}) - 8192))
        w.add_batch("train", 300, x[300:, ..., None], np.zeros(300, int))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 1, proc.stderr  # an exception, not a signal
    assert "DiskFullError: [Errno 28] no space left to reserve 99.7 KB for " in proc.stderr
    assert ".train-0000000381-x.npy.tmp: " in proc.stderr  # the shard that did not fit
    assert not (out / MANIFEST_NAME).exists() and not list(out.glob(".*.tmp"))
    finished = sorted(p.name for p in out.glob("*.npy"))  # published before the disk filled
    assert finished == [f"train-{start:010d}-{key}.npy" for start in (0, 127, 254)
                        for key in ("x", "y")]
    (tiny_disk / "filler").unlink()
    write_output(out, make_spec(600), [RowRange("train", 0, 600)], fmnist,
                 shard_bytes=100_000)
    index = ShardSet.discover(out, verify="full").split("train")
    np.testing.assert_array_equal(np.concatenate([np.load(s.x) for s in index.shards]),
                                  fmnist["x_train"])


def test_interrupted_run_resumes_at_first_missing_shard(tmp_path, fmnist):
    spec = make_spec(600)
    options = WriterOptions(shard_bytes=20_000)
    with pytest.raises(RuntimeError, match="power cut"):
        with ShardWriter(tmp_path, spec=spec, ranges=[RowRange("train", 0, 600)],
                         producer="k", options=options) as w:
            for row in range(310):
                w.add("train", row, fmnist["x_train"][row], label=int(fmnist["y_train"][row]))
            raise RuntimeError("power cut")
    assert not (tmp_path / MANIFEST_NAME).exists()
    assert not list(tmp_path.glob(".*.tmp"))
    finished = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.npy")}
    assert len(finished) == 24  # 12 shards of 25 rows, x and y each
    (tmp_path / ".train-0000000300-x.npy.tmp").write_bytes(b"half a shard")  # a crash's leftover

    w = ShardWriter(tmp_path, spec=spec, ranges=[RowRange("train", 0, 600)], producer="k",
                    options=options)
    assert w.pending() == [RowRange("train", 300, 600)]
    assert not list(tmp_path.glob(".*.tmp"))
    rows_fed = []
    for r in w.pending():
        for row in range(r.start, r.stop):
            rows_fed.append(row)
            w.add("train", row, fmnist["x_train"][row], label=int(fmnist["y_train"][row]))
    w.close()
    assert rows_fed[0] == 300
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in finished} == finished
    index = ShardSet.discover(tmp_path, verify="full").split("train")
    np.testing.assert_array_equal(index.labels(), fmnist["y_train"])


@pytest.mark.usefixtures("ctrl_c_reaches_children")
def test_ctrl_c_while_a_shard_is_renamed_waits_until_it_is_recorded(tmp_path, fmnist,
                                                                    monkeypatch):
    """SIGINT between the rename of a shard's x file and that of its y file: the shard is
    still renamed whole and journaled before KeyboardInterrupt, so a re-run skips it."""
    real_replace, sent = os.replace, []

    def replace_then_ctrl_c(src, dst):
        real_replace(src, dst)
        if str(dst).endswith("-x.npy") and not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGINT)

    spec, options = make_spec(100), WriterOptions(shard_bytes=20_000)
    monkeypatch.setattr(os, "replace", replace_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        with ShardWriter(tmp_path, spec=spec, ranges=[RowRange("train", 0, 100)],
                         producer="k", options=options) as w:
            w.add_batch("train", 0, fmnist["x_train"][:30], labels=fmnist["y_train"][:30])
    monkeypatch.undo()
    assert sent and sorted(p.name for p in tmp_path.glob("*.npy")) == [
        "train-0000000000-x.npy", "train-0000000000-y.npy"]
    w = ShardWriter(tmp_path, spec=spec, ranges=[RowRange("train", 0, 100)], producer="k",
                    options=options)
    assert w.pending() == [RowRange("train", 25, 100)]


def test_killed_process_leaves_nothing_that_looks_finished(tmp_path, fmnist):
    """SIGKILL in the middle of a shard: the re-run completes with identical content."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'tests')!r})
        import numpy as np
        from shard_fixtures import make_spec
        from shared.store import RowRange, ShardWriter, WriterOptions
        d = np.load({str(ROOT / 'tests/data/fashion_mnist_tiny.npz')!r})
        w = ShardWriter({str(tmp_path)!r}, spec=make_spec(600), ranges=[RowRange("train", 0, 600)],
                        producer="k", options=WriterOptions(shard_bytes=20_000))
        for row in range(600):
            if row == 140:
                os.kill(os.getpid(), signal.SIGKILL)
            w.add("train", row, d["x_train"][row][..., None], label=int(d["y_train"][row]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / MANIFEST_NAME).exists()
    assert list(tmp_path.glob(".*.tmp"))  # the shard in progress, under its temporary name
    journal = json.loads((tmp_path / JOURNAL_NAME).read_text())
    assert len(journal["shards"]) == 5
    with pytest.raises(FileNotFoundError, match="no manifest.json found"):
        ShardSet.discover(tmp_path)
    write_output(tmp_path, make_spec(600), [RowRange("train", 0, 600)], fmnist,
                 producer="k", shard_bytes=20_000)
    index = ShardSet.discover(tmp_path, verify="full").split("train")
    pixels = np.concatenate([np.load(s.x) for s in index.shards])
    np.testing.assert_array_equal(pixels, fmnist["x_train"])


def test_finished_output_is_left_alone(tmp_path, fmnist):
    spec = make_spec(600)
    write_output(tmp_path, spec, [RowRange("train", 0, 600)], fmnist)
    before = (tmp_path / MANIFEST_NAME).stat().st_mtime_ns
    w = ShardWriter(tmp_path, spec=spec, ranges=[RowRange("train", 0, 600)],
                    producer="preprocess-00", options=WriterOptions(shard_bytes=8_000))
    assert w.complete and w.pending() == []
    assert w.add("train", 0, fmnist["x_train"][0], label=1) is False
    w.close()
    assert (tmp_path / MANIFEST_NAME).stat().st_mtime_ns == before


def test_damaged_shard_of_finished_output_is_rewritten(tmp_path, fmnist):
    spec = make_spec(600)
    write_output(tmp_path, spec, [RowRange("train", 0, 600)], fmnist)
    victim = sorted(tmp_path.glob("train-*-x.npy"))[3]
    victim.write_bytes(victim.read_bytes()[:-10])
    w = ShardWriter(tmp_path, spec=spec, ranges=[RowRange("train", 0, 600)],
                    producer="preprocess-00", options=WriterOptions(shard_bytes=8_000))
    assert not (tmp_path / MANIFEST_NAME).exists()
    assert len(w.pending()) == 1
    write_output(tmp_path, spec, [RowRange("train", 0, 600)], fmnist)
    ShardSet.discover(tmp_path, verify="full")


def test_a_different_job_in_the_same_folder_is_refused(tmp_path, fmnist):
    write_output(tmp_path, make_spec(600), [RowRange("train", 0, 600)], fmnist)
    with pytest.raises(ValueError, match="written by a different job .* Use an empty output"):
        ShardWriter(tmp_path, spec=make_spec(600), ranges=[RowRange("train", 0, 300)],
                    producer="preprocess-00")


@pytest.mark.parametrize("call, message", [
    (lambda w, x: w.add("train", 0, x.astype(np.float32), label=1),
     r"received pixels of shape \(1, 28, 28, 1\) and dtype float32, expected .* uint8"),
    (lambda w, x: w.add("train", 0, x[..., 0], label=1), r"received pixels of shape \(1, 28, 28\)"),
    (lambda w, x: w.add("train", 0, x, label=10), r"class indices in \[0, 10\)"),
    (lambda w, x: w.add("train", 0, x), "a label is required"),
    (lambda w, x: w.add("train", 5, x, label=1), "expected row 0, received row 5"),
    (lambda w, x: w.add("train", 50, x, label=1), r"train row 50 is not assigned to k"),
    (lambda w, x: w.add("test", 0, x, id="far-too-long-id"), "longer than id_width 8"),
])
def test_bad_rows_say_what_was_expected(tmp_path, fmnist, call, message):
    w = ShardWriter(tmp_path, spec=make_spec(50, 5), producer="k",
                    ranges=[RowRange("train", 0, 50), RowRange("test", 0, 5)])
    with pytest.raises(ValueError, match=message):
        call(w, fmnist["x_train"][0])


def test_close_before_every_row_names_the_missing_rows(tmp_path, fmnist):
    w = ShardWriter(tmp_path, spec=make_spec(50), ranges=[RowRange("train", 0, 50)],
                    producer="k", options=WriterOptions(shard_bytes=8_000))
    w.add_batch("train", 0, fmnist["x_train"][:20], fmnist["y_train"][:20])
    with pytest.raises(ValueError, match=r"missing train rows \[20, 50\)"):
        w.close()
    assert not (tmp_path / MANIFEST_NAME).exists()


def test_skipping_a_row_inside_a_shard_is_refused(tmp_path, fmnist):
    w = ShardWriter(tmp_path, spec=make_spec(50), ranges=[RowRange("train", 0, 50)],
                    producer="k", options=WriterOptions(shard_bytes=8_000))
    w.add_batch("train", 0, fmnist["x_train"][:5], fmnist["y_train"][:5])
    with pytest.raises(ValueError, match="expected row 5, received row 7"):
        w.add("train", 7, fmnist["x_train"][7], label=1)
