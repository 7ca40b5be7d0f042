"""The inputs a record processor receives, with amazon_kclpy's class and attribute names.

Each class can be built from the MultiLangDaemon's JSON message, as kclpy builds it
(KCLPY:`amazon_kclpy/messages.py`), so a learner can unit-test a processor with hand-made inputs:

>>> r = Record({"action": "record", "data": "aGVsbG8=", "partitionKey": "k", "sequenceNumber": "49",
...             "subSequenceNumber": 0, "approximateArrivalTimestamp": 1767225600000})
>>> r.binary_data, r.partition_key, r.sequence_number, r.sub_sequence_number, r["partitionKey"]
(b'hello', 'k', '49', 0, 'k')
>>> InitializeInput({"action": "initialize", "shardId": "shardId-000000000000",
...                  "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0}).sequence_number
'TRIM_HORIZON'
"""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any


class Record:
    """One user record (KPL aggregates arrive already de-aggregated)."""

    __slots__ = ("_binary", "_data", "partition_key", "sequence_number", "sub_sequence_number",
                 "timestamp_millis", "action")

    def __init__(self, json_dict: dict[str, Any] | None = None, *, binary_data: bytes | None = None,
                 partition_key: str = "", sequence_number: str = "", sub_sequence_number: int = 0,
                 timestamp_millis: int = 0) -> None:
        self.action = "record"
        if json_dict is not None:
            self._binary = None
            self._data = json_dict["data"]
            self.partition_key = json_dict["partitionKey"]
            self.sequence_number = json_dict["sequenceNumber"]
            self.sub_sequence_number = int(json_dict.get("subSequenceNumber") or 0)
            self.timestamp_millis = int(json_dict.get("approximateArrivalTimestamp") or 0)
        else:
            # The lab's own path: no base64 round trip unless someone asks for .data.
            self._binary = binary_data if binary_data is not None else b""
            self._data = None
            self.partition_key = partition_key
            self.sequence_number = sequence_number
            self.sub_sequence_number = int(sub_sequence_number)
            self.timestamp_millis = int(timestamp_millis)

    @property
    def binary_data(self) -> bytes:
        if self._binary is None:
            self._binary = base64.b64decode(self._data)
        return self._binary

    @property
    def data(self) -> str:
        """The record's bytes, base64-encoded (as the daemon sends them)."""
        if self._data is None:
            self._data = base64.b64encode(self._binary).decode("ascii")
        return self._data

    @property
    def approximate_arrival_timestamp(self) -> _dt.datetime:
        # kclpy: datetime.fromtimestamp(ms / 1000), a naive local time
        return _dt.datetime.fromtimestamp(self.timestamp_millis / 1000.0)

    _JSON = {"data": "data", "partitionKey": "partition_key", "sequenceNumber": "sequence_number",
             "subSequenceNumber": "sub_sequence_number", "approximateArrivalTimestamp": "timestamp_millis",
             "action": "action"}

    def get(self, name: str, default: Any = None) -> Any:
        attr = self._JSON.get(name)
        return getattr(self, attr) if attr else default

    def __getitem__(self, name: str) -> Any:
        if name not in self._JSON:
            raise KeyError(name)
        return self.get(name)

    def __repr__(self) -> str:
        return (f"<Record {self.partition_key!r} seq={self.sequence_number} sub={self.sub_sequence_number} "
                f"{len(self.binary_data)} bytes>")


class InitializeInput:
    __slots__ = ("action", "shard_id", "sequence_number", "sub_sequence_number")

    def __init__(self, json_dict: dict[str, Any]) -> None:
        self.action = "initialize"
        self.shard_id = json_dict["shardId"]
        self.sequence_number = json_dict.get("sequenceNumber")
        self.sub_sequence_number = json_dict.get("subSequenceNumber")


class ProcessRecordsInput:
    __slots__ = ("action", "records", "millis_behind_latest", "checkpointer")

    def __init__(self, json_dict: dict[str, Any], checkpointer: Any = None) -> None:
        self.action = "processRecords"
        self.records = [r if isinstance(r, Record) else Record(r) for r in json_dict["records"]]
        self.millis_behind_latest = json_dict.get("millisBehindLatest")
        self.checkpointer = checkpointer


class LeaseLostInput:
    """The lease is gone: the processor may not checkpoint (there is no checkpointer)."""

    __slots__ = ("action",)

    def __init__(self, json_dict: dict[str, Any] | None = None) -> None:
        self.action = "leaseLost"


class ShardEndedInput:
    __slots__ = ("action", "checkpointer")

    def __init__(self, json_dict: dict[str, Any] | None = None, checkpointer: Any = None) -> None:
        self.action = "shardEnded"
        self.checkpointer = checkpointer


class ShutdownRequestedInput:
    __slots__ = ("action", "checkpointer")

    def __init__(self, json_dict: dict[str, Any] | None = None, checkpointer: Any = None) -> None:
        self.action = "shutdownRequested"
        self.checkpointer = checkpointer


class ShutdownInput:
    """kclpy v2's shutdown message: ``reason`` is ``TERMINATE`` (shard ended) or ``ZOMBIE`` (lease lost)."""

    __slots__ = ("action", "reason", "checkpointer")

    def __init__(self, json_dict: dict[str, Any], checkpointer: Any = None) -> None:
        self.action = "shutdown"
        self.reason = json_dict["reason"]
        self.checkpointer = checkpointer
