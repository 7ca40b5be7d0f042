"""The grading pipeline: exercises/ is generated from solutions/, and the grader tells right from wrong.

Later units add their own round trip with one call, e.g.::

    def test_streams_round_trip():
        assert_round_trip(SOLUTIONS / "02-streams" / "writes.ipynb", wrong_answers={...})
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync, edit_cells, generate, list_assignments, load_config
from labsim.grading.__main__ import main as grading_cli

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
WARM_UP = SOLUTIONS / "00-warm-up" / "warm-up.ipynb"

HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION")


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_config_names_the_course_folders():
    config = load_config(ROOT)
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "exercises"
    assert config.CourseDirectory.course_id


def test_autograde_cell_timeout_is_what_the_config_says():
    from nbgrader.preprocessors import Execute

    config = load_config(ROOT)
    configured = config.ExecutePreprocessor.timeout
    assert configured == 120
    # nbgrader's own Execute preprocessor (the one autograde runs) must pick the setting up.
    assert Execute(config=config).timeout == configured


def test_every_assignment_is_listed():
    assert "00-warm-up" in list_assignments(ROOT)


def test_exercises_are_in_sync_with_solutions(capsys):
    assert check_sync(root=ROOT) == [], "run: python -m labsim.grading generate"
    assert grading_cli(["check", "--root", str(ROOT)]) == 0
    assert "in sync" in capsys.readouterr().out


def test_plain_nbgrader_output_matches_the_committed_exercises(tmp_path):
    """An instructor who runs `nbgrader generate_assignment <unit> --force` in the repository (to fill
    the gradebook before autograding) must not get a diff in exercises/."""
    from labsim.grading.pipeline import _Course

    course = _Course(ROOT, tmp_path)
    for assignment in list_assignments(ROOT):
        course.add_source(assignment, SOLUTIONS / assignment)
        released = course.release(assignment, database=False)  # the database does not change the notebook
        for path in _notebooks(released):
            committed = EXERCISES / assignment / path.name
            assert path.read_bytes() == committed.read_bytes(), f"{committed} differs from nbgrader's own output"


def test_every_solution_has_a_committed_exercise():
    for assignment in list_assignments(ROOT):
        for solution in _notebooks(SOLUTIONS / assignment):
            assert (EXERCISES / assignment / solution.name).is_file(), f"{solution} has no exercise"


@pytest.mark.parametrize("folder", [SOLUTIONS, EXERCISES], ids=["solutions", "exercises"])
def test_committed_notebooks_carry_no_outputs(folder):
    for path in _notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        assert "widgets" not in nb.metadata, f"{path}: widget state in metadata"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path}: cell {cell.get('id')} has outputs"


def test_hidden_tests_and_solutions_never_reach_students(tmp_path):
    fresh = generate(root=ROOT, dest=tmp_path)
    assert fresh, "no exercises generated"
    for path in [*fresh, *_notebooks(EXERCISES)]:
        text = path.read_text(encoding="utf-8")
        for marker in HIDDEN_MARKERS:
            assert marker not in text, f"{path} contains {marker!r}"
    # ...while the instructor version has them, and every hidden test sits in a graded cell.
    hidden = 0
    for path in _notebooks(SOLUTIONS):
        for cell in nbformat.read(path, as_version=4).cells:
            if "BEGIN HIDDEN TESTS" in cell.source:
                hidden += 1
                assert cell.metadata["nbgrader"]["grade"], f"{path}: hidden tests outside a graded cell"
    assert hidden >= 1


def test_hidden_test_code_is_absent_not_just_its_markers():
    solution = nbformat.read(WARM_UP, as_version=4)
    exercise = (EXERCISES / "00-warm-up" / "warm-up.ipynb").read_text(encoding="utf-8")
    for cell in solution.cells:
        if "### BEGIN HIDDEN TESTS" in cell.source:
            body = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            for line in body.splitlines():
                line = line.strip()
                if len(line) > 25 and not line.startswith("#"):
                    assert json.dumps(line)[1:-1] not in exercise, f"hidden test line leaked: {line}"


def test_edit_cells_refuses_unknown_cells_and_empty_edits():
    with pytest.raises(KeyError, match="no cell with grade_id"):
        edit_cells(WARM_UP, {"no-such-cell": "pass"})
    with pytest.raises(ValueError, match="changed nothing"):
        edit_cells(WARM_UP, {"read": lambda src: src.replace("no such text", "x")})
    edited = edit_cells(WARM_UP, {"read": "records = []"})
    assert [c.source for c in edited.cells if c.get("id") == "read"] == ["records = []"]


# --- the round trip: solution full marks, untouched zero, typical mistakes lose their part -----------
HASH_PREDICT = '''
def predict_shard(partition_key, shards):
    return shards[hash(partition_key) % len(shards)]["ShardId"]
'''

FIRST_SHARD_ONLY = '''
def read_all(stream):
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return kinesis.get_records(ShardIterator=iterator)["Records"]

records = read_all(STREAM)
'''

# Enough for the visible ten records: one GetRecords call per shard, never following NextShardIterator.
ONE_PAGE_PER_SHARD = '''
def read_all(stream):
    found = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found.extend(kinesis.get_records(ShardIterator=iterator)["Records"])
    return found

records = read_all(STREAM)
'''

# Reads the notebook's own stream whatever it is asked for.
IGNORES_ITS_ARGUMENT = '''
def read_all(stream):
    found = []
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator)
            found.extend(response["Records"])
            if response["MillisBehindLatest"] == 0:
                break
            iterator = response["NextShardIterator"]
    return found

records = read_all(STREAM)
'''


@pytest.mark.slow
def test_warm_up_round_trip():
    scores = assert_round_trip(
        WARM_UP,
        wrong_answers={
            "reads with a LATEST iterator": Wrong(
                {"read": lambda src: src.replace('"TRIM_HORIZON"', '"LATEST"')}, loses=["test_read"]
            ),
            "reads only the first shard": Wrong({"read": FIRST_SHARD_ONLY}, loses=["test_read"]),
            "reads one page per shard": Wrong({"read": ONE_PAGE_PER_SHARD}, loses=["test_read"]),
            "reads STREAM whatever it is asked": Wrong({"read": IGNORES_ITS_ARGUMENT}, loses=["test_read"]),
            # Passes on a healthy lab; the hidden test makes the service answer with empty batches first.
            "stops at the first empty batch": Wrong(
                {"read": lambda src: src.replace(
                    '            found.extend(response["Records"])\n',
                    '            found.extend(response["Records"])\n            if not response["Records"]:\n                break\n')},
                loses=["test_read"]),
            "predicts with hash() % shards": Wrong({"predict": HASH_PREDICT}, loses=["test_predict"]),
            "writes only nine readings": Wrong(
                {"write": lambda src: src.replace("in READINGS:", "in READINGS[:9]:")}, loses=["test_write"]
            ),
            "creates one shard": Wrong(
                {"create": lambda src: src.replace("ShardCount=2", "ShardCount=1")}, loses=["test_create"]
            ),
        },
    )
    assert scores["solution"].total == scores["solution"].max_total == 10
    assert scores["untouched"].total == 0
    assert "TRIM_HORIZON" in scores["reads with a LATEST iterator"].errors["test_read"]
    assert "shardId-000000000001" in scores["reads only the first shard"].errors["test_read"]
    assert "at most 10,000 records" in scores["reads one page per shard"].errors["test_read"]
    assert "an empty batch is not the end" in scores["stops at the first empty batch"].errors["test_read"]
    assert "has 9 entries but 10" in scores["writes only nine readings"].errors["test_write"]
    assert scores["writes only nine readings"].as_dict()["total"] == 8



def test_visible_test_cells_end_without_a_value_nbgrader_would_read_as_a_score():
    """nbgrader reads a graded cell's last output value as its score: a test cell that ends with a bare call
    returning something (a list, a number) makes `nbgrader validate` warn and may change the grade."""
    import ast

    for path in _notebooks(EXERCISES):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            tree = ast.parse(cell.source)
            last = tree.body[-1] if tree.body else None
            if isinstance(last, ast.Expr):
                call = last.value
                func = getattr(call, "func", None)
                name = getattr(func, "id", "") or getattr(func, "attr", "")  # check_x() or report.check_x()
                assert isinstance(call, ast.Call) and name.startswith("check_"), (
                    f"{path.name}: cell {meta['grade_id']} ends with `{ast.unparse(last)}`, whose value nbgrader "
                    "would read as a score: assign it (`_ = ...`) or end with a check_* call, which returns None."
                )


def test_errors_are_told_apart_by_graded_and_ungraded_cells():
    # assert_round_trip fails a solution that raises in any cell, graded or not (it is the suite's run of it).
    from nbformat import v4

    from labsim.grading.pipeline import _errors

    def cell(source, error, **nbgrader):
        c = v4.new_code_cell(source, metadata={"nbgrader": nbgrader} if nbgrader else {})
        c.outputs = [v4.new_output("error", ename=error, evalue="why", traceback=[])] if error else []
        return c

    nb = v4.new_notebook(cells=[cell("setup()", "NameError"), cell("assert ok", "AssertionError", grade=True,
                                grade_id="test_ok", points=1), cell("fine = 1", None)])
    assert _errors(nb) == {"test_ok": "AssertionError: why"}
    assert _errors(nb, graded=False) == {"cell 0": "NameError: why"}
