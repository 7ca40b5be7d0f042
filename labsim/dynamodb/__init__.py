"""DynamoDB physics (layer 1): provisioned capacity enforced on the lab clock.

moto answers every DynamoDB call, but never runs out of capacity. The KCL keeps its leases and
checkpoints in a DynamoDB table, and the classic warning (kinesis-facts 5.2, the study notes) is that
a lease table with too little provisioned capacity throttles, and then so does the application.
This physics makes that observable:

- A ``PROVISIONED`` table has one token bucket for reads and one for writes, filled at its
  ``ReadCapacityUnits`` / ``WriteCapacityUnits`` per second of lab time, holding at most
  ``quotas.DYNAMODB_BURST_SECONDS`` (300 s) of unused capacity: DynamoDB's burst capacity.
- A write costs one WCU per started KiB of the larger of the item before and after
  (``quotas.DYNAMODB_WRITE_UNIT_BYTES``); a failed conditional write costs the same. A read costs one RCU
  per started 4 KiB (``quotas.DYNAMODB_READ_UNIT_BYTES``) of the items read, half when eventually
  consistent (``ConsistentRead`` false, the default).
- When a bucket cannot pay, the call fails with ``ProvisionedThroughputExceededException`` and the
  service's message; nothing is written.
- ``PAY_PER_REQUEST`` tables are never throttled at course scale; their consumption is still counted.
- ``UpdateTable`` to another capacity or billing mode takes effect at once.

Lab assumptions (AWS publishes none): a new table's buckets start with one second's worth of capacity,
not with a full burst; and capacity is per table, not per partition or index (lease tables are tiny).
With ``ReturnConsumedCapacity`` TOTAL or INDEXES, PutItem, UpdateItem, DeleteItem, GetItem, Query and
Scan report the units the lab charged for the call (``labsim.dynamodb.responses``); ``capacity(table)``
gives the lab's running account.

>>> from botocore.config import Config
>>> from labsim import Lab
>>> with Lab() as lab:
...     ddb = lab.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))  # no SDK retries
...     _ = ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
...                          AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
...                          ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
...     codes = []
...     for n in range(3):
...         try:
...             _ = ddb.put_item(TableName="t", Item={"k": {"S": str(n)}})
...             codes.append("ok")
...         except ddb.exceptions.ProvisionedThroughputExceededException:
...             codes.append("throttled")
...     usage = capacity(lab, "t")
>>> codes
['ok', 'throttled', 'throttled']
>>> usage.writes_throttled, usage.write_units
(2, 1.0)

With the SDK's default retries the same three writes all succeed: botocore backs off with
``time.sleep``, which moves the lab clock, and the bucket refills meanwhile (the application slows down).
"""

from __future__ import annotations

from typing import Any

from .. import _moto
from .backend import LabDynamoDBBackend, ProvisionedThroughputExceededException
from .capacity import CapacityBucket, TableCapacity


class DynamoDBPhysics:
    """Swaps ``LabDynamoDBBackend`` in while a lab runs (listed in ``labsim.PHYSICS``)."""

    name = "dynamodb"

    def __init__(self) -> None:
        self._undo: Any = None

    def start(self, lab: Any) -> None:
        self._undo = _moto.swap_backend_class("dynamodb", LabDynamoDBBackend, lab.context)

    def stop(self, lab: Any) -> None:
        if self._undo is not None:
            self._undo()
            self._undo = None


def capacity(lab: Any, table_name: str, region: str | None = None) -> TableCapacity:
    """The lab's capacity account of ``table_name``: units consumed, calls throttled, per second."""
    return lab.backend("dynamodb", region).capacity(table_name)


__all__ = [
    "DynamoDBPhysics",
    "LabDynamoDBBackend",
    "ProvisionedThroughputExceededException",
    "CapacityBucket",
    "TableCapacity",
    "capacity",
]
