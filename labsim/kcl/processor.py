"""The record processor interface of amazon_kclpy v3, and the adapters for v2 and v1 processors.

A learner's processor subclasses :class:`RecordProcessorBase` exactly as with kclpy
(KCLPY:`amazon_kclpy/v3/processor.py`), so the same class runs under the real MultiLangDaemon.
Processors that declare ``version = 2`` or ``version = 1`` (kclpy's older bases) are adapted as
``KCLProcess.__init__`` adapts them (:func:`adapt`).
"""

from __future__ import annotations

import abc
from typing import Any

from .messages import InitializeInput, ShutdownInput


class CheckpointError(Exception):
    """A checkpoint failed; ``.value`` is the Java exception's simple name, as the daemon reports it.

    ``IllegalArgumentException`` (outside [last checkpoint, largest delivered], or a bad number),
    ``ShutdownException`` (the lease is lost or the worker is gone), ``ThrottlingException`` (the lease
    table refused the write: retry later), ``InvalidStateException`` (the lease table is unusable).
    """

    def __init__(self, value: str, message: str = "") -> None:
        super().__init__(value)
        self.value = value
        self.message = message

    def __str__(self) -> str:
        return f"{self.value}: {self.message}" if self.message else self.value


class RecordProcessorBase(abc.ABC):
    """Base class of a v3 record processor: implement the five methods."""

    version = 3

    @abc.abstractmethod
    def initialize(self, initialize_input: Any) -> None: ...

    @abc.abstractmethod
    def process_records(self, process_records_input: Any) -> None: ...

    @abc.abstractmethod
    def lease_lost(self, lease_lost_input: Any) -> None: ...

    @abc.abstractmethod
    def shard_ended(self, shard_ended_input: Any) -> None: ...

    @abc.abstractmethod
    def shutdown_requested(self, shutdown_requested_input: Any) -> None: ...


class V2toV3Processor(RecordProcessorBase):
    """kclpy's adapter: lease_lost -> shutdown(ZOMBIE), shard_ended -> shutdown(TERMINATE)."""

    def __init__(self, delegate: Any) -> None:
        self.delegate = delegate

    def initialize(self, initialize_input: Any) -> None:
        self.delegate.initialize(initialize_input)

    def process_records(self, process_records_input: Any) -> None:
        self.delegate.process_records(process_records_input)

    def lease_lost(self, lease_lost_input: Any) -> None:
        self.delegate.shutdown(ShutdownInput({"reason": "ZOMBIE"}, None))

    def shard_ended(self, shard_ended_input: Any) -> None:
        self.delegate.shutdown(ShutdownInput({"reason": "TERMINATE"}, shard_ended_input.checkpointer))

    def shutdown_requested(self, shutdown_requested_input: Any) -> None:
        handler = getattr(self.delegate, "shutdown_requested", None)
        if handler is not None:
            handler(shutdown_requested_input)


class V1toV2Processor:
    """kclpy's adapter for the legacy interface (shard id, records and checkpointer as arguments)."""

    version = 2

    def __init__(self, delegate: Any) -> None:
        self.delegate = delegate

    def initialize(self, initialize_input: InitializeInput) -> None:
        self.delegate.initialize(initialize_input.shard_id)

    def process_records(self, process_records_input: Any) -> None:
        self.delegate.process_records(process_records_input.records, process_records_input.checkpointer)

    def shutdown(self, shutdown_input: Any) -> None:
        self.delegate.shutdown(shutdown_input.checkpointer, shutdown_input.reason)

    def shutdown_requested(self, shutdown_requested_input: Any) -> None:
        handler = getattr(self.delegate, "shutdown_requested", None)
        if handler is not None:
            handler(shutdown_requested_input.checkpointer)


def adapt(processor: Any) -> Any:
    """The v3 view of ``processor``, as ``KCLProcess.__init__`` builds it."""
    version = getattr(processor, "version", 1)
    if version == 3:
        return processor
    if version == 2:
        return V2toV3Processor(processor)
    if version == 1:
        return V2toV3Processor(V1toV2Processor(processor))
    raise ValueError(f"a record processor's version must be 1, 2 or 3 (amazon_kclpy's bases), got {version!r}")
