"""Submission files: a proxy's suite results, what produced them, and a checksum over it all.

``nash submit PROXY --suite S`` runs suite ``S`` for one proxy and writes one JSON document:

* ``result``: the suite's results as the harness writes them (a correlation ``RunResult`` for a
  run preset such as ``quick`` or ``ci``; a ``StandardResult`` for a versioned suite such as
  ``standard``), every number with its signature;
* ``scores``: the per-architecture scores and targets behind each correlation (a standard
  result carries its own), so a reader can recompute every ρ;
* ``proxy``, ``plugins``: the proxy's metadata and resolved config, and the exact version of
  every plugin the suite used (class version and distribution version);
* ``distribution``: a content hash of the installed distribution that provides the proxy
  (``distribution.py``);
* ``environment`` and ``fresh_scores`` (every score computed by this submission rather than
  taken from a score store, so the hashed code is the code that produced the numbers);
* ``checksum``: ``sha256:`` of the canonical JSON (sorted keys, no whitespace) of everything
  else.

``load_submission`` rejects a file whose checksum does not match, and one whose stated
correlations do not follow from its own scores. The checksum catches edits and corruption; it
is not a signature (anyone who edits the file can recompute it), which is why the scores ride
along and why a maintainer can rerun the suite with the recorded versions.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nas_harness.leaderboard.schema import Environment, RunResult, read_json

from .api import HarnessError
from .checksum import canonical_json, check_seal, checksum_of  # noqa: F401 - canonical_json re-exported
from .distribution import distribution_hash
from .environment import environment
from .host import PluginHost
from .suite_run import SuiteRef, run_named_suite

KIND = "nas-harness-submission"
SUBMISSION_VERSION = "1"
RHO_TOLERANCE = 1e-9  # stated ρ vs ρ recomputed from the file's scores


class SubmittedProxy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    distribution: str
    distribution_version: str
    entry_point: str
    higher_is_better: bool
    needs: list[str]
    summary: str
    config: dict[str, Any]


class DistributionRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    editable: bool
    files: int
    sha256: str
    method: str


class PluginVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str
    version: str
    distribution: str
    distribution_version: str


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["nas-harness-submission"] = KIND
    submission_version: str = SUBMISSION_VERSION
    created: str
    proxy: SubmittedProxy
    distribution: DistributionRecord
    plugins: list[PluginVersion]
    suite: SuiteRef
    environment: Environment
    fresh_scores: bool = Field(
        description="every score was computed by this submission (no score store reused)"
    )
    result: dict[str, Any] = Field(
        description="a RunResult (protocol 'correlation') or a StandardResult ('standard')"
    )
    scores: list[dict[str, Any]] = Field(
        default_factory=list,
        description="ScoreColumns per correlation run (a standard result carries its own)",
    )
    checksum: str = ""

    @property
    def protocol(self) -> str:
        return str(self.result.get("protocol"))

    def run_results(self) -> list[RunResult]:
        """The correlation runs inside (one for a preset suite, one per dataset for a standard one)."""
        if self.protocol == "standard":
            return list(self.standard_result().runs)
        return [RunResult.model_validate(self.result)]

    def standard_result(self):
        from nas_harness.leaderboard.standard_schema import StandardResult

        if self.protocol != "standard":
            raise HarnessError(
                f"submission of suite {self.suite.name!r} holds a {self.protocol} result, not a suite result"
            )
        return StandardResult.model_validate(self.result)

    def score_columns(self) -> list:
        from nas_harness.leaderboard.standard_schema import ScoreColumns

        if self.protocol == "standard":
            return list(self.standard_result().scores)
        return [ScoreColumns.model_validate(c) for c in self.scores]


def is_submission(data: Any) -> bool:
    """Whether parsed JSON looks like a submission (the leaderboard then calls ``load_submission``)."""
    return isinstance(data, dict) and data.get("kind") == KIND


def load_submission(path: Path) -> Submission:
    """Read and verify a submission; ``HarnessError`` naming the file when it is not intact.

    Verified: JSON and schema; the checksum over everything but itself; every proxy row inside
    belongs to the submitted proxy; every stated Spearman ρ equals the one recomputed from the
    file's own scores and targets.
    """
    path = Path(path)
    data = read_json(path, "submission")
    if not is_submission(data):
        raise HarnessError(f'submission {path}: not a submission file (no "kind": "{KIND}")')
    if data.get("submission_version") != SUBMISSION_VERSION:
        raise HarnessError(
            f"submission {path}: submission_version {data.get('submission_version')!r}, "
            f"this harness reads {SUBMISSION_VERSION!r}"
        )
    stated = data.get("checksum")
    if not check_seal(data, path, "submission"):
        raise HarnessError(
            f"submission {path}: no checksum; a submission is written with one by `nash submit`"
        )
    data["checksum"] = stated  # kept on the Submission (it names the file's content)
    try:
        sub = Submission.model_validate(data)
        runs = sub.run_results()
        columns = sub.score_columns()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise HarnessError(f"submission {path}: {where}: {first['msg']}") from None
    problem = _consistency_problem(sub, runs, columns)
    if problem:
        raise HarnessError(f"submission {path}: {problem}")
    return sub


def _consistency_problem(sub: Submission, runs: list[RunResult], columns: list) -> str | None:
    from .stats import rank_correlation

    name = sub.proxy.name
    if len(columns) != len(runs):
        return f"{len(runs)} correlation runs but {len(columns)} score tables"
    for run, cols in zip(runs, columns):
        for row in run.results:
            if row.proxy != name:
                return f"result row of proxy {row.proxy!r} in a submission of {name!r}"
            if not row.signature.startswith(f"proxy:{name}@"):
                return f"signature {row.signature!r} does not name proxy {name!r}"
            values = cols.scores.get(name)
            if values is None or len(values) != len(cols.archs) or len(cols.target) != len(cols.archs):
                return f"scores of {name!r} on {cols.dataset} missing or of the wrong length"
            score = np.array([np.nan if v is None else v for v in values], dtype=float)
            score = score if row.higher_is_better else -score
            target = np.array([np.nan if v is None else v for v in cols.target], dtype=float)
            target = target if cols.target_higher_is_better else -target
            rho = rank_correlation(score, target, n_resamples=0).spearman
            stated = row.spearman.value
            same = (stated is None and not math.isfinite(rho)) or (
                stated is not None and math.isfinite(rho) and abs(stated - rho) <= RHO_TOLERANCE
            )
            if not same:
                return (
                    f"{cols.dataset}: stated Spearman ρ {stated} of {name!r} does not follow from the file's "
                    f"scores (recomputed {rho:.6f})"
                )
    return None


# --------------------------------------------------------------------------- building


def build_submission(
    proxy: str,
    suite_name: str,
    *,
    proxy_config: dict[str, Any] | None = None,
    store_path: Path | None = None,
    data: Path | None = None,
    execution: dict[str, Any] | None = None,
    show_progress: bool = False,
    host: PluginHost | None = None,
    notify: Callable[[str], None] | None = None,
) -> Submission:
    """Run suite ``suite_name`` for ``proxy`` and return the checksummed submission.

    Without ``store_path`` the scores go to a fresh temporary store, so every number is
    computed by the installed code that the distribution hash describes. ``execution``: where
    the work runs (device, threads, executor, workers, ...), never part of the result.
    """
    host = host or PluginHost.discover()
    info = host.get("proxy", proxy)
    ref = {"name": proxy, "config": dict(proxy_config or {})}
    with tempfile.TemporaryDirectory(prefix="nash-submit-") as tmp:
        done = run_named_suite(
            suite_name,
            [ref],
            store_path=store_path or Path(tmp) / "scores.sqlite",
            data=data,
            execution=execution,
            show_progress=show_progress,
            host=host,
            notify=notify,
        )
    runs = [o.run for o in done.outcomes]
    cross = getattr(done.result, "suite", None) is not None and done.result.suite.benchmarks is not None
    # A cross-space suite reuses its own scores across tasks declared scored_as another (NB-MR) and
    # skips tasks a proxy cannot score, so "fresh" there means: a store that started empty.
    fresh = store_path is None and (cross or all(r.computed == r.n for run in runs for r in run.results))
    columns = [] if done.ref.kind == "versioned" else [_columns(o) for o in done.outcomes]

    spaces = dict.fromkeys(run.config["space"]["name"] for run in runs)
    plugins = [
        _plugin_version(info),
        *(_plugin_version(host.get("space", name)) for name in spaces),
        *(_plugin_version(host.get("strategy", s)) for s in done.strategies),
    ]
    dist = distribution_hash(info.distribution)
    env = environment(
        (execution or {}).get("device") or "cpu", {p.distribution: p.distribution_version for p in plugins}
    )
    sub = Submission(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        proxy=SubmittedProxy(
            name=info.name,
            version=info.version,
            distribution=info.distribution,
            distribution_version=info.dist_version,
            entry_point=info.entry_point,
            higher_is_better=bool(info.higher_is_better),
            needs=info.needs,
            summary=getattr(info.cls, "summary", "") or (info.cls.__doc__ or "").strip().split("\n")[0],
            config=runs[0].results[0].config,
        ),
        distribution=DistributionRecord(**dist.as_dict()),
        plugins=plugins,
        suite=done.ref,
        environment=Environment(**env),
        fresh_scores=fresh,
        result=done.result.model_dump(mode="json"),
        scores=[c.model_dump(mode="json") for c in columns],
    )
    sub.checksum = checksum_of(sub.model_dump(mode="json"))
    return sub


def write_submission(sub: Submission, path: Path) -> Path:
    from .files import write_text

    return write_text(
        path, json.dumps(sub.model_dump(mode="json"), indent=2, allow_nan=False) + "\n", "submission"
    )


def installed_match(sub: Submission) -> tuple[bool | None, str]:
    """Does the installed distribution hash like the submitted one? (None: not installed here.)"""
    try:
        now = distribution_hash(sub.distribution.name)
    except HarnessError as exc:
        return None, str(exc)
    if now.sha256 == sub.distribution.sha256:
        return True, f"{now.name} {now.version} installed here hashes the same ({now.files} files)"
    return False, (
        f"{now.name} {now.version} installed here hashes to {now.sha256[:16]}…, the submission's "
        f"{sub.distribution.version} to {sub.distribution.sha256[:16]}…"
    )


def _columns(outcome):
    """The per-architecture scores and targets of one correlation run."""
    from nas_harness.leaderboard.standard_schema import ScoreColumns

    return ScoreColumns(
        dataset=outcome.run.config["dataset"],
        archs=list(outcome.archs),
        target=[_finite(v) for v in np.asarray(outcome.truth, dtype=float)],
        scores={
            name: [_finite(v) for v in np.asarray(t.values, dtype=float)]
            for name, t in outcome.tables.items()
        },
    )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _plugin_version(info) -> PluginVersion:
    return PluginVersion(
        kind=info.kind,
        name=info.name,
        version=info.version,
        distribution=info.distribution,
        distribution_version=info.dist_version,
    )
