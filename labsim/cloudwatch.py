"""CloudWatch physics (layer 1): metric queries match dimensions the way CloudWatch does.

CloudWatch treats each distinct combination of dimensions as its own metric, so
``GetMetricStatistics`` with ``[StreamName=clicks]`` returns only the datapoints published with
exactly that dimension set, never the per-shard ones published with ``[StreamName, ShardId]``, and a
query with no dimensions matches only metrics that have none. moto matches any metric whose
dimensions *include* the requested ones, which doubles stream totals as soon as shard-level metrics
are on. This subclass restores CloudWatch's rule.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from moto.cloudwatch.models import CloudWatchBackend

from . import _moto


class LabCloudWatchBackend(_moto.LabBackendMixin, CloudWatchBackend):
    moto_service = "cloudwatch"

    #: Callables that publish pending datapoints (bound per lab by ``swap_backend_class``).
    publishers: list[Callable[[], Any]] = []

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._query = threading.local()

    def _publish(self) -> None:
        for publish in list(self.publishers):
            publish()

    def get_metric_data(self, *args: Any, **kwargs: Any) -> Any:
        self._publish()
        return super().get_metric_data(*args, **kwargs)

    def list_metrics(self, *args: Any, **kwargs: Any) -> Any:
        self._publish()
        return super().list_metrics(*args, **kwargs)

    def get_metric_statistics(self, namespace: str, metric_name: str, start_time: Any, end_time: Any,
                              period: int, stats: list[str], dimensions: list[dict[str, str]],
                              unit: str | None = None) -> Any:
        self._publish()
        # moto filters inside this method through get_all_metrics(); narrow that list to the
        # exact dimension set for the duration of the query.
        self._query.exact = frozenset((d["Name"], d["Value"]) for d in (dimensions or []))
        try:
            return super().get_metric_statistics(namespace, metric_name, start_time, end_time, period, stats,
                                                 dimensions, unit)
        finally:
            self._query.exact = None

    def get_all_metrics(self) -> Any:
        metrics = super().get_all_metrics()
        exact = getattr(self._query, "exact", None)
        if exact is None:
            return metrics
        return [m for m in metrics if frozenset((d.name, d.value) for d in m.dimensions) == exact]


class CloudWatchPhysics:
    """CloudWatch's physics: exact dimension matching, and publishers flushed before every read.

    A service that aggregates its metrics (Kinesis: one datapoint per metric per second) adds a
    publisher; every metrics read in the lab (GetMetricStatistics, GetMetricData, ListMetrics)
    calls them first, so a lesson sees its traffic at once.
    """

    name = "cloudwatch"

    def __init__(self) -> None:
        self._undo: Any = None
        self.publishers: list[Callable[[], Any]] = []

    def add_publisher(self, publish: Callable[[], Any]) -> Callable[[], None]:
        self.publishers.append(publish)

        def undo() -> None:
            if publish in self.publishers:
                self.publishers.remove(publish)

        return undo

    def start(self, lab: Any) -> None:
        self._undo = _moto.swap_backend_class("cloudwatch", LabCloudWatchBackend, lab.context, publishers=self.publishers)

    def stop(self, lab: Any) -> None:
        if self._undo is not None:
            self._undo()
            self._undo = None

