"""labsim.scheduling: the task heap both the lab clock and the KPL's thread scheduler run on."""

from __future__ import annotations

import doctest
import threading
import warnings

import pytest

import labsim.scheduling as scheduling
from labsim.kpl.scheduler import ThreadScheduler
from labsim.scheduling import Task, TaskError, TaskQueue, run_task


def test_docstring_examples_run():
    result = doctest.testmod(scheduling, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_due_order_then_push_order_and_cancelled_tasks_are_skipped():
    queue = TaskQueue()
    tasks = {name: queue.push(Task(lambda: None, name), due) for name, due in [("c", 3), ("a", 1), ("b", 1), ("x", 2)]}
    tasks["x"].cancel()
    assert [t.name for t in queue.pending()] == ["a", "b", "c"]
    assert len(queue) == 3 and queue.next_due() == 1
    assert queue.pop_due(until=0.5) is None
    popped = []
    while (task := queue.pop_due(until=10)) is not None:
        popped.append((task.name, task.due))
    assert popped == [("a", 1), ("b", 1), ("c", 3)]
    assert queue.next_due() is None


def test_run_task_keeps_the_error_and_asks_periodic_tasks_back():
    failures = []
    once = Task(lambda: 1 / 0, "once")
    once.due = 5.0
    with pytest.warns(TaskError, match="'once' raised ZeroDivisionError.*my.failures"):
        assert run_task(once, failures, "my.failures") is False
    assert failures[0].task == "once" and failures[0].at == 5.0 and "ZeroDivisionError" in failures[0].traceback
    every = Task(lambda: None, "every", interval=2.0)
    every.due = 1.0
    assert run_task(every, failures, "x") is True and every.runs == 1
    every.cancel()
    assert run_task(every, failures, "x") is False


def test_clear_cancels_everything():
    queue = TaskQueue()
    task = queue.push(Task(lambda: None, "t"), 1)
    queue.clear()
    assert task.cancelled and queue.next_due() is None


def test_thread_scheduler_runs_on_the_same_core_and_keeps_failures():
    scheduler = ThreadScheduler(name="test-core")
    done = threading.Event()
    order = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TaskError)
            now = scheduler.now()
            scheduler.call_at(now + 0.02, lambda: order.append("b"))
            scheduler.call_at(now + 0.01, lambda: 1 / 0, name="broken")
            scheduler.call_at(now + 0.02, lambda: order.append("c"))
            scheduler.call_at(now + 0.03, done.set)
            assert done.wait(10)
    finally:
        scheduler.close()
    assert order == ["b", "c"]
    assert [f.task for f in scheduler.failures] == ["broken"]
    assert isinstance(scheduler.failures[0].error, ZeroDivisionError)
