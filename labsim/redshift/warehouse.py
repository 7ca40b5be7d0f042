"""One embedded SQL database per simulated Redshift cluster and database: DuckDB, in memory.

Why DuckDB rather than SQLite: its SQL is PostgreSQL's dialect, as Redshift's is (``varchar(32)``,
``timestamp``, ``decimal(10,2)``, ``::`` casts, ``date_trunc``, window functions all parse), it types
columns strictly as Redshift does (a COPY of "abc" into an ``int`` column is an error, not a stored
string), and the same engine reads the Parquet files format conversion writes, so a lesson uses one
query engine throughout. It is already a dependency of the course.

``warehouse_for(context, account, region, cluster, database)`` gives the ``Warehouse`` (created on
first use); the connection is guarded by a lock because Firehose's COPY runs on the clock's thread
while a notebook queries.
"""

from __future__ import annotations

import re
import threading
from typing import Any

_RETURNS_ROWS = re.compile(r"\s*(\(\s*)*(select|with|values|show|describe|explain|pragma|table|from|summarize)\b", re.I)
_WAREHOUSES: dict[tuple[int, str, str, str, str], "Warehouse"] = {}
_LOCK = threading.Lock()


class Warehouse:
    """A cluster's database: a DuckDB connection and a lock."""

    __slots__ = ("cluster", "database", "connection", "lock")

    def __init__(self, cluster: str, database: str) -> None:
        import duckdb

        self.cluster = cluster
        self.database = database
        self.connection = duckdb.connect(":memory:")
        self.lock = threading.RLock()
        # Redshift's system table of rejected COPY rows, so a learner can ask why rows are missing.
        self.connection.execute(
            "create table stl_load_errors (starttime timestamp, filename varchar, line_number bigint, "
            "colname varchar, raw_line varchar, raw_field_value varchar, err_code integer, err_reason varchar)")

    def execute(self, sql: str, parameters: list[Any] | None = None) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]], int]:
        """Run one statement: (column names and types, rows, rows affected)."""
        with self.lock:
            cursor = self.connection.execute(sql, parameters or [])
            rows = cursor.fetchall() if cursor.description is not None else []
            if not _RETURNS_ROWS.match(sql):  # DDL and DML: DuckDB answers a "Count" column, not a result set
                affected = rows[0][0] if rows and isinstance(rows[0][0], int) else 0
                return [], [], affected
            columns = [(d[0], str(d[1])) for d in cursor.description or []]
            return columns, rows, 0

    def table_columns(self, table: str) -> list[tuple[str, str]] | None:
        """The table's (column name, type) in order, or None when it does not exist."""
        schema, _, name = table.rpartition(".")
        with self.lock:
            rows = self.connection.execute(
                "select column_name, data_type from information_schema.columns where lower(table_name) = lower(?) "
                + ("and lower(table_schema) = lower(?) " if schema else "") + "order by ordinal_position",
                [name, schema] if schema else [name]).fetchall()
        return [(r[0], r[1]) for r in rows] or None

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def warehouse_for(context: Any, account_id: str, region: str, cluster: str, database: str) -> Warehouse:
    key = (id(context), account_id, region, cluster, database)
    with _LOCK:
        found = _WAREHOUSES.get(key)
        if found is None:
            found = _WAREHOUSES[key] = Warehouse(cluster, database)
        return found


def drop_warehouses(context: Any) -> None:
    """Close the databases of a lab that stops."""
    with _LOCK:
        keys = [k for k in _WAREHOUSES if k[0] == id(context)]
        gone = [_WAREHOUSES.pop(k) for k in keys]
    for warehouse in gone:
        warehouse.close()
