"""Where the producer's background work runs: an injectable scheduler.

The producer never starts work on its own: it asks a *scheduler* to call its send loop at a given
time. Anything with this small interface will do (``labsim.clock``'s clocks have it)::

    now() -> float                                  # epoch seconds
    call_at(when, fn, *, name=None) -> task         # task.cancel()
    call_later(delay, fn, *, name=None) -> task
    call_every(interval, fn, *, name=None, first=None) -> task
    mode                                            # "virtual" or "wall"
    advance(seconds)                                # only when mode == "virtual"

How the producer picks one (``KinesisProducer(scheduler=...)`` overrides it):

- inside a running lab, the lab's clock. In virtual mode nothing happens until simulated time
  moves (``lab.clock.advance``, ``time.sleep`` on the lab's thread, ``producer.flush()``, or
  ``future.result()``), and then it happens at once and the same way every run. In wall mode the
  lab's clock thread runs the send loop in real time.
- with no lab, a :class:`ThreadScheduler`: one daemon thread, real time. This is what makes the
  same producer work against any boto3 client, including the real service.

The queue, the tie-break by scheduling order and the keeping of a task's exception are the lab
clock's own (``labsim.scheduling``, layer 0): one core, one :class:`TaskError`.
"""

from __future__ import annotations

import threading
import time as _time
from typing import Any, Callable, Protocol

from labsim.scheduling import Task, TaskError, TaskFailure, TaskQueue, run_task

__all__ = ["Scheduler", "ThreadScheduler", "TaskError", "is_virtual"]

# The real function, captured at import time (a lab patches time.sleep while it runs).
_real_time = _time.time


class Scheduler(Protocol):
    mode: str

    def now(self) -> float: ...

    def call_at(self, when: float, fn: Callable[[], Any], *, name: str | None = None) -> Any: ...

    def call_later(self, delay: float, fn: Callable[[], Any], *, name: str | None = None) -> Any: ...

    def call_every(self, interval: float, fn: Callable[[], Any], *, name: str | None = None, first: float | None = None) -> Any: ...


class ThreadScheduler:
    """Real-time scheduler on one daemon thread, for use outside a lab (e.g. against AWS).

    Tasks run one at a time, in due order, on the scheduler's thread. An exception in a task is
    kept in ``failures`` and reported with a :class:`TaskError` warning; the thread keeps going.
    """

    mode = "wall"

    def __init__(self, name: str = "labsim-kpl-scheduler") -> None:
        self._queue = TaskQueue()
        self._cond = threading.Condition()
        self._closed = False
        self.failures: list[TaskFailure] = []
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def now(self) -> float:
        return _real_time()

    def call_at(self, when: float, fn: Callable[[], Any], *, name: str | None = None) -> Task:
        task = Task(fn, name or getattr(fn, "__name__", "task"), None)
        self._push(task, float(when))
        return task

    def call_later(self, delay: float, fn: Callable[[], Any], *, name: str | None = None) -> Task:
        if delay < 0:
            raise ValueError(f"delay must be zero or positive, got {delay!r}")
        return self.call_at(self.now() + delay, fn, name=name)

    def call_every(self, interval: float, fn: Callable[[], Any], *, name: str | None = None, first: float | None = None) -> Task:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        task = Task(fn, name or getattr(fn, "__name__", "task"), float(interval))
        self._push(task, self.now() + (interval if first is None else first))
        return task

    def _push(self, task: Task, due: float) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("this scheduler is closed")
            self._queue.push(task, due)
            self._cond.notify()

    def on_own_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    due = self._queue.next_due()
                    if due is None:
                        self._cond.wait(1.0)
                        continue
                    wait = due - self.now()
                    if wait <= 0:
                        task = self._queue.pop_due(due)
                        break
                    self._cond.wait(min(wait, 1.0))
            assert task is not None
            if run_task(task, self.failures, "producer.scheduler.failures"):  # keeps the thread alive
                with self._cond:
                    if not self._closed:
                        self._queue.push(task, task.due + task.interval)  # type: ignore[operator]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


def is_virtual(scheduler: Any) -> bool:
    """True for a clock whose time moves only when told to (``advance``)."""
    return getattr(scheduler, "mode", "wall") == "virtual" and hasattr(scheduler, "advance")
