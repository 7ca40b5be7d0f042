"""The lab's DynamoDB backend: moto's, with provisioned capacity charged on every data-plane call."""

from __future__ import annotations

import threading
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

from .. import _moto
from . import responses
from .capacity import TableCapacity, read_units, write_units


class ProvisionedThroughputExceededException(JsonRESTError):
    """What DynamoDB answers when a PROVISIONED table's capacity (and its burst) is used up."""

    code = 400

    def __init__(self) -> None:
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded. "
            "Consider increasing your provisioning level with the UpdateTable API.",
        )


class LabDynamoDBBackend(_moto.LabBackendMixin, DynamoDBBackend):
    moto_service = "dynamodb"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._capacity: dict[str, TableCapacity] = {}
        self._capacity_lock = threading.Lock()

    @property
    def _url_module(self) -> Any:
        return responses  # moto's handler, reporting the capacity charged here (labsim.dynamodb.responses)

    # -- the account ---------------------------------------------------------------------------
    def _now(self) -> float:
        return self.context.now() if self.context is not None else 0.0

    def capacity(self, table_name: str) -> TableCapacity:
        """The capacity account of ``table_name`` (raises ResourceNotFoundException if it does not exist)."""
        table = self.get_table(table_name)
        with self._capacity_lock:
            account = self._capacity.get(table_name)
            if account is None:
                account = self._capacity[table_name] = TableCapacity(table_name)
                account.provision(table.billing_mode, table.throughput, self._now())
            return account

    def _charge(self, table_name: str, kind: str, units: float) -> None:
        account = self.capacity(table_name)
        with self._capacity_lock:
            paid = account.charge(kind, units, self._now())
        if not paid:
            raise ProvisionedThroughputExceededException()
        responses.CALL.units = (responses.CALL.units or 0.0) + units  # what the response reports

    def _item_size(self, table_name: str, key: dict[str, Any]) -> int:
        table = self.get_table(table_name)
        hash_value, range_value = self.get_keys_value(table, key)
        item = table.get_item(hash_value, range_value)
        return item.size() if item is not None else 0

    # -- control plane: keep the buckets in step with the table --------------------------------
    def create_table(self, name: str, **params: Any) -> Any:
        table = super().create_table(name, **params)
        with self._capacity_lock:
            account = self._capacity[name] = TableCapacity(name)
            account.provision(table.billing_mode, table.throughput, self._now())
        return table

    def update_table(self, name: str, *args: Any, **kwargs: Any) -> Any:
        table = super().update_table(name, *args, **kwargs)
        account = self.capacity(name)
        with self._capacity_lock:
            account.provision(table.billing_mode, table.throughput, self._now())
        return table

    def delete_table(self, name: str) -> Any:
        table = super().delete_table(name)
        with self._capacity_lock:
            self._capacity.pop(name, None)
        return table

    # -- data plane ----------------------------------------------------------------------------
    def put_item(self, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        key = {name: item_attrs[name] for name in table.table_key_attrs if name in item_attrs}
        old = self._item_size(table_name, key) if len(key) == len(table.table_key_attrs) else 0
        new = sum(len(name.encode()) + DynamoType(value).size() for name, value in item_attrs.items())
        self._charge(table_name, "write", write_units(max(old, new)))
        return super().put_item(table_name, item_attrs, *args, **kwargs)

    def update_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._charge(table_name, "write", write_units(self._item_size(table_name, key)))
        return super().update_item(table_name, key, *args, **kwargs)

    def delete_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._charge(table_name, "write", write_units(self._item_size(table_name, key)))
        return super().delete_item(table_name, key, *args, **kwargs)

    def get_item(self, table_name: str, keys: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        item = super().get_item(table_name, keys, *args, **kwargs)
        if responses.CALL.internal_read():
            return item
        self._charge(table_name, "read", read_units(item.size() if item is not None else 0, responses.CALL.consistent))
        return item

    def query(self, table_name: str, *args: Any, **kwargs: Any) -> Any:
        result = super().query(table_name, *args, **kwargs)
        consistent = bool(kwargs.get("consistent_read", False)) or responses.CALL.consistent
        self._charge(table_name, "read", read_units(sum(i.size() for i in result[0]), consistent))
        return result

    def scan(self, table_name: str, *args: Any, **kwargs: Any) -> Any:
        result = super().scan(table_name, *args, **kwargs)
        consistent = (bool(args[7]) if len(args) > 7 else bool(kwargs.get("consistent_read", False))) or responses.CALL.consistent
        self._charge(table_name, "read", read_units(sum(i.size() for i in result[0]), consistent))
        return result
