"""Decoded pixels that travel through shared memory (``SlotArena``) instead of the pool's pipe."""

import numpy as np
import pytest

from competitions import image_folder, pixel_csv, train_id
from host.planning import make_plan
from host.settings import HostConfig
from shared.preprocess.assigned import AssignedRows
from shared.preprocess.pool import ordered_map
from shared.preprocess.slots import SlotArena, workers_share_memory
from shared.preprocess.decode_jobs import (batch_pixels, decode_job, init_worker, iter_jobs,
                                     use_arena, worker_setup)
from shared.sources import read_split_rows

pytestmark = pytest.mark.skipif(not workers_share_memory(), reason="workers are not forked")


def _assignment(comp):
    config = HostConfig().replace(competition={"slug": "fmnist-comp"})
    (assignment,) = make_plan(config, comp).preprocess
    return assignment


@pytest.mark.slow
@pytest.mark.parametrize("build", [image_folder, pixel_csv])
def test_slots_are_reused_many_times_and_every_batch_reads_its_own_rows(tmp_path, fmnist,
                                                                        build):
    comp = build(tmp_path / "comp", fmnist, 90, 6)
    if build is image_folder:  # failed rows must not shift the good ones
        for row in (7, 8, 40):
            (comp / "train" / f"{train_id(row)}.png").write_text("no pixels here")
    assignment = _assignment(comp)
    layout = assignment.source
    rows = AssignedRows([read_split_rows(layout, comp, r.split, r.start, r.stop)
                         for r in assignment.ranges])
    setup = worker_setup(layout, comp)
    in_flight, slots = 3, 4  # 32 jobs of 3 rows through 4 slots
    use_arena(SlotArena(slots, 3, setup.settings.shape))
    try:
        jobs = iter_jobs(layout, comp, assignment.ranges, rows.names, 3, slots)
        seen = {"train": [], "test": []}
        for batch in ordered_map(decode_job, jobs, workers=2, in_flight=in_flight,
                                 initializer=init_worker, initargs=(setup,)):
            assert batch.x is None and 0 <= batch.slot < slots
            bad = {row for row, _ in batch.failures}
            good = [r for r in range(batch.start, batch.start + batch.count) if r not in bad]
            seen[batch.split] += good
            expected = fmnist["x_train" if batch.split == "train" else "x_test"][good]
            np.testing.assert_array_equal(batch_pixels(batch), expected)
    finally:
        use_arena(None)
    bad_rows = {7, 8, 40} if build is image_folder else set()
    assert seen["train"] == [r for r in range(90) if r not in bad_rows]
    assert seen["test"] == list(range(6))


def test_a_slot_outside_the_arena_is_refused():
    arena = SlotArena(2, 4, (3, 3, 1))
    assert arena.view(1, 4).shape == (4, 3, 3, 1) and arena.nbytes == 72
    with pytest.raises(ValueError, match="slot 2, 1 rows: the arena has slots 0..1 of 4 rows"):
        arena.view(2, 1)
    with pytest.raises(ValueError, match="at least 1 slot of 1 row, got 0 slot"):
        SlotArena(0, 4, (3, 3, 1))
