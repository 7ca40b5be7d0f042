"""Grading: checks that exercise tests call, and the nbgrader pipeline around them (layer 3).

In an exercise's test cell::

    from labsim.grading import check_stream_exists
    check_stream_exists(kinesis, "warmup", shards=2)

A failed check raises ``AssertionError`` saying what is wrong and how to fix it (``labsim.grading.checks``).

For instructors and tests (``labsim.grading.pipeline``; imported on first use, since nbgrader is heavy)::

    python -m labsim.grading generate      # rebuild exercises/ from solutions/
    python -m labsim.grading check         # is exercises/ up to date?
    python -m labsim.grading roundtrip 00-warm-up

    from labsim.grading import assert_round_trip, Wrong, autograde
"""

from __future__ import annotations

from typing import Any

from .checks import (
    check_hot_partition,
    check_order_kept,
    check_partition_keys,
    check_predictions_match_stream,
    check_records_read,
    check_refused_writes,
    check_same_in_another_process,
    check_sequence_numbers,
    check_shard_predictions,
    check_stream_exists,
    fill_stream,
    list_shards,
    new_test_seed,
    read_stream,
)

_PIPELINE = {
    "Scores", "Wrong", "assert_round_trip", "autograde", "check_sync", "edit_cells", "find_root",
    "generate", "list_assignments", "load_config", "strip_notebook",
}

__all__ = [
    "check_hot_partition", "check_order_kept", "check_partition_keys", "check_predictions_match_stream",
    "check_records_read", "check_refused_writes", "check_same_in_another_process",
    "fill_stream", "new_test_seed", "check_sequence_numbers",
    "check_shard_predictions", "check_stream_exists", "list_shards", "read_stream", *sorted(_PIPELINE),
]


def __getattr__(name: str) -> Any:
    if name in _PIPELINE:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'labsim.grading' has no attribute {name!r}")
