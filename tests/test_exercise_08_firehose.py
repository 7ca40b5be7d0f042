"""Graded exercise 08-firehose: the grader tells a correct configuration, packer and reader from the typical wrong ones.

One autograde run grades the solution, the untouched student version and every wrong answer below;
each wrong answer must lose exactly the test cells named in ``loses`` and keep every other point. The
hidden tests draw their traffic and data from a fresh seed on every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "08-firehose" / "firehose.ipynb"
PART1 = ["test_config", "test_freshness", "test_object_size", "test_layout"]

HINTS = '"BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 60},'
GZIP = '"CompressionFormat": "GZIP",'
ERRORS = '"ErrorOutputPrefix": "clicks-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",'


def _replace(*pairs):
    def edit(src: str) -> str:
        for old, new in pairs:
            assert old in src, f"the solution no longer contains {old!r}: update this wrong answer"
            src = src.replace(old, new)
        return src

    return edit


def _config(body: str):
    def edit(src: str) -> str:
        start = src.index("    ### BEGIN SOLUTION")
        end = src.index("    ### END SOLUTION")
        return src[:start] + f"    return {body}\n" + src[end:]

    return edit


NO_NEWLINE = ("        line = event + b\"\\n\"\n", "        line = event\n")
SPLIT_LINES = (
    "        text, pos = body.decode(\"utf-8\"), 0\n",
    "        events.extend(json.loads(line) for line in body.splitlines() if line.strip())\n"
    "        continue\n"
    "        text, pos = body.decode(\"utf-8\"), 0\n",
)
GZIP_ONLY = ("        elif key.endswith(\".zip\"):", "        elif False:")

WRONG_ANSWERS = {
    "the service's defaults": Wrong({"config": _config("{}")},
                                     loses=["test_freshness", "test_object_size", "test_layout"]),
    "a 300 s interval for big objects": Wrong(
        {"config": _replace((HINTS, '"BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 300},'))},
        loses=["test_freshness"]),
    "a 1 MiB buffer for freshness": Wrong(
        {"config": _replace((HINTS, '"BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},'))},
        loses=["test_object_size"]),
    "Snappy on the way to Redshift": Wrong({"config": _replace((GZIP, '"CompressionFormat": "Snappy",'))},
                                           loses=["test_layout"]),
    "an expression Prefix without ErrorOutputPrefix": Wrong({"config": _replace((ERRORS, ""))}, loses=PART1),
    "one event per record": Wrong({"pack": _config('[event + b"\\n" for event in events]')}, loses=["test_pack_cost"]),
    "packs events without newlines": Wrong({"pack": _replace(NO_NEWLINE)}, loses=["test_pack_roundtrip"]),
    "splits objects on newlines": Wrong({"reader": _replace(SPLIT_LINES)}, loses=["test_read_undelimited"]),
    "decompresses GZIP only": Wrong({"reader": _replace(GZIP_ONLY, (
        "        elif key.endswith(\".hsnappy\"):", "        elif False:"), (
        "        elif key.endswith(\".snappy\"):", "        elif False:"))}, loses=["test_read_formats"]),
}


@pytest.mark.notebook
def test_firehose_round_trip():
    scores = assert_round_trip(SOLUTION, wrong_answers=WRONG_ANSWERS)
    assert scores["solution"].max_total == 10


def test_exercise_is_generated_from_the_solution():
    assert check_sync(["08-firehose"], root=ROOT) == [], "run: python -m labsim.grading generate 08-firehose"
