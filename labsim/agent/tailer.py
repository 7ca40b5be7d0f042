"""Tailing real files for one flow: which file to read, from where, and rotations (``tailing/SourceFileTracker``).

Files are real files in a real folder, read with ``os.stat`` and ``open``. A file is identified by
its (device, inode), never by its name, so a file renamed while the agent reads it is still finished
through the open descriptor. Newer files are told from older ones by when the tracker first saw
them, then by mtime, then by size (same mtime: the smaller file is newer, ``TrackedFile.isNewer``);
the agent never compares an mtime with its own clock.

Rotations (``TrackedFileRotationAnalyzer``):

- **rename** (``app.log`` -> ``app.log.1``, a new ``app.log``): the renamed file is finished by inode,
  then the new file is read from offset 0;
- **copytruncate** (copy to ``app.log.1``, truncate ``app.log``): the truncated file is shorter than
  the offset already read; the agent finishes the copy from that offset, then reads the truncated
  file from 0. A truncate refilled to at least the old size between two refreshes is not noticed
  (the Java agent's blind spot too);
- **create** (a new timestamped file each period): the new file is read from 0 once the old one ends.

``skipHeaderLines`` applies whenever a file is opened at offset 0, also after a copytruncate.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from typing import Any, Callable

from .checkpoints import Checkpoint, file_id
from .config import FlowConfig

READ_CHUNK = 1 << 20  # bytes read per call, like the Java parser's buffer
HEAD_BYTES = 512      # a file's first bytes: how a copy of it is recognised


class FileSnapshot:
    """What one ``stat`` saw: a path and the identity, size and mtime of the file behind it."""

    __slots__ = ("path", "dev", "ino", "size", "mtime_ns", "seen")

    def __init__(self, path: str, st: os.stat_result, seen: int) -> None:
        self.path, self.dev, self.ino = path, st.st_dev, st.st_ino
        self.size, self.mtime_ns, self.seen = st.st_size, st.st_mtime_ns, seen

    @property
    def key(self) -> tuple[int, int]:
        return (self.dev, self.ino)

    @property
    def file_id(self) -> str:
        return file_id(self.dev, self.ino)

    def newness(self) -> tuple[int, int, int]:
        return (self.seen, self.mtime_ns, -self.size)


class OpenFile:
    """A file being read: its descriptor, where the next record starts, and bytes not yet a record."""

    __slots__ = ("snapshot", "handle", "read_pos", "pending", "pending_start", "headers_left", "ended", "head")

    def __init__(self, snapshot: FileSnapshot, handle: Any, offset: int, headers: int) -> None:
        self.snapshot, self.handle = snapshot, handle
        self.read_pos = offset          # where the next os.read starts
        self.pending = b""              # bytes read that do not make a complete record yet
        self.pending_start = offset     # file offset of pending[0]: the resume point
        self.headers_left = headers
        self.ended = False              # fileFooterPattern seen: nothing more from this file
        self.head = b""                 # the first bytes read so far (a copy of this file starts with them)

    def size(self) -> int:
        return os.fstat(self.handle.fileno()).st_size

    def close(self) -> None:
        try:
            self.handle.close()
        except OSError:
            pass


class FlowTailer:
    """Finds the flow's files and turns their bytes into records: ``poll()`` -> [(raw record, file, end offset)]."""

    __slots__ = ("flow", "known", "done", "current", "queue", "refreshes", "started", "warn", "bytes_read")

    def __init__(self, flow: FlowConfig, warn: Callable[[str], None] | None = None) -> None:
        self.flow = flow
        self.known: dict[tuple[int, int], int] = {}   # identity -> refresh in which it was first seen
        self.done: set[tuple[int, int]] = set()
        self.current: OpenFile | None = None
        self.queue: list[tuple[FileSnapshot, int]] = []   # files to read after the current one, with start offsets
        self.refreshes = 0
        self.started = False
        self.warn = warn or (lambda text: warnings.warn(text, stacklevel=3))
        self.bytes_read = 0

    # -- the folder ---------------------------------------------------------------------------------
    def snapshot(self) -> list[FileSnapshot]:
        """The flow's files now, oldest first."""
        seen = self.refreshes
        self.refreshes += 1
        out = []
        try:
            names = os.listdir(self.flow.directory)
        except FileNotFoundError:
            return []
        for name in names:
            if not self.flow.matches(name):
                continue
            path = os.path.join(self.flow.directory, name)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            snap = FileSnapshot(path, st, self.known.setdefault((st.st_dev, st.st_ino), seen))
            out.append(snap)
        out.sort(key=FileSnapshot.newness)
        return out

    def _open(self, snap: FileSnapshot, offset: int) -> OpenFile | None:
        try:
            handle = open(snap.path, "rb", buffering=0)
        except OSError:
            return None
        st = os.fstat(handle.fileno())
        if (st.st_dev, st.st_ino) != snap.key:  # renamed again since the listing: find it by identity
            handle.close()
            again = next((s for s in self.snapshot() if s.key == snap.key), None)
            if again is None or again.path == snap.path:
                return None
            return self._open(again, offset)
        headers = self.flow.skip_header_lines if offset == 0 else 0
        return OpenFile(snap, handle, offset, headers)

    # -- where to start -------------------------------------------------------------------------------
    def start(self, checkpoint: Checkpoint | None) -> None:
        """First look at the folder: resume from the checkpoint, or take the newest file at initialPosition."""
        self.started = True
        files = self.snapshot()
        if checkpoint is not None:
            at = next((i for i, s in enumerate(files) if s.file_id == checkpoint.file_id), None)
            if at is not None:
                snap = files[at]
                offset = checkpoint.offset if snap.size >= checkpoint.offset else 0
                self.done.update(s.key for s in files[:at])
                self.current = self._open(snap, offset)
                self.queue = [(s, 0) for s in files[at + 1:]]
                return
            # The checkpointed file is gone: read what changed after it, from the start.
            newer = [s for s in files if s.mtime_ns // 1_000_000 > checkpoint.last_modified_ms]
            self.done.update(s.key for s in files if s not in newer)
            self.queue = [(s, 0) for s in newer]
            self.warn(f"{self.flow.id}: the checkpointed file {checkpoint.path} ({checkpoint.file_id}) is gone; "
                      f"reading the {len(newer)} file(s) modified after it from their start")
            return
        if not files:
            return  # files that appear later are read from offset 0
        newest = files[-1]
        self.done.update(s.key for s in files[:-1])
        offset = 0 if self.flow.initial_position == "START_OF_FILE" else self._end_offset(newest)
        self.current = self._open(newest, offset)

    def _end_offset(self, snap: FileSnapshot) -> int:
        """END_OF_FILE: just after the last complete line (past the header lines, if any)."""
        with open(snap.path, "rb") as fh:
            data = fh.read()
        end = data.rfind(b"\n") + 1
        header_end = 0
        for _ in range(self.flow.skip_header_lines):
            nl = data.find(b"\n", header_end)
            if nl < 0:
                return 0  # not enough lines for the header yet: start at 0, the header is skipped there
            header_end = nl + 1
        return max(end, header_end)

    # -- reading --------------------------------------------------------------------------------------
    def poll(self, budget: int = READ_CHUNK) -> list[tuple[bytes, OpenFile, int]]:
        """Read what is new; follow rotations. Returns complete records as (bytes, file, end offset)."""
        if not self.started:
            self.start(None)
        out: list[tuple[bytes, OpenFile, int]] = []
        if self.current is None and self.queue:
            self._next_file()
        if self.current is not None:
            self._read(self.current, out, budget)
        self._refresh(out, budget)
        return out

    def _refresh(self, out: list[tuple[bytes, OpenFile, int]], budget: int) -> None:
        files = self.snapshot()
        cur = self.current
        queued = {s.key for s, _ in self.queue}
        if cur is not None:
            here = next((s for s in files if s.path == cur.snapshot.path), None)
            if here is not None and here.key == cur.snapshot.key and here.size < cur.read_pos:
                self._truncated(cur, files, out, budget)
                return
        current_key = cur.snapshot.key if cur is not None else None
        newest_known = cur.snapshot.newness() if cur is not None else None
        in_place = cur is not None and any(s.path == cur.snapshot.path and s.key == cur.snapshot.key for s in files)
        for snap in files:
            if snap.key in self.done or snap.key == current_key or snap.key in queued:
                continue
            if newest_known is not None and snap.newness() < newest_known:
                self.done.add(snap.key)   # older than what we read: a rotated name of a finished file
                continue
            if in_place and _starts_with(snap, cur.head):
                self.done.add(snap.key)   # a copy of the file we read (copytruncate, copy): not new data
                continue
            self.queue.append((snap, 0))
            queued.add(snap.key)
        self.queue.sort(key=lambda item: item[0].newness())
        if cur is None:
            if self.queue:
                self._next_file()
                self._read(self.current, out, budget) if self.current else None
            return
        if self.queue and (cur.read_pos >= cur.size() or cur.ended):
            self._read(cur, out, budget)   # a last look: lines written just before the rotation
            if cur.read_pos >= cur.size() or cur.ended:
                self._finish(cur, out)
                self._next_file()
                if self.current is not None:
                    self._read(self.current, out, budget)

    def _truncated(self, cur: OpenFile, files: list[FileSnapshot], out: list[tuple[bytes, OpenFile, int]],
                   budget: int) -> None:
        """copytruncate: finish the copy from our offset, then read the truncated file from 0."""
        copies = [s for s in files if s.key != cur.snapshot.key and s.size >= cur.pending_start
                  and (s.key not in self.done or _starts_with(s, cur.head))]
        copies.sort(key=lambda s: (_starts_with(s, cur.head), s.newness()))
        resume = cur.pending_start
        head = cur.head
        cur.pending, cur.read_pos, cur.head = b"", 0, b""
        cur.pending_start = 0
        cur.headers_left = self.flow.skip_header_lines
        if not copies:
            self.warn(f"{self.flow.id}: {cur.snapshot.path} was truncated and no copy of it was found; "
                      "reading it again from its start (lines written in between may be lost)")
            return
        copy = copies[-1]
        self.done.add(copy.key)
        opened = self._open(copy, resume)
        if opened is None:
            return
        opened.headers_left = 0
        opened.head = head
        self._read(opened, out, budget)
        self._finish(opened, out)
        opened.close()
        self._read(cur, out, budget)

    def _finish(self, f: OpenFile, out: list[tuple[bytes, OpenFile, int]]) -> None:
        """The file ends here: a last unterminated piece stays unsent (it waits for a newline that never comes)."""
        if self.flow.multi_line_start_pattern is not None and f.pending.endswith(b"\n"):
            out.append((f.pending, f, f.pending_start + len(f.pending)))
            f.pending_start += len(f.pending)
            f.pending = b""
        self.done.add(f.snapshot.key)

    def _next_file(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
        while self.queue and self.current is None:
            snap, offset = self.queue.pop(0)
            if snap.key in self.done:
                continue
            self.current = self._open(snap, offset)

    def _read(self, f: OpenFile, out: list[tuple[bytes, OpenFile, int]], budget: int) -> None:
        if f.ended:
            return
        try:
            chunk = os.pread(f.handle.fileno(), budget, f.read_pos)
        except OSError as exc:
            self.warn(f"{self.flow.id}: cannot read {f.snapshot.path}: {exc}")
            return
        if not chunk:
            return
        self.bytes_read += len(chunk)
        f.read_pos += len(chunk)
        if len(f.head) < HEAD_BYTES:
            head = os.pread(f.handle.fileno(), min(HEAD_BYTES, f.read_pos), 0)
            if head.startswith(f.head):   # only grow it: a changed start means the file was rewritten
                f.head = head
        data = f.pending + chunk
        pos = 0
        while f.headers_left > 0:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            pos = nl + 1
            f.headers_left -= 1
        at_eof = len(chunk) < budget
        records, pos = self._split(data, pos, at_eof)
        footer = self.flow.file_footer_pattern
        base = f.pending_start
        for start, end in records:
            raw = data[start:end]
            if footer is not None and footer.match(raw.decode("utf-8", "replace")):
                f.ended = True
                pos = len(data)
                break
            out.append((raw, f, base + end))
        f.pending = data[pos:]
        f.pending_start = base + pos

    def _split(self, data: bytes, pos: int, at_eof: bool) -> tuple[list[tuple[int, int]], int]:
        """Record boundaries in ``data`` from ``pos``: (start, end) pairs and where the unfinished rest begins."""
        out: list[tuple[int, int]] = []
        pattern: re.Pattern[str] | None = self.flow.multi_line_start_pattern
        hint = self.flow.aggregated_record_bytes
        if pattern is None and hint:   # AggregationSplitter (Firehose): whole lines, up to ~hint bytes each record
            start = pos
            while True:
                nl = data.find(b"\n", pos)
                if nl < 0:
                    if pos > start:
                        out.append((start, pos))
                    return out, pos
                if pos > start and nl + 1 - start > hint:
                    out.append((start, pos))
                    start = pos
                pos = nl + 1
        if pattern is None:   # SingleLineSplitter: a record is a line with its "\n"
            while True:
                nl = data.find(b"\n", pos)
                if nl < 0:
                    return out, pos
                out.append((pos, nl + 1))
                pos = nl + 1
        # RegexSplitter: the first line always belongs to the record; a later line that starts with the
        # pattern begins the next one. At the end of what is there, a record ending in "\n" is complete.
        start = pos
        line_start = data.find(b"\n", pos)
        if line_start < 0:
            return out, pos
        line_start += 1
        while True:
            nl = data.find(b"\n", line_start)
            if nl < 0:
                break
            if pattern.match(data[line_start:nl + 1].decode("utf-8", "replace")):
                out.append((start, line_start))
                start = line_start
            line_start = nl + 1
        if at_eof and line_start > start and data[line_start - 1:line_start] == b"\n" and line_start == len(data):
            out.append((start, line_start))
            start = line_start
        return out, start

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


def _starts_with(snap: FileSnapshot, head: bytes) -> bool:
    """Does the file at ``snap`` begin with ``head`` (and is ``head`` long enough to tell)?"""
    if not head or snap.size < len(head):
        return False
    try:
        with open(snap.path, "rb") as fh:
            return fh.read(len(head)) == head
    except OSError:
        return False
