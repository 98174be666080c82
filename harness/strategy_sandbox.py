"""Running search strategies out of the driver: the strategy sees only the scores it asks for.

The driver holds the oracles (a search's report needs ground truth), so a strategy running in it
could find them (``gc``, ``sys.modules``, the benchmark files). ``StrategyProcess`` runs every
search of a ``nash search`` (or a standard suite's search) in one sandboxed process instead
(``strategy_main``: Landlock, no oracle data, no benchmark tables, no score store; a fresh fork
per search). The driver keeps the space and the budgeted scorer and answers the strategy's
calls (``search_view.answer``); what the strategy returns is checked here. Messages from that
process are read with ``safe_pickle``, so a strategy cannot make the driver run code either.

A strategy that reaches for ground truth gets ``PermissionError`` (files) or finds nothing
(memory) and its search fails with a ``HarnessError`` naming it; one that dies, hangs past
Ctrl-C or breaks the protocol is stopped and named the same way.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .api import HarnessError, Strategy
from .executors.reaper import TAG_VAR, end_process
from .safe_pickle import loads
from .search_view import answer
from .strategy_main import rng_from_message

POLL_S = 0.25
STARTUP_TIMEOUT_S = 300.0


class StrategyProcess:
    """One sandboxed process (started on first use) serving a run's searches, one at a time."""

    def __init__(self, *, sandboxed: bool, denied: Sequence[Path] = ()):
        self.sandboxed = sandboxed
        self.denied = [str(p) for p in denied]
        self.proc: subprocess.Popen | None = None
        self.note = "not started"

    # ------------------------------------------------------------------ lifecycle
    def _start(self) -> None:
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        self.tag = f"strategy-{os.getpid()}-{id(self)}"
        self._log = tempfile.TemporaryFile(prefix="nash-strategy-")
        self.proc = subprocess.Popen(
            # -P: the current folder (results files, a store) is not put on the import path
            [sys.executable, "-P", "-m", "nas_harness.strategy_main", str(child_in), str(child_out)],
            pass_fds=(child_in, child_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={**os.environ, TAG_VAR: self.tag},
            start_new_session=True,
        )
        os.close(child_in)
        os.close(child_out)
        self._out = Connection(to_child, readable=False)
        self._in = Connection(from_child, writable=False)
        self._out.send(("load", [p for p in sys.path if p], self.sandboxed, self.denied))
        msg = self._recv("start", STARTUP_TIMEOUT_S)
        if msg[0] != "ready":
            self.close()
            raise HarnessError(f"the strategy process could not start: {msg[1] if len(msg) > 1 else msg}")
        self.note = f"on: {msg[1]}" if self.sandboxed else "off"

    def close(self) -> None:
        """Kill the process and everything it started."""
        proc, self.proc = self.proc, None  # a second close finds nothing to do
        if proc is None:
            return
        end_process(proc, self.tag)
        for conn in (self._out, self._in):
            conn.close()
        self._log.close()

    def __enter__(self) -> StrategyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ one search
    def search(self, strategy: Strategy, space: Any, scorer: Any, budget: int, seed: int) -> dict:
        """Run ``strategy.search`` there; its history as ``model_dump(mode="json")`` (a dict)."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.close()
            self._start()
        name = strategy.name
        self._out.send(("run", pickle.dumps(strategy), budget, seed, type(strategy).__module__))
        outcome: tuple | None = None
        while True:
            msg = self._recv(name)
            kind = msg[0]
            if kind == "call" and len(msg) == 4 and outcome is None:
                self._answer(space, scorer, *msg[1:])
            elif kind in ("history", "raised", "returned") and outcome is None:
                outcome = msg
            elif kind == "exited" and len(msg) == 2:
                break
            else:
                self.close()
                raise HarnessError(f"strategy {name!r}: its process broke the protocol (sent {kind!r})")
        if outcome is None:
            raise HarnessError(f"strategy {name!r}: its process ended (exit code {msg[1]}) without an answer")
        return _history(name, outcome)

    def _answer(self, space: Any, scorer: Any, kind: Any, method: Any, args: Any) -> None:
        backend = space if kind == "view" else scorer
        try:
            args = tuple(rng_from_message(a) for a in args)
        except (TypeError, ValueError) as exc:
            value, error = None, HarnessError(f"a malformed argument: {exc}")
        else:
            value, error = answer(backend, kind, method, args)
        if error is not None:
            try:
                data = pickle.dumps(error)
            except Exception:  # noqa: BLE001 - the child gets the text instead
                data = b""
            self._out.send(("err", data, f"{type(error).__name__}: {error}"))
            return
        states = [a.bit_generator.state if _is_generator(a) else None for a in args]
        self._out.send(("ok", value, states))

    def _recv(self, who: str, timeout: float | None = None) -> tuple:
        waited = 0.0
        while not self._in.poll(POLL_S):
            waited += POLL_S
            if self.proc.poll() is not None:
                log = self._log_tail()
                self.close()
                raise HarnessError(f"strategy {who!r}: its process died{log}")
            if timeout is not None and waited >= timeout:
                self.close()
                raise HarnessError(f"strategy {who!r}: its process did not start within {timeout:.0f} s")
        try:
            msg = loads(self._in.recv_bytes())
        except (EOFError, OSError):
            log = self._log_tail()
            self.close()
            raise HarnessError(f"strategy {who!r}: its process died{log}") from None
        except Exception as exc:  # noqa: BLE001 - anything unreadable is a protocol break
            self.close()
            raise HarnessError(f"strategy {who!r}: its process sent an unreadable message ({exc})") from None
        if not isinstance(msg, tuple) or not msg or not isinstance(msg[0], str):
            self.close()
            raise HarnessError(f"strategy {who!r}: its process sent something that is not a message")
        return msg

    def _log_tail(self) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode(errors="replace").strip()
        except OSError:
            return ""
        return f": {text[-1500:]}" if text else ""


def _is_generator(value: Any) -> bool:
    import numpy as np

    return isinstance(value, np.random.Generator)


def _history(name: str, outcome: tuple) -> dict:
    kind = outcome[0]
    if kind == "history" and len(outcome) == 2 and isinstance(outcome[1], dict):
        return outcome[1]
    if kind == "returned":
        raise HarnessError(f"strategy {name!r} returned {outcome[1]}, not a SearchHistory")
    if kind == "raised" and len(outcome) == 4:
        _, type_name, message, text = (str(x) for x in outcome)
        if type_name == "BudgetExhausted":
            raise HarnessError(f"strategy {name!r} did not stop at its budget: {message}")
        if type_name == "PermissionError":
            raise HarnessError(
                f"strategy {name!r} was stopped by the sandbox: PermissionError: {message} "
                "(a strategy may read its own package and the Python installation, never ground "
                "truth, benchmark files or the score store)"
            )
        error = HarnessError(f"strategy {name!r} raised {type_name}: {message}")
        error.add_note(text)
        raise error
    raise HarnessError(f"strategy {name!r}: its process sent a malformed answer ({kind!r})")
