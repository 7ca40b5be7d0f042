"""DynamoDB responses with the lab's consumed capacity (``ReturnConsumedCapacity``).

moto builds the answer of a data-plane call, but reports a fixed ``ConsumedCapacity`` (1 unit for a
write, 0.5 for a read, whatever the item's size; UpdateItem even when nobody asked for it). The lab
charges the table on its clock (``labsim.dynamodb.capacity``), so the answer reports that charge:

- ``ReturnConsumedCapacity`` NONE (the default): no ``ConsumedCapacity`` at all, as the service;
- TOTAL: ``{"TableName", "CapacityUnits"}`` with the units the lab charged for this call;
- INDEXES: the same plus ``"Table": {"CapacityUnits"}``. The lab does not charge global secondary
  indexes (its assumption: capacity is per table), so it lists none.

Reads follow ``ConsistentRead``: a strongly consistent read costs twice an eventually consistent one.
The handler tells the backend what the request asked for through :data:`CALL` (one per thread), and
reads back what was charged. BatchGetItem, BatchWriteItem and transactions keep moto's figures.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb import urls as _moto_urls
from moto.dynamodb.responses import DynamoHandler


class _CallCapacity(threading.local):
    """The call being served (``operation``), what it asked for (``consistent``) and was charged (``units``)."""

    def __init__(self) -> None:
        self.operation: str | None = None
        self.consistent = False
        self.units: float | None = None

    def internal_read(self) -> bool:
        """moto's PutItem (ReturnValues ALL_OLD) and UpdateItem read the item through GetItem: that read
        is part of the write, which the service charges as a write only."""
        return self.operation in ("put_item", "update_item")


CALL = _CallCapacity()


def _charged(handler: DynamoHandler, operation: str) -> Any:
    CALL.operation, CALL.consistent = operation, bool(handler.body.get("ConsistentRead", False))
    CALL.units = None
    try:
        result = getattr(DynamoHandler, operation)(handler)
    finally:
        CALL.operation, CALL.consistent = None, False
    body = getattr(result, "result", None)
    if isinstance(body, dict):
        body.pop("ConsumedCapacity", None)
        body.pop("ConsumedCapacityUnits", None)  # moto's DeleteItem adds this; it is no field of the API
        wanted = handler.body.get("ReturnConsumedCapacity", "NONE")
        if wanted in ("TOTAL", "INDEXES") and CALL.units is not None:
            consumed: dict[str, Any] = {"TableName": handler.body.get("TableName", ""), "CapacityUnits": CALL.units}
            if wanted == "INDEXES":
                consumed["Table"] = {"CapacityUnits": CALL.units}
            body["ConsumedCapacity"] = consumed
    CALL.units = None
    return result


class LabDynamoHandler(DynamoHandler):
    """moto's handler; the single-item and query/scan calls report the lab's charge."""

    def put_item(self) -> Any:
        return _charged(self, "put_item")

    def update_item(self) -> Any:
        return _charged(self, "update_item")

    def delete_item(self) -> Any:
        return _charged(self, "delete_item")

    def get_item(self) -> Any:
        return _charged(self, "get_item")

    def query(self) -> Any:
        return _charged(self, "query")

    def scan(self) -> Any:
        return _charged(self, "scan")


#: the URL table moto dispatches DynamoDB requests with (``LabDynamoDBBackend._url_module`` is this module)
url_bases = _moto_urls.url_bases
url_paths = {"{0}/": LabDynamoHandler.dispatch}
