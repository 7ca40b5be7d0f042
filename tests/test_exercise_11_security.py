"""Graded exercise 11-security: the grader tells least privilege from over-broad and broken policies.

One autograde run grades the solution, the untouched student version and every wrong answer below;
each wrong answer must lose exactly the test cells named in ``loses`` and keep every other point.
Over-broad policies fail by behaviour (the role could do something it must not), never by their text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "11-security" / "security.ipynb"


def _replace(old: str, new: str):
    def edit(src: str) -> str:
        assert old in src, f"the solution no longer contains {old!r}: update this wrong answer"
        return src.replace(old, new)

    return edit


WRONG_ANSWERS = {
    "producer with kinesis:*": Wrong(
        {"producer": _replace('"Action": ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord", "kinesis:PutRecords"]',
                              '"Action": "kinesis:*"')},
        loses=["test_producer"],
    ),
    "producer on Resource *": Wrong(
        {"producer": _replace('"Resource": stream_arn}', '"Resource": "*"}')},
        loses=["test_producer"],
    ),
    "producer forgets kms:GenerateDataKey": Wrong(
        {"producer": _replace('"Action": "kms:GenerateDataKey"', '"Action": "kms:DescribeKey"')},
        loses=["test_producer"],
    ),
    "consumer forgets kms:Decrypt": Wrong(
        {"consumer": _replace('"Action": "kms:Decrypt"', '"Action": "kms:GenerateDataKey"')},
        loses=["test_consumer"],
    ),
    "consumer forgets ListShards": Wrong(
        {"consumer": _replace('"kinesis:ListShards", ', '')},
        loses=["test_consumer"],
    ),
    "consumer with kinesis:Get* and kinesis:Put* on every stream": Wrong(
        {"consumer": _replace('"Resource": stream_arn}', '"Resource": "*"}')},
        loses=["test_consumer"],
    ),
    "delivery role with s3:*": Wrong(
        {"delivery": _replace('"Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]', '"Action": "s3:*"')},
        loses=["test_delivery"],
    ),
    "delivery role names the bucket, not its objects": Wrong(
        {"delivery": _replace('f"arn:aws:s3:::{bucket}/*"', 'f"arn:aws:s3:::{bucket}"')},
        loses=["test_delivery"],
    ),
    "delivery role on every bucket": Wrong(
        {"delivery": _replace('f"arn:aws:s3:::{bucket}/*"', '"arn:aws:s3:::*"')},
        loses=["test_delivery"],
    ),
    "key policy lets the account use the key (kms:*)": Wrong(
        {"keypolicy": _replace('"Action": ["kms:Describe*",', '"Action": ["kms:*", "kms:Describe*",')},
        loses=["test_keypolicy"],
    ),
    "key policy gives consumers GenerateDataKey instead of Decrypt": Wrong(
        {"keypolicy": _replace('"Action": "kms:Decrypt"', '"Action": "kms:GenerateDataKey"')},
        loses=["test_keypolicy"],
    ),
}


@pytest.mark.notebook
def test_security_round_trip():
    scores = assert_round_trip(SOLUTION, wrong_answers=WRONG_ANSWERS)
    assert scores["solution"].total == scores["solution"].max_total == 12
    assert scores["untouched"].total == 0
