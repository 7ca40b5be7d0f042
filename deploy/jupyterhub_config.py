"""JupyterHub for a class taking "Kinesis by experiment" on one Linux server.

`python3 deploy/install.py` (as root) installs the course once for every user under a prefix
(default /opt/kinesis-course) and copies this file to <prefix>/etc/; then run the hub as root:

    <prefix>/venv/bin/jupyterhub -f <prefix>/etc/jupyterhub_config.py

Who may log in: the local (Unix) accounts of two groups, learners in `kinesis-students` and teachers in
`kinesis-instructors` (hub admins). Each learner's JupyterLab runs as their own account, started by
start_lab.py, which makes their home private: nobody sees another learner's labs, quiz history or work.
Graded exercises travel through nbgrader's exchange folder (release, fetch, submit, collect).
deploy/README.md has the whole story, including growing this onto Kubernetes.
"""

import json
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when JupyterHub loads this file)

HERE = Path(__file__).resolve().parent
CLASS = json.loads((HERE / "class.json").read_text())  # written by install.py: prefix, exchange, groups
PREFIX = Path(CLASS["prefix"])
VENV_BIN = PREFIX / "venv" / "bin"
STATE = PREFIX / "state"  # the hub's database and cookie secret (root only)

# --- the hub and its proxy ------------------------------------------------------------------------
# Listen on every interface on port 8000; put HTTPS in front (a reverse proxy, or
# c.JupyterHub.ssl_cert / ssl_key) before real learners log in with real passwords.
c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.hub_ip = "127.0.0.1"  # the hub's own API is only for the proxy and the learners' labs
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
# The proxy installed with the course's `hub` extra (a Python port of configurable-http-proxy, so the
# server needs no Node.js); the node one from npm works the same if it is on PATH instead.
c.ConfigurableHTTPProxy.command = [str(VENV_BIN / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"

# --- who may log in ---------------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"  # the server's own accounts and passwords
c.PAMAuthenticator.allowed_groups = {CLASS["students_group"], CLASS["instructors_group"]}
c.PAMAuthenticator.admin_groups = {CLASS["instructors_group"]}

# --- each learner's lab -------------------------------------------------------------------------------
# LocalProcessSpawner runs every lab as its owner's Unix account: the operating system, not the
# course, keeps learners apart. start_lab.py (as the learner) makes the home private, copies the
# course on first start, then execs jupyterhub-singleuser with the arguments the spawner adds.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV_BIN / "python"), str(HERE / "start_lab.py")]
c.Spawner.ip = "127.0.0.1"
c.Spawner.notebook_dir = "~/kinesis-course"
c.Spawner.default_url = "/lab/tree/lessons/00-start-here.ipynb"
c.Spawner.environment = {
    # nbgrader's exchange and course id for every lab (and every `nbgrader` run in its terminals)
    "JUPYTER_CONFIG_PATH": str(HERE / "jupyter"),
    # the course's tools first in every terminal: nbgrader, and the alembic it runs to make gradebooks
    "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
}
# A lab starts JupyterLab, then the course's simulator in each kernel: give a busy small server time.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120
# Stop the labs with the hub (the default, spelled out: a class server left running holds no labs).
c.JupyterHub.cleanup_servers = True
