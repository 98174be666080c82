"""The score store: every score is a SQLite row, committed as soon as it is computed.

A score is keyed by everything that determines it, so a rerun recomputes nothing and a run
killed at any moment resumes with nothing lost and nothing duplicated (the key is the
table's primary key, and rows are written with one short transaction each).

Schema 2 (contract v2) adds the space's config hash and the calibration (the labelled set and
fitted state of a trainable proxy) to the key, and the row state ``na`` (the proxy is not
applicable there). A schema-1 store is migrated in place, once, in one exclusive transaction:
its rows were all computed with the space's default config and no calibration, which is what
the empty values of the new columns mean. A newer schema is refused.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .api import HarnessError

SCHEMA_VERSION = 2
ENV_VAR = "NASH_STORE"

_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    proxy TEXT NOT NULL,
    proxy_version TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    space TEXT NOT NULL,
    space_config TEXT NOT NULL,
    dataset TEXT NOT NULL,
    input_spec TEXT NOT NULL,
    init TEXT NOT NULL,
    seed INTEGER NOT NULL,
    calibration TEXT NOT NULL,
    arch TEXT NOT NULL,
    value REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'na')),
    reason TEXT,
    wall_s REAL,
    cpu_s REAL,
    created REAL NOT NULL,
    PRIMARY KEY (proxy, proxy_version, config_hash, space, space_config, dataset, input_spec, init, seed,
                 calibration, arch)
) WITHOUT ROWID;
"""
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"


@dataclass(frozen=True)
class ScoreKey:
    """Everything but the architecture that determines a score."""

    proxy: str
    proxy_version: str
    config_hash: str
    space: str
    dataset: str  # the task
    input_spec: str
    init: str
    seed: int
    space_config: str = ""  # hash of a non-default space config ("" = the defaults)
    calibration: str = ""  # labelled-set and fitted-state hashes of a trainable proxy

    def columns(self) -> tuple:
        return (
            self.proxy,
            self.proxy_version,
            self.config_hash,
            self.space,
            self.space_config,
            self.dataset,
            self.input_spec,
            self.init,
            self.seed,
            self.calibration,
        )


@dataclass(frozen=True)
class ScoreRecord:
    arch: str
    value: float | None
    status: str  # "ok" | "failed" | "na" (not applicable; the reason says why)
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
            self._db.executescript(_META)
            self._check_version()

    @contextlib.contextmanager
    def _guard(self):
        """Any SQLite failure (damaged pages, a full disk, a lock held past the busy wait) as a
        HarnessError that names the store and what to do, wherever in the store it happens."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise HarnessError(
                    f"score store {self.path}: {exc} (another process held it for over 60 s); "
                    "rerun when it is done"
                ) from None
            raise HarnessError(
                f"score store {self.path}: {exc}; check the disk and the file's permissions, "
                "or use another --store"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise HarnessError(
                f"score store {self.path}: damaged ({exc}); move it away and rerun to recompute the scores "
                f"(or try `sqlite3 {self.path} .recover`), or use another --store"
            ) from None

    def _check_version(self) -> None:
        self._db.execute("BEGIN EXCLUSIVE")  # one process creates or migrates; the others wait
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row is not None else None
            if version is None:
                self._db.execute(_TABLE.format(name="scores"))
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif version == 1:
                self._migrate_v1()
            elif version != SCHEMA_VERSION:
                raise HarnessError(
                    f"score store {self.path}: schema version {version}, this harness reads "
                    f"{SCHEMA_VERSION} (and migrates 1); it was written by a newer nas-harness: "
                    f"upgrade, or point --store (or ${ENV_VAR}) at another file"
                )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate_v1(self) -> None:
        """Schema 1 -> 2: copy every row with the default space config and no calibration."""
        self._db.execute(_TABLE.format(name="scores_v2"))
        self._db.execute(
            "INSERT INTO scores_v2 (proxy, proxy_version, config_hash, space, space_config, dataset, input_spec, "
            "init, seed, calibration, arch, value, status, reason, wall_s, cpu_s, created) "
            "SELECT proxy, proxy_version, config_hash, space, '', dataset, input_spec, init, seed, '', arch, "
            "value, status, reason, wall_s, cpu_s, created FROM scores"
        )
        self._db.execute("DROP TABLE scores")
        self._db.execute("ALTER TABLE scores_v2 RENAME TO scores")
        self._db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ScoreStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reads
    def get_many(self, key: ScoreKey, archs: Sequence[str]) -> dict[str, ScoreRecord]:
        """The stored records among ``archs`` for ``key``."""
        found: dict[str, ScoreRecord] = {}
        wanted = list(dict.fromkeys(archs))
        where = (
            "proxy=? AND proxy_version=? AND config_hash=? AND space=? AND space_config=? AND dataset=? "
            "AND input_spec=? AND init=? AND seed=? AND calibration=?"
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
                    "INSERT OR IGNORE INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
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
