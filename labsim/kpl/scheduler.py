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

This module imports nothing from labsim's service layers (layer 2 rule in DESIGN.md); the lab is
found, if one runs, through ``sys.modules`` without importing it.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time as _time
import traceback
import warnings
from typing import Any, Callable, Protocol

# The real functions, captured at import time (a lab patches time.sleep while it runs).
_real_time = _time.time


class TaskError(UserWarning):
    """Warning category for an exception raised inside a ThreadScheduler task."""


class Scheduler(Protocol):
    mode: str

    def now(self) -> float: ...

    def call_at(self, when: float, fn: Callable[[], Any], *, name: str | None = None) -> Any: ...

    def call_later(self, delay: float, fn: Callable[[], Any], *, name: str | None = None) -> Any: ...

    def call_every(self, interval: float, fn: Callable[[], Any], *, name: str | None = None, first: float | None = None) -> Any: ...


class _Task:
    __slots__ = ("fn", "name", "interval", "cancelled", "due")

    def __init__(self, fn: Callable[[], Any], name: str, interval: float | None) -> None:
        self.fn = fn
        self.name = name
        self.interval = interval
        self.cancelled = False
        self.due = 0.0

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        return f"<ThreadScheduler task {self.name!r} due {self.due:.3f}{' cancelled' if self.cancelled else ''}>"


class ThreadScheduler:
    """Real-time scheduler on one daemon thread, for use outside a lab (e.g. against AWS).

    Tasks run one at a time, in due order, on the scheduler's thread. An exception in a task is
    kept in ``failures`` and reported with a :class:`TaskError` warning; the thread keeps going.
    """

    mode = "wall"

    def __init__(self, name: str = "labsim-kpl-scheduler") -> None:
        self._queue: list[tuple[float, int, _Task]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self.failures: list[tuple[str, BaseException, str]] = []
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def now(self) -> float:
        return _real_time()

    def call_at(self, when: float, fn: Callable[[], Any], *, name: str | None = None) -> _Task:
        task = _Task(fn, name or getattr(fn, "__name__", "task"), None)
        self._push(task, float(when))
        return task

    def call_later(self, delay: float, fn: Callable[[], Any], *, name: str | None = None) -> _Task:
        if delay < 0:
            raise ValueError(f"delay must be zero or positive, got {delay!r}")
        return self.call_at(self.now() + delay, fn, name=name)

    def call_every(self, interval: float, fn: Callable[[], Any], *, name: str | None = None, first: float | None = None) -> _Task:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        task = _Task(fn, name or getattr(fn, "__name__", "task"), float(interval))
        self._push(task, self.now() + (interval if first is None else first))
        return task

    def _push(self, task: _Task, due: float) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("this scheduler is closed")
            task.due = due
            heapq.heappush(self._queue, (due, next(self._seq), task))
            self._cond.notify()

    def on_own_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    while self._queue and self._queue[0][2].cancelled:
                        heapq.heappop(self._queue)
                    if self._queue:
                        wait = self._queue[0][0] - self.now()
                        if wait <= 0:
                            _, _, task = heapq.heappop(self._queue)
                            break
                        self._cond.wait(min(wait, 1.0))
                    else:
                        self._cond.wait(1.0)
            try:
                task.fn()
            except Exception as exc:  # keep the thread alive; report
                self.failures.append((task.name, exc, traceback.format_exc()))
                warnings.warn(f"labsim.kpl: task {task.name!r} raised {type(exc).__name__}: {exc}", TaskError, stacklevel=1)
            if task.interval is not None and not task.cancelled:
                with self._cond:
                    if not self._closed:
                        task.due += task.interval
                        heapq.heappush(self._queue, (task.due, next(self._seq), task))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


def running_lab() -> Any:
    """The running ``labsim.Lab`` or ``None``, found without importing the lab module."""
    lab_module = sys.modules.get("labsim.lab")
    if lab_module is None:
        return None
    return lab_module.current_lab()


def is_virtual(scheduler: Any) -> bool:
    return getattr(scheduler, "mode", "wall") == "virtual" and hasattr(scheduler, "advance")
