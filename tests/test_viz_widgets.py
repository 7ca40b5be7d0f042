"""The explorers' shared base, without a browser: one finished picture per distinct setting, full labels,
bad input explained, and nothing left in pyplot (which would be displayed again at the end of a cell)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from labsim import Lab  # noqa: E402
from labsim.keyspace import even_hash_ranges  # noqa: E402
from labsim.viz.consumers import ConsumerModeExplorer, consumer_mode_explorer  # noqa: E402
from labsim.viz.kpl import KplExplorer, kpl_explorer  # noqa: E402
from labsim.viz.plots.png import IMAGE_DPI  # noqa: E402
from labsim.viz.producers import CapacityPlanner, capacity_planner  # noqa: E402
from labsim.viz.shards import KeyExplorer, key_explorer  # noqa: E402
from labsim.viz.widgets.explorer import Explorer  # noqa: E402

LISTING = {"Shards": [
    {"ShardId": f"shardId-{i:012d}", "HashKeyRange": {"StartingHashKey": str(a), "EndingHashKey": str(b)},
     "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
    for i, (a, b) in enumerate(even_hash_ranges(4))
]}


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


def picture(explorer: Explorer) -> Image.Image:
    """The explorer's PNG, decoded, after checking it is a complete, non-blank picture."""
    image = Image.open(io.BytesIO(explorer.png)).convert("RGBA")
    width, height = explorer.figsize
    assert abs(image.width - width * IMAGE_DPI) <= 1 and abs(image.height - height * IMAGE_DPI) <= 1, image.size
    assert image.getchannel("A").getextrema() == (255, 255), "transparent pixels: not drawn on a full canvas"
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "a blank or nearly blank picture"
    return image


def test_every_explorer_is_an_explorer_with_a_complete_picture_and_no_pyplot_figure(lab):
    before = plt.get_fignums()
    explorers = [key_explorer(LISTING, ["a", "b"], value="user-42"), consumer_mode_explorer(consumers=4),
                 capacity_planner(lab, seconds=5, rate=1000), kpl_explorer(lab, rate=1000, seconds=1)]
    for explorer, cls in zip(explorers, (KeyExplorer, ConsumerModeExplorer, CapacityPlanner, KplExplorer)):
        assert isinstance(explorer, cls) and isinstance(explorer, Explorer)
        assert "labsim-explorer" in explorer._dom_classes
        assert explorer.redraws == 1 and explorer.result is not None and explorer.summary.value
        picture(explorer)
        assert explorer.children[-1] is explorer.image and explorer.image.format == "png"
    assert plt.get_fignums() == before, "an explorer left a pyplot figure for the inline backend to show again"


def test_one_redraw_per_distinct_setting():
    explorer = consumer_mode_explorer(consumers=3)
    first = explorer.png
    controls = explorer.controls
    controls["consumers"].value = 3  # an echo of the value on show: nothing to do
    assert explorer.redraws == 1 and explorer.png == first
    controls["consumers"].value = 6  # a learner's move
    assert explorer.redraws == 2 and explorer.png != first
    assert "0.33 MiB/s each" in explorer.summary.value
    explorer.set(consumers=2, shards=2, write_mib_per_s=0.5)  # three controls, one picture
    assert explorer.redraws == 3 and explorer.result["polling"]["per_consumer_mib_per_s"] == 0.5
    assert explorer.update() is explorer.result and explorer.redraws == 3
    with pytest.raises(ValueError, match="unknown setting"):
        explorer.set(colour="red")


def test_a_bad_key_is_explained_in_the_widget_and_the_next_good_one_drawn():
    explorer = key_explorer(LISTING, value="user-42")
    shown = explorer.png
    explorer.text.value = ""  # a learner empties the box: no exception lost in the comm handler
    assert "non-empty string" in explorer.summary.value and explorer.png == shown
    explorer.text.value = "x" * 257
    assert "at most 256" in explorer.summary.value
    with pytest.raises(ValueError):  # from code, the error is raised as usual
        explorer.show("")
    explorer.show("user-42")  # the key drawn before the mistake is drawn again, with its summary
    assert explorer.result["ShardId"] == "shardId-000000000001" and "goes to" in explorer.summary.value
    assert explorer.redraws == 2


def test_labels_are_wide_enough_for_their_text(lab):
    explorers = [key_explorer(LISTING), consumer_mode_explorer(), kpl_explorer(lab, rate=1000, seconds=1)]
    for explorer in explorers:
        for control in explorer.controls.values():
            if type(control).__name__ == "Checkbox" or not control.description:
                continue
            width = control.style.description_width
            assert width.endswith("ch") and float(width[:-2]) >= len(control.description) + 2, (control.description, width)


def test_a_run_that_fails_after_the_lab_stopped_says_so_in_the_widget():
    with Lab() as lab:
        planner = capacity_planner(lab, seconds=5, rate=1000)
    shown = planner.png
    planner.shard_slider.value = 2  # the lesson's last cell stopped the lab; the learner moves a slider
    assert "This run failed" in planner.summary.value and "lab" in planner.summary.value
    assert planner.png == shown and planner.redraws == 1
