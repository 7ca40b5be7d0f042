"""The clock as a scheduler: deterministic order, periodic tasks, errors kept, re-entrancy."""

from __future__ import annotations

import pytest

from labsim.clock import TaskError, VirtualClock, make_clock


def test_tasks_run_in_time_order_then_insertion_order():
    clock = VirtualClock(start=0)
    order = []
    clock.call_at(5, lambda: order.append(("b", clock.now())))
    clock.call_at(2, lambda: order.append(("a", clock.now())))
    clock.call_at(5, lambda: order.append(("c", clock.now())))
    clock.call_at(11, lambda: order.append(("late", clock.now())))
    clock.advance(10)
    assert order == [("a", 2), ("b", 5), ("c", 5)]
    assert clock.now() == 10
    clock.advance(1)
    assert order[-1] == ("late", 11)


def test_periodic_task_runs_once_per_interval_and_can_be_cancelled():
    clock = VirtualClock(start=0)
    seen = []
    task = clock.call_every(2, lambda: seen.append(clock.now()))
    clock.advance(7)
    assert seen == [2, 4, 6]
    task.cancel()
    clock.advance(10)
    assert seen == [2, 4, 6]
    assert task.runs == 3


def test_task_can_schedule_more_work_inside_the_same_advance():
    clock = VirtualClock(start=0)
    seen = []

    def first():
        seen.append(("first", clock.now()))
        clock.call_later(1, lambda: seen.append(("second", clock.now())))

    clock.call_later(1, first)
    clock.advance(5)
    assert seen == [("first", 1), ("second", 2)]


def test_task_that_sleeps_advances_reentrantly_without_going_backwards():
    clock = VirtualClock(start=0)
    seen = []

    def sleeper():
        clock.sleep(3)  # e.g. a retry back-off inside a scheduled send loop
        seen.append(("after-sleep", clock.now()))

    clock.call_at(1, sleeper)
    clock.call_at(2, lambda: seen.append(("other", clock.now())))
    clock.advance(2)
    assert seen == [("other", 2), ("after-sleep", 4)]
    assert clock.now() == 4


def test_an_exception_in_a_task_is_kept_and_warned_not_lost():
    clock = VirtualClock(start=0)
    seen = []

    def broken():
        raise KeyError("learner bug")

    clock.call_at(1, broken, name="my-callback")
    clock.call_at(2, lambda: seen.append("still runs"))
    with pytest.warns(TaskError, match="my-callback"):
        clock.advance(3)
    assert seen == ["still runs"]
    assert len(clock.failures) == 1
    failure = clock.failures[0]
    assert failure.task == "my-callback" and isinstance(failure.error, KeyError)
    assert "learner bug" in failure.traceback


def test_periodic_task_keeps_running_after_one_failure():
    clock = VirtualClock(start=0)
    calls = []

    def flaky():
        calls.append(clock.now())
        if len(calls) == 1:
            raise RuntimeError("first run fails")

    clock.call_every(1, flaky)
    with pytest.warns(TaskError):
        clock.advance(3)
    assert calls == [1, 2, 3]


def test_run_until_idle_ignores_periodic_tasks():
    clock = VirtualClock(start=0)
    clock.call_every(1, lambda: None)
    done = []
    clock.call_later(42, lambda: done.append(clock.now()))
    clock.run_until_idle()
    assert done == [42]


def test_pending_and_next_due():
    clock = VirtualClock(start=100)
    assert clock.next_due() is None
    t = clock.call_later(5, lambda: None, name="x")
    assert clock.next_due() == 105
    assert clock.pending() == [t]
    t.cancel()
    assert clock.next_due() is None


def test_bad_schedule_arguments():
    clock = make_clock("virtual", start=0)
    with pytest.raises(ValueError):
        clock.call_every(0, lambda: None)
    with pytest.raises(ValueError):
        clock.call_later(-1, lambda: None)
    with pytest.raises(ValueError, match="wall clock"):
        make_clock("wall", start=5)


# --- what time.sleep refuses, the clock refuses (and stays where it was) -----------------------------
import math  # noqa: E402
import time  # noqa: E402

from labsim.clock import MAX_SLEEP_SECONDS  # noqa: E402


def _python_sleep_error(value):
    try:
        time.sleep(value) if not (value == value and 0 <= value < MAX_SLEEP_SECONDS) else None
    except (OverflowError, ValueError) as exc:
        return type(exc)
    return None


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -1, -1e-9, MAX_SLEEP_SECONDS, 1e300])
def test_advance_refuses_what_time_sleep_refuses_and_leaves_the_clock_alone(value):
    clock = VirtualClock(start=0)
    ticks = []
    clock.call_every(1, lambda: ticks.append(clock.now()))  # a repeating task would loop for ever on inf
    expected = _python_sleep_error(value)
    assert expected in (OverflowError, ValueError)
    with pytest.raises(expected) as err:
        clock.advance(value)
    assert "seconds" in str(err.value)
    with pytest.raises(expected):
        clock.sleep(value)
    assert clock.now() == 0 and ticks == []
    assert clock.advance(2) == 2 and ticks == [1, 2]  # still usable afterwards


def test_time_sleep_inside_a_lab_raises_like_python_instead_of_hanging():
    from labsim import Lab

    with Lab() as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName="s", ShardCount=1)  # the lab's physics schedule repeating tasks
        before = lab.clock.now()
        assert lab.clock.pending()
        with pytest.raises(OverflowError):
            time.sleep(float("inf"))
        with pytest.raises(OverflowError):
            lab.clock.advance(float("inf"))
        with pytest.raises(ValueError):
            time.sleep(float("nan"))
        with pytest.raises(ValueError):
            time.sleep(-1)
        assert lab.clock.now() == before
        time.sleep(1.5)
        assert lab.clock.now() == before + 1.5


def test_the_clock_and_the_kpl_scheduler_share_one_core_and_one_task_error():
    import labsim.kpl.scheduler as kpl_scheduler
    import labsim.scheduling as core
    from labsim.clock import Task, TaskFailure

    assert TaskError is core.TaskError is kpl_scheduler.TaskError
    assert Task is core.Task and TaskFailure is core.TaskFailure
    clock = VirtualClock(start=0)
    assert isinstance(clock.call_later(1, lambda: None), core.Task)
