"""The scheduler core shared by the lab's clock and the KPL's real-time thread scheduler.

Pure bookkeeping, no thread and no time source of its own: a heap of tasks ordered by due time,
ties broken by the order they were scheduled in, and the capture of a task's exception so nothing
is lost silently. ``labsim.clock`` (``VirtualClock``, ``WallClock``) and
``labsim.kpl.scheduler.ThreadScheduler`` decide *when* to run what is due and hold their own locks;
the queue itself is not thread-safe.

>>> queue = TaskQueue()
>>> ran = []
>>> for name, due in [("b", 5.0), ("a", 2.0), ("c", 5.0)]:
...     _ = queue.push(Task(lambda n=name: ran.append(n), name), due)
>>> queue.next_due()
2.0
>>> failures = []
>>> while (task := queue.pop_due(until=10.0)) is not None:
...     _ = run_task(task, failures, "the example's failures")
>>> ran                                   # due order; "b" before "c": scheduled first
['a', 'b', 'c']

A task that raises does not stop the others; its error is kept and reported as a :class:`TaskError`
warning:

>>> import warnings
>>> def broken():
...     raise KeyError("oops")
>>> _ = queue.push(Task(broken, "broken"), 11.0)
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     run_task(queue.pop_due(until=11.0), failures, "the example's failures")
False
>>> failures[0].task, type(failures[0].error).__name__, caught[0].category.__name__
('broken', 'KeyError', 'TaskError')

A periodic task (``interval`` set) asks to be pushed again: ``run_task`` returns ``True`` and the
owner pushes it at ``task.due + task.interval`` (under its own lock).
"""

from __future__ import annotations

import heapq
import itertools
import traceback
import warnings
from typing import Any, Callable

__all__ = ["Task", "TaskError", "TaskFailure", "TaskQueue", "run_task"]


class TaskError(UserWarning):
    """Warning category for an exception raised by a scheduled task (the error itself is kept)."""


class TaskFailure:
    """An exception a scheduled task raised, kept so nothing is lost silently."""

    __slots__ = ("task", "at", "error", "traceback")

    def __init__(self, task: str, at: float, error: BaseException, traceback: str) -> None:
        self.task = task
        self.at = at
        self.error = error
        self.traceback = traceback

    def __repr__(self) -> str:
        return f"TaskFailure(task={self.task!r}, at={self.at!r}, error={self.error!r})"


class Task:
    """A piece of scheduled work. ``cancel()`` stops it from running (again)."""

    __slots__ = ("fn", "name", "interval", "cancelled", "runs", "due")

    def __init__(self, fn: Callable[[], Any], name: str, interval: float | None = None) -> None:
        self.fn = fn
        self.name = name
        self.interval = interval
        self.cancelled = False
        self.runs = 0
        self.due: float | None = None

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        every = f" every {self.interval:g}s" if self.interval else ""
        state = " cancelled" if self.cancelled else f" due {self.due}"
        return f"<Task {self.name!r}{every}{state}>"


class TaskQueue:
    """Tasks by due time; equal times run in the order they were pushed. Not thread-safe."""

    __slots__ = ("_heap", "_order")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Task]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return sum(1 for _, _, task in self._heap if not task.cancelled)

    def push(self, task: Task, due: float) -> Task:
        task.due = due
        heapq.heappush(self._heap, (due, next(self._order), task))
        return task

    def _drop_cancelled(self) -> None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)

    def next_due(self) -> float | None:
        """When the soonest live task is due, or ``None`` if none is left."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, until: float) -> Task | None:
        """Take the soonest live task if it is due at or before ``until`` (its ``due`` says when)."""
        self._drop_cancelled()
        if self._heap and self._heap[0][0] <= until:
            return heapq.heappop(self._heap)[2]
        return None

    def pending(self) -> list[Task]:
        """Live tasks, soonest first."""
        return [task for _, _, task in sorted(self._heap) if not task.cancelled]

    def clear(self) -> None:
        """Cancel and forget every task."""
        for _, _, task in self._heap:
            task.cancel()
        self._heap.clear()


def run_task(task: Task, failures: list[TaskFailure], where: str) -> bool:
    """Run ``task`` once, keeping any exception in ``failures``; True if it should be pushed again.

    ``where`` names the list ``failures`` is reachable as (e.g. ``"lab.clock.failures"``), for the
    warning's text.
    """
    task.runs += 1
    try:
        task.fn()
    except Exception as exc:  # a learner's callback or a component's bug must not stop the scheduler
        due = task.due if task.due is not None else float("nan")
        failures.append(TaskFailure(task.name, due, exc, traceback.format_exc()))
        warnings.warn(
            f"labsim: scheduled task {task.name!r} raised {type(exc).__name__}: {exc} "
            f"(at t={due:.3f}; see {where} for the traceback)",
            TaskError,
            stacklevel=3,
        )
    return task.interval is not None and not task.cancelled
