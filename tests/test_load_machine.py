"""The load benchmark's account of the machine's CPU (bench/load/machine.py)."""

from bench.load.machine import Snapshot, spent


def test_a_process_that_ended_is_counted_through_its_parent_for_this_interval_only():
    """A PostgreSQL backend closed when its connection is recycled: 2 s before the first
    snapshot, 0.5 s more before it ended; the postmaster (PID 1 here) waited for it, so its
    children's counters hold all 2.5 s. The interval's share is the 0.5 s and the
    postmaster's own 0.25 s."""
    before = Snapshot(
        by_pid={1: ("postgres", 10.0, 0), 7: ("postgres", 2.0, 1), 9: ("app pool", 4.0, 0)},
        busy=100.0,
        idle=50.0,
    )
    after = Snapshot(
        by_pid={1: ("postgres", 10.0 + 0.25 + 2.5, 0), 9: ("app pool", 5.0, 0)},
        busy=104.0,
        idle=52.0,
    )

    cpu = spent(before, after)

    assert cpu["parts"] == {"app pool": 1.0, "postgres": 0.75}
    assert (cpu["busy"], cpu["idle"]) == (4.0, 2.0)


def test_a_process_started_and_ended_between_the_snapshots_counts_whole():
    before = Snapshot(by_pid={1: ("postgres", 10.0, 0)}, busy=0.0, idle=0.0)
    after = Snapshot(by_pid={1: ("postgres", 13.0, 0)}, busy=0.0, idle=0.0)

    assert spent(before, after)["parts"] == {"postgres": 3.0}
