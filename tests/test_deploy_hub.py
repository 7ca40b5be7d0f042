"""A class on a real JupyterHub: one instructor, three learners, nbgrader's exchange between them.

The test installs the course the way deploy/install.py does for a class (into a scratch prefix, reusing
this checkout's environment), creates four local Unix accounts (and a fifth outside the class) and two groups, starts JupyterHub and its
proxy on 127.0.0.1 (free ports), and drives nbgrader's whole flow through each user's own lab:

- the instructor (in a kernel of their lab) generates and releases 00-warm-up;
- each learner fetches it through nbgrader's Assignments API of their own lab, saves an answer through
  Jupyter's contents API, and submits: the solution, the untouched exercise, a typical wrong answer;
- the instructor collects, autogrades and exports; grades.csv says 10, 0 and 8.

It also checks that the hub and its proxy listen on 127.0.0.1 only, that the class logs in through the
hub's login form with Unix passwords (PAM) while a wrong password and an account outside the class's
groups are refused, and that the labs are isolated (each runs as its owner, homes are private, learners
can neither read the solutions nor list the submissions). Then it stops the hub (which stops the labs
and the proxy), checks that no process of the class's accounts is left, deletes the accounts and groups
and takes back every permission it granted.

It needs root (it creates Unix accounts, and the hub runs each lab as its owner). On a laptop,
deselect it: `python3 course.py test -m "not hub"`. CI runs it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "00-warm-up"
NOTEBOOK = "warm-up.ipynb"
SOLUTION = ROOT / "solutions" / ASSIGNMENT / NOTEBOOK
EXCHANGE_COURSE = "kinesis-by-experiment"
START_TIMEOUT = 240  # seconds for the hub or a lab to come up on a busy 2-core machine

pytestmark = [pytest.mark.hub, pytest.mark.slow]


# --- helpers: the machine -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


class Grants:
    """Adds 'others may traverse' (o+x, never read) to folders the labs must pass through to reach this
    checkout's environment, and takes each grant back afterwards."""

    def __init__(self) -> None:
        self.changed: list[tuple[Path, int]] = []

    def traverse(self, path: Path) -> None:
        for folder in [path, *path.parents]:
            mode = folder.stat().st_mode & 0o7777
            if not mode & 0o001:
                self.changed.append((folder, mode))
                folder.chmod(mode | 0o001)

    def restore(self) -> None:
        for folder, mode in reversed(self.changed):
            folder.chmod(mode)


def _processes_of(uids: set[int]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                pass
    return pids


# --- helpers: talking to the hub and the labs -----------------------------------------------------------
class Hub:
    def __init__(self, url: str, token: str, process: subprocess.Popen, log: Path) -> None:
        import requests

        self.url, self.token, self.process, self.log = url, token, process, log
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {token}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def api(self, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.url}/hub/api{path}", timeout=60, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}\n{self.log_tail()}"
        return response.json() if response.content else None

    def lab(self, user: str, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.url}/user/{user}{path}", timeout=300, **kwargs)
        assert response.status_code < 400, f"{user}: {method} {path}: {response.status_code} {response.text[:2000]}"
        return response.json() if response.content else None

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"JupyterHub exited:\n{self.log_tail()}"
            try:
                if self.http.get(f"{self.url}/hub/api/", timeout=5).status_code == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"JupyterHub did not answer in {START_TIMEOUT} s:\n{self.log_tail()}")

    def start_labs(self, users: list[str]) -> None:
        for user in users:
            self.api("POST", f"/users/{user}/server")
        deadline = time.monotonic() + START_TIMEOUT
        waiting = set(users)
        while waiting and time.monotonic() < deadline:
            for user in sorted(waiting):
                server = self.api("GET", f"/users/{user}")["servers"].get("", {})
                if server.get("ready"):
                    waiting.discard(user)
            time.sleep(1)
        assert not waiting, f"labs not ready after {START_TIMEOUT} s: {sorted(waiting)}\n{self.log_tail()}"

    def execute(self, user: str, code: str) -> str:
        """Run ``code`` in a fresh kernel of ``user``'s lab; return what it printed (fail on an error)."""
        kernel = self.lab(user, "POST", "/api/kernels", json={"name": "python3"})
        try:
            return asyncio.run(self._execute(user, kernel["id"], code))
        finally:
            self.lab(user, "DELETE", f"/api/kernels/{kernel['id']}")

    async def _execute(self, user: str, kernel_id: str, code: str) -> str:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        ws_url = self.url.replace("http://", "ws://") + f"/user/{user}/api/kernels/{kernel_id}/channels"
        connection = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {self.token}"}))
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                  "session": uuid.uuid4().hex, "version": "5.3", "date": ""}
        content = {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        connection.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                             "content": content, "channel": "shell", "buffers": []}))
        printed, error = [], None
        try:
            while True:
                raw = await asyncio.wait_for(connection.read_message(), START_TIMEOUT)
                assert raw is not None, f"{user}'s kernel closed the connection"
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["msg_type"]
                if kind == "stream":
                    printed.append(message["content"]["text"])
                elif kind == "error":
                    error = f"{message['content']['ename']}: {message['content']['evalue']}"
                elif kind == "status" and message["content"]["execution_state"] == "idle":
                    break
        finally:
            connection.close()
        output = "".join(printed)
        assert error is None, f"{user}'s kernel raised {error}\n{output[-4000:]}"
        return output


# --- the class --------------------------------------------------------------------------------------------
@pytest.fixture
def class_hub():
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.fail(
            "the class test creates local Unix accounts and runs a lab as each of them, which needs root "
            "on Linux (CI runs it so). On a laptop, deselect it: python3 course.py test -m \"not hub\"",
            pytrace=False,
        )
    tag = "kbe" + secrets.token_hex(3)
    instructor, students = f"{tag}-teach", [f"{tag}-{n}" for n in ("ana", "ben", "cy")]
    groups = {"instructors": f"{tag}-instructors", "students": f"{tag}-students"}
    base = Path(tempfile.mkdtemp(prefix="kbe-class-"))
    base.chmod(0o755)  # the labs read the installed course under it; nothing in it is secret but state/
    grants, created_users, created_groups = Grants(), [], []
    process = None
    try:
        for group in groups.values():
            _run("groupadd", group)
            created_groups.append(group)
        for user, group in [(instructor, groups["instructors"]), *[(s, groups["students"]) for s in students]]:
            _run("useradd", "--create-home", "--base-dir", str(base / "home"), "--gid", group, "--shell", "/bin/bash", user)
            created_users.append(user)
        outsider = f"{tag}-out"  # a local account in neither of the class's groups
        _run("useradd", "--create-home", "--base-dir", str(base / "home"), outsider)
        created_users.append(outsider)
        passwords = {user: secrets.token_urlsafe(12) for user in created_users}
        subprocess.run(["chpasswd"], input="".join(f"{u}:{pw}\n" for u, pw in passwords.items()),
                       check=True, capture_output=True, text=True)
        (base / "home").chmod(0o755)
        grants.traverse(base)  # $TMPDIR may be private
        grants.traverse(ROOT)
        grants.traverse(Path(sys.prefix).resolve())

        prefix = base / "opt"
        subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "install.py"), "--prefix", str(prefix),
             "--exchange", str(base / "exchange"), "--python", sys.executable,
             "--instructors-group", groups["instructors"], "--students-group", groups["students"]],
            check=True, capture_output=True, text=True,
        )
        port, api_port, hub_port = _free_port(), _free_port(), _free_port()
        token = secrets.token_hex(32)
        wrapper = prefix / "state" / "test_config.py"
        wrapper.write_text(
            "c = get_config()  # noqa\n"
            f"load_subconfig({str(prefix / 'etc' / 'jupyterhub_config.py')!r})\n"
            f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'\n"
            f"c.JupyterHub.hub_port = {hub_port}\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
            f"c.JupyterHub.services = [{{'name': 'class-test', 'api_token': {token!r}}}]\n"
            "c.JupyterHub.load_roles = [{'name': 'class-test', 'services': ['class-test'], 'scopes': "
            "['admin:users', 'admin:servers', 'access:servers', 'read:users']}]\n"
        )
        log = prefix / "state" / "hub.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(prefix / "venv" / "bin" / "jupyterhub"), "-f", str(wrapper)],
                cwd=prefix / "state", stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        hub = Hub(f"http://127.0.0.1:{port}", token, process, log)
        hub.wait_until_up()
        hub.api("POST", "/users", json={"usernames": [instructor, *students]})
        hub.start_labs([instructor, *students])
        yield {"hub": hub, "instructor": instructor, "students": students, "base": base, "prefix": prefix,
               "ports": (port, api_port, hub_port), "outsider": outsider, "passwords": passwords}
    finally:
        leftovers = []
        if process is not None:
            process.send_signal(signal.SIGTERM)  # the hub stops every lab and its proxy on the way out
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        uids = {pwd.getpwnam(u).pw_uid for u in created_users}
        for pid in _processes_of(uids):  # only processes of the accounts this test created
            leftovers.append(pid)
            os.kill(pid, signal.SIGKILL)
        for user in created_users:
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        for group in created_groups:
            subprocess.run(["groupdel", group], capture_output=True)
        grants.restore()
        shutil.rmtree(base, ignore_errors=True)
        assert not leftovers, f"processes of the class accounts outlived the hub: {leftovers}"


def _answer(exercise: dict, edits: dict[str, str] | None = None) -> dict:
    """The fetched exercise with its solution cells filled in, as a learner would type them."""
    solution = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(SOLUTION, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    for grade_id, replacement in (edits or {}).items():
        assert replacement[0] in solution[grade_id], f"the wrong answer's edit no longer applies to {grade_id}"
        solution[grade_id] = solution[grade_id].replace(*replacement)
    for cell in exercise["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solution:
            cell["source"] = solution[grade_id]
    return exercise


INSTRUCTOR_RUN = '''
import os, subprocess, sys
COURSE = os.path.expanduser("~/kinesis-course")
def nbgrader(*args):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=COURSE, capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {args} failed:\\n{done.stdout[-3000:]}\\n{done.stderr[-3000:]}"
'''


def _check_release_fetch_submit_collect_autograde_export(class_hub):
    hub, teacher, (right, untouched, wrong) = class_hub["hub"], class_hub["instructor"], class_hub["students"]

    # The instructor records the assignment in the gradebook and releases it to the exchange.
    hub.execute(teacher, INSTRUCTOR_RUN + f'nbgrader("generate_assignment", "{ASSIGNMENT}", "--force")\n'
                f'nbgrader("release_assignment", "{ASSIGNMENT}", "--force")\n')

    answers = {
        right: lambda nb: _answer(nb),
        untouched: lambda nb: nb,
        wrong: lambda nb: _answer(nb, {"write": ("in READINGS:", "in READINGS[:9]:")}),  # nine of ten
    }
    for student, answer in answers.items():
        listed = hub.lab(student, "GET", "/assignments", params={"course_id": EXCHANGE_COURSE})
        assert [a["assignment_id"] for a in listed["value"] if a["status"] == "released"] == [ASSIGNMENT], listed
        hub.lab(student, "POST", "/assignments/fetch", data={"course_id": EXCHANGE_COURSE, "assignment_id": ASSIGNMENT})
        path = f"/api/contents/{ASSIGNMENT}/{NOTEBOOK}"
        fetched = hub.lab(student, "GET", path, params={"content": 1})["content"]
        assert "raise NotImplementedError()" in json.dumps(fetched), "the learner fetched the student version"
        assert "BEGIN HIDDEN TESTS" not in json.dumps(fetched)
        hub.lab(student, "PUT", path, json={"type": "notebook", "format": "json", "content": answer(fetched)})
        submitted = hub.lab(student, "POST", "/assignments/submit",
                            data={"course_id": EXCHANGE_COURSE, "assignment_id": ASSIGNMENT})
        assert "success" not in submitted or submitted["success"], submitted

    printed = hub.execute(teacher, INSTRUCTOR_RUN + f'nbgrader("collect", "{ASSIGNMENT}")\n'
                          f'nbgrader("autograde", "{ASSIGNMENT}", "--create")\n'
                          'nbgrader("export")\n'
                          'print(open(os.path.join(COURSE, "grades.csv")).read())\n')
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(printed))}
    assert set(rows) == {right, untouched, wrong}, printed
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in nbformat.read(SOLUTION, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert sum(points.values()) == 10 and points["test_write"] == 2
    # Nine readings of ten fail test_write alone: exactly its 2 points lost, 8 of 10.
    assert {s: float(rows[s]["score"]) for s in rows} == {right: 10.0, untouched: 0.0, wrong: 8.0}
    assert {float(r["max_score"]) for r in rows.values()} == {10.0}


ISOLATION_PROBE = '''
import json, os, pwd
from pathlib import Path
from labsim.quiz.history import History
History().save()  # the quiz history a learner's lab keeps, in their own home
def refused(action):
    try:
        action()
    except PermissionError:
        return True
    return False
home = Path.home()
neighbours = [home.parent / name for name in CLASS if home.parent / name != home]
others = {p.name: refused(lambda p=p: os.listdir(p)) for p in neighbours}
written = {p.name: refused(lambda p=p: (p / "planted.txt").write_text("x")) for p in neighbours}
print(json.dumps({"user": pwd.getpwuid(os.getuid()).pw_name, "home": str(home),
                  "others_refused": others, "writes_refused": written,
                  "solutions_refused": refused(lambda: os.listdir(PREFIX + "/instructor")),
                  "submissions_refused": refused(lambda: os.listdir(INBOUND))}))
'''


def _check_learners_cannot_see_or_touch_each_others_labs(class_hub):
    hub, base, prefix = class_hub["hub"], class_hub["base"], class_hub["prefix"]
    inbound = base / "exchange" / EXCHANGE_COURSE / "inbound"
    for student in class_hub["students"]:
        everyone = [class_hub["instructor"], *class_hub["students"]]
        probe = f"PREFIX = {str(prefix)!r}\nINBOUND = {str(inbound)!r}\nCLASS = {everyone!r}\n" + ISOLATION_PROBE
        report = json.loads(hub.execute(student, probe).strip().splitlines()[-1])
        assert report["user"] == student, "each lab runs as its owner's account"
        others = (set(class_hub["students"]) | {class_hub["instructor"]}) - {student}
        assert set(report["others_refused"]) == others
        assert all(report["others_refused"].values()), f"{student} can list another home: {report}"
        assert all(report["writes_refused"].values()), f"{student} can write into another home: {report}"
        assert report["solutions_refused"], f"{student} can read the instructor's solutions"
        assert inbound.is_dir(), "the instructor's release made the course's inbound folder"
        assert report["submissions_refused"], f"{student} can list the class's submissions (write-only for them)"
        home = Path(report["home"])
        assert home.stat().st_mode & 0o777 == 0o700, f"{home} is not private"
        history = home / ".labsim" / "quiz-history.json"
        owner = pwd.getpwnam(student).pw_uid
        assert history.stat().st_uid == owner and history.stat().st_mode & 0o077 == 0, "history is private"
        assert not any((Path(report["home"]).parent / other / "planted.txt").exists() for other in others)
    # The learners' copy of the course holds the lessons, never the solutions.
    learner_course = Path(pwd.getpwnam(class_hub["students"][0]).pw_dir) / "kinesis-course"
    assert (learner_course / "lessons" / "00-start-here.ipynb").is_file()
    assert not (learner_course / "solutions").exists()


def _listening_tcp4() -> dict[int, str]:
    """Port -> address of every IPv4 TCP socket in LISTEN state, from the kernel's own table."""
    out = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":
            address, port = local.split(":")
            out[int(port, 16)] = socket.inet_ntoa(bytes.fromhex(address)[::-1])
    return out


def _check_the_hub_and_its_proxy_listen_on_the_loopback_address_only(class_hub):
    import requests

    port = class_hub["ports"][0]
    assert requests.get(f"http://127.0.0.1:{port}/hub/api/", timeout=10).json()["version"]
    listening = _listening_tcp4()
    for port in class_hub["ports"]:  # the proxy's public and API ports, the hub's own
        assert listening.get(port) == "127.0.0.1", f"port {port} listens on {listening.get(port)}"


def _log_in(url: str, user: str, password: str) -> int:
    """Log in through the hub's own login form (PAM checks the Unix password); the response's status."""
    import requests

    with requests.Session() as browser:
        browser.get(f"{url}/hub/login", timeout=30)
        form = {"username": user, "password": password, "_xsrf": browser.cookies.get("_xsrf", "")}
        return browser.post(f"{url}/hub/login", data=form, allow_redirects=False, timeout=60).status_code


def _check_the_class_logs_in_with_unix_passwords_and_nobody_else_does(class_hub):
    url, passwords = class_hub["hub"].url, class_hub["passwords"]
    for user in (class_hub["instructor"], class_hub["students"][0]):
        assert _log_in(url, user, passwords[user]) == 302, f"{user} could not log in with their password"
    assert _log_in(url, class_hub["students"][1], "not-the-password") == 403
    outsider = class_hub["outsider"]
    assert _log_in(url, outsider, passwords[outsider]) == 403, "an account outside the class's groups got in"


def test_a_class_on_a_real_jupyterhub(class_hub):
    """One hub for every check (starting one takes a while): pytest-xdist could otherwise hand the checks
    to two workers, each starting its own hub."""
    _check_the_hub_and_its_proxy_listen_on_the_loopback_address_only(class_hub)
    _check_the_class_logs_in_with_unix_passwords_and_nobody_else_does(class_hub)
    _check_release_fetch_submit_collect_autograde_export(class_hub)
    _check_learners_cannot_see_or_touch_each_others_labs(class_hub)
