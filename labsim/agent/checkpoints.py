"""The checkpoint store: SQLite in the Java agent's own schema (``tailing/checkpoints/SQLiteFileCheckpointStore.java``).

One row per (flow, path): which file (``fileId`` = Java's file key ``(dev=<hex>,ino=<decimal>)``),
its size and mtime when checkpointed, and ``offset``, the byte just after the last record of the
last buffer that was fully sent. ``lastUpdated`` is written in the lab's time, not the machine's,
so a restarted agent picks the same "most recent" row in every run. You can open the file with the
``sqlite3`` command or Python's ``sqlite3`` module and read it as you would on a real server.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = (
    "create table if not exists FILE_CHECKPOINTS("
    "       flow text,"
    "       path text,"
    "       fileId text,"
    "       lastModifiedTime bigint,"
    "       size bigint,"
    "       offset bigint,"
    "       lastUpdated datetime,"
    "       primary key (flow, path))"
)


def file_id(dev: int, ino: int) -> str:
    """Java's ``BasicFileAttributes.fileKey().toString()`` on Linux."""
    return f"(dev={dev:x},ino={ino})"


def _stamp(now: float) -> str:
    # strftime('%Y-%m-%d %H:%M:%f', 'now'): milliseconds, UTC
    moment = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class Checkpoint:
    """One row of FILE_CHECKPOINTS."""

    __slots__ = ("flow", "path", "file_id", "last_modified_ms", "size", "offset", "last_updated")

    def __init__(self, flow: str, path: str, file_id: str, last_modified_ms: int, size: int, offset: int,
                 last_updated: str) -> None:
        self.flow, self.path, self.file_id = flow, path, file_id
        self.last_modified_ms, self.size, self.offset, self.last_updated = last_modified_ms, size, offset, last_updated

    def __repr__(self) -> str:
        return f"<Checkpoint {self.flow} {self.path} {self.file_id} offset={self.offset}>"


class CheckpointStore:
    """Reads and writes the checkpoint database; ``close()`` releases the file."""

    __slots__ = ("path", "_db")

    def __init__(self, path: str | Path, now: float, ttl_days: int) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db: sqlite3.Connection | None = sqlite3.connect(str(self.path), check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise OSError(f"cannot create or open the checkpoint database {str(self.path)!r}: {exc}. "
                          "Set checkpointFile to a path you can write (in a lab: a temporary folder).") from None
        # The lab's crashes are simulated: committed rows reach the OS either way, so skip the fsync
        # that only guards against power loss (it costs tens of milliseconds per checkpoint).
        self._db.execute("pragma synchronous = off")
        self._db.execute(SCHEMA)
        # Every time it connects, the Java store deletes rows older than checkpointTimeToLiveDays.
        self._db.execute("delete from FILE_CHECKPOINTS where lastUpdated < ?", (_stamp(now - ttl_days * 86400),))
        self._db.commit()

    def save(self, flow: str, path: str, fid: str, last_modified_ms: int, size: int, offset: int, now: float) -> None:
        db = self._require()
        stamp = _stamp(now)
        cur = db.execute("update FILE_CHECKPOINTS set fileId=?, offset=?, lastModifiedTime=?, size=?, lastUpdated=? "
                         "where flow=? and path=?", (fid, offset, last_modified_ms, size, stamp, flow, path))
        if cur.rowcount == 0:
            db.execute("insert or ignore into FILE_CHECKPOINTS values(?, ?, ?, ?, ?, ?, ?)",
                       (flow, path, fid, last_modified_ms, size, offset, stamp))
        db.commit()

    def latest(self, flow: str) -> Checkpoint | None:
        """The flow's most recently updated row (``getCheckpointForFlow``)."""
        row = self._require().execute(
            "select flow, path, fileId, lastModifiedTime, size, offset, lastUpdated from FILE_CHECKPOINTS "
            "where flow=? order by lastUpdated desc limit 1", (flow,)).fetchone()
        return Checkpoint(*row) if row else None

    def rows(self) -> list[dict[str, Any]]:
        """Every row, for display (``dumpCheckpoints``)."""
        cur = self._require().execute("select * from FILE_CHECKPOINTS order by flow, lastUpdated")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _require(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"the checkpoint database {self.path} is closed (the agent stopped)")
        return self._db
