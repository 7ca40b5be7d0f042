"""Amazon Redshift, as far as Firehose loads it and a learner queries it (layer 1).

- Clusters are moto's (``redshift.create_cluster``: identifier, master user and password, database
  ``dev`` by default, endpoint ``<id>.<unique>.<region>.redshift.amazonaws.com:5439``).
- Each cluster's database is an embedded DuckDB database (``warehouse``; why DuckDB: see there).
- ``copy``: Redshift's COPY as Firehose issues it (CopyCommand: DataTableName, DataTableColumns,
  CopyOptions), rejected rows in ``stl_load_errors``.
- ``data_api``: the Redshift Data API (ExecuteStatement, DescribeStatement, GetStatementResult,
  ListStatements) served in-process, so a notebook queries with plain boto3.

For lessons: ``sql(lab, cluster, query, database="dev")`` runs SQL on a cluster's database from the
lab side and returns (column names, rows).
"""

from __future__ import annotations

from typing import Any

from .warehouse import drop_warehouses, warehouse_for

__all__ = ["RedshiftPhysics", "sql", "warehouse_for"]


def sql(lab: Any, cluster: str, query: str, database: str = "dev", region: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``query`` on ``cluster``'s database (lab side); (column names, rows)."""
    warehouse = warehouse_for(lab.context, lab.context.account_id, region or lab.region, cluster, database)
    columns, rows, _ = warehouse.execute(query)
    return [c for c, _ in columns], rows


class RedshiftPhysics:
    """Serves the Redshift Data API from the lab's embedded databases (``labsim.lab.Physics``)."""

    name = "redshift"

    def __init__(self) -> None:
        self._undo: list[Any] = []
        self._context: Any = None

    def start(self, lab: Any) -> None:
        from labsim.transport import router

        from .data_api import DataApi

        self._context = lab.context
        api = DataApi(lab.context)
        for operation, handler in api.handlers().items():
            self._undo.append(router.register("redshift-data", operation, handler))

    def stop(self, lab: Any) -> None:
        while self._undo:
            self._undo.pop()()
        if self._context is not None:
            drop_warehouses(self._context)
