"""nbgrader settings for every lab on the class hub (found through JUPYTER_CONFIG_PATH).

The exchange is the one folder learners and instructors share: the instructor releases into it,
learners fetch from it and submit into it (nbgrader makes the inbound folder write-only for them, so
nobody can read another learner's submission), the instructor collects from it.
The course folder's own nbgrader_config.py (copied to instructors' ~/kinesis-course) adds the rest.
"""

import json
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

CLASS = json.loads((Path(__file__).resolve().parents[1] / "class.json").read_text())  # by install.py

c.Exchange.root = CLASS["exchange"]
c.CourseDirectory.course_id = CLASS["course_id"]
