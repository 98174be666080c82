"""The score store: every score is a SQLite row, committed as soon as it is computed.

A score is keyed by everything that determines it, so a rerun recomputes nothing and a run
killed at any moment resumes with nothing lost and nothing duplicated (the key is the
table's primary key, and rows are written with one short transaction each).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .api import HarnessError

SCHEMA_VERSION = 1
ENV_VAR = "NASH_STORE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    proxy TEXT NOT NULL,
    proxy_version TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    space TEXT NOT NULL,
    dataset TEXT NOT NULL,
    input_spec TEXT NOT NULL,
    init TEXT NOT NULL,
    seed INTEGER NOT NULL,
    arch TEXT NOT NULL,
    value REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    reason TEXT,
    wall_s REAL,
    cpu_s REAL,
    created REAL NOT NULL,
    PRIMARY KEY (proxy, proxy_version, config_hash, space, dataset, input_spec, init, seed, arch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ScoreKey:
    """Everything but the architecture that determines a score."""

    proxy: str
    proxy_version: str
    config_hash: str
    space: str
    dataset: str
    input_spec: str
    init: str
    seed: int

    def columns(self) -> tuple:
        return (
            self.proxy,
            self.proxy_version,
            self.config_hash,
            self.space,
            self.dataset,
            self.input_spec,
            self.init,
            self.seed,
        )


@dataclass(frozen=True)
class ScoreRecord:
    arch: str
    value: float | None
    status: str  # "ok" | "failed"
    reason: str | None
    wall_s: float | None
    cpu_s: float | None


def default_path() -> Path:
    """``$NASH_STORE`` if set, else ``scores.sqlite`` in the user's cache directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nas-harness")) / "scores.sqlite"


class ScoreStore:
    """A SQLite file of scores; safe for several processes writing at once (WAL, busy wait)."""

    def __init__(self, path: str | Path):
        from .files import ensure_dir

        self.path = Path(path)
        if self.path.is_dir():
            raise HarnessError(f"score store {self.path}: a folder; point --store (or ${ENV_VAR}) at a file")
        ensure_dir(self.path.parent, "folder of the score store")
        _check_is_sqlite(self.path)
        with self._guard():
            self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_version()

    @contextlib.contextmanager
    def _guard(self):
        """Any SQLite failure (damaged pages, a full disk, a lock held past the busy wait) as a
        HarnessError that names the store and what to do, wherever in the store it happens."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise HarnessError(f"score store {self.path}: {exc} (another process held it for over 60 s); "
                                   "rerun when it is done") from None
            raise HarnessError(f"score store {self.path}: {exc}; check the disk and the file's permissions, "
                               "or use another --store") from None
        except sqlite3.DatabaseError as exc:
            raise HarnessError(
                f"score store {self.path}: damaged ({exc}); move it away and rerun to recompute the scores "
                f"(or try `sqlite3 {self.path} .recover`), or use another --store") from None

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) != SCHEMA_VERSION:
            raise HarnessError(
                f"score store {self.path}: schema version {row[0]}, this harness reads "
                f"{SCHEMA_VERSION}; use another --store file"
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ScoreStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reads
    def get_many(self, key: ScoreKey, archs: Sequence[str]) -> dict[str, ScoreRecord]:
        """The stored records among ``archs`` for ``key``."""
        found: dict[str, ScoreRecord] = {}
        wanted = list(dict.fromkeys(archs))
        where = (
            "proxy=? AND proxy_version=? AND config_hash=? AND space=? AND dataset=? "
            "AND input_spec=? AND init=? AND seed=?"
        )
        with self._guard():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT arch, value, status, reason, wall_s, cpu_s FROM scores "
                    f"WHERE {where} AND arch IN ({marks})",
                    (*key.columns(), *chunk),
                ).fetchall()
                for row in rows:
                    found[row[0]] = ScoreRecord(*row)
        return found

    def count(self) -> int:
        with self._guard():
            return self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]

    # ------------------------------------------------------------------ writes
    def put(self, key: ScoreKey, record: ScoreRecord) -> None:
        self.put_many(key, [record])

    def put_many(self, key: ScoreKey, records: Iterable[ScoreRecord]) -> None:
        """Commit ``records`` in one transaction; an existing key keeps its first value."""
        rows = [
            (*key.columns(), r.arch, r.value, r.status, r.reason, r.wall_s, r.cpu_s, time.time())
            for r in records
        ]
        if not rows:
            return
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
                )
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


def _check_is_sqlite(path: Path) -> None:
    """Refuse a file that is not SQLite before sqlite3 touches it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        raise HarnessError(
            f"score store {path}: not a SQLite file (starts with {head[:8]!r}); "
            f"point --store (or ${ENV_VAR}) at a new or existing nas-harness store"
        )
