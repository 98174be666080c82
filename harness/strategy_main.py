"""The process a search strategy runs in: sandboxed, holding no oracle, talking to the driver.

Started by ``strategy_sandbox.StrategyProcess`` as ``python -P -m nas_harness.strategy_main IN
OUT``. It restricts its own reads (``sandbox.restrict``: no benchmark tables, oracle data or score
store) before it has unpickled anything, then, for every search, forks a fresh child that
unpickles the strategy and runs it: each search starts from the same clean state (nothing a
strategy remembers carries over to the next repeat or proxy), and the fork costs milliseconds
where a new interpreter costs a second. The strategy gets a ``SearchSpaceView`` and a
``ScoreFn`` whose calls are answered by the driver; a ``Generator`` it passes to a move (sample,
mutate, crossover, repair) travels with the call and comes back advanced exactly as the move
advanced it, so a search draws the same numbers as it would in the driver.

Messages to the driver are pickles of containers, numbers, strings and NumPy values only (the
driver reads them with ``safe_pickle``); the driver's messages are ordinary pickles.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """SIGKILL this process when its parent goes (no thread needed, so forking stays safe)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Link:
    """The child's side of the pipes: one request at a time, answered in order."""

    def __init__(self, inbox: Connection, outbox: Connection):
        self.inbox, self.outbox = inbox, outbox
        self.lock = threading.Lock()

    def send(self, msg: tuple) -> None:
        self.outbox.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))

    def call(self, kind: str, method: str, args: tuple) -> Any:
        import numpy as np

        from .api import HarnessError

        sent = tuple(rng_message(a) if isinstance(a, np.random.Generator) else a for a in args)
        with self.lock:
            self.send(("call", kind, method, sent))
            reply = self.inbox.recv()
        if reply[0] == "err":
            try:
                error = pickle.loads(reply[1])
            except Exception:  # noqa: BLE001 - an error type this process cannot import
                error = HarnessError(reply[2])
            raise error
        _, value, states = reply
        for arg, state in zip(args, states):
            if state is not None and isinstance(arg, np.random.Generator):
                arg.bit_generator.state = state  # advanced as the move advanced the driver's copy
        return value


RNG_MARK = "__nash_rng__"


def rng_message(rng) -> tuple:
    """A ``Generator`` as it travels to the driver: its bit generator's kind and state (plain
    values: the driver rebuilds it with ``rng_from_message``)."""
    bits = rng.bit_generator
    return (RNG_MARK, type(bits).__name__, bits.state)


def rng_from_message(value):
    """The ``Generator`` a ``rng_message`` stands for; any other value unchanged."""
    if not (isinstance(value, tuple) and len(value) == 3 and value[0] == RNG_MARK):
        return value
    import numpy as np

    kinds = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM, "MT19937": np.random.MT19937}
    kinds.update(Philox=np.random.Philox, SFC64=np.random.SFC64)
    if value[1] not in kinds:
        raise ValueError(f"unknown bit generator {value[1]!r}")
    bits = kinds[value[1]]()
    bits.state = value[2]
    return np.random.Generator(bits)


class RemoteSpace:
    """The driver's ``space_backend`` seen from here: every method is a call over the link."""

    def __init__(self, link: Link):
        self._link = link

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args: self._link.call("view", method, args)


class RemoteScorer:
    """The driver's ``Scorer`` seen from here (a ``ScoreFn``'s backend)."""

    def __init__(self, link: Link, budget: int):
        self._link = link
        self.budget = budget

    def __call__(self, archs):
        return self._link.call("score", "__call__", (list(archs) if not isinstance(archs, str) else archs,))

    def scored(self, arch):
        return self._link.call("score", "scored", (arch,))

    @property
    def used(self) -> int:
        return self._link.call("score", "used", ())

    @property
    def remaining(self) -> int:
        return self._link.call("score", "remaining", ())


def run_one(link: Link, strategy_bytes: bytes, budget: int, seed: int) -> None:
    """Unpickle the strategy, run one search, send what it returned (or raised)."""
    import numpy as np

    from .api import SearchHistory
    from .search_view import ScoreFn, view_over

    try:
        strategy = pickle.loads(strategy_bytes)
        view = view_over(RemoteSpace(link))
        score_fn = ScoreFn(RemoteScorer(link, budget))
        history = strategy.search(view, score_fn, budget, np.random.default_rng(seed))
    except BaseException as exc:  # noqa: BLE001 - reported to the driver, which names the strategy
        text = "".join(traceback.format_exception(exc))[-8000:]
        link.send(("raised", type(exc).__name__, str(exc)[:2000], text))
        return
    if isinstance(history, SearchHistory):
        link.send(("history", history.model_dump(mode="json")))
    else:
        link.send(("returned", f"{type(history).__module__}.{type(history).__qualname__}"))


def _preload(module: str) -> None:
    """Import the strategy's module here, once, so that each search's fork starts with it (and
    what it imports, torch say) loaded instead of paying for it on every search. Only module
    code runs here, the same for every search; the strategy object is built in the fork."""
    import importlib

    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - the fork imports it again and reports the error
        pass


def serve(inbox: Connection, outbox: Connection) -> int:
    load = inbox.recv()  # ("load", sys_path, sandboxed, denied)
    _, sys_path, sandboxed, denied = load
    for entry in sys_path:
        if entry and entry not in sys.path and os.path.isdir(entry):
            sys.path.append(entry)
    link = Link(inbox, outbox)
    try:
        import numpy  # noqa: F401 - loaded before the sandbox, like everything a strategy needs

        from . import api, search_view  # noqa: F401

        note = "off"
        if sandboxed:
            from . import sandbox

            abi = sandbox.restrict(sandbox.scoring_roots(), sandbox.denied_paths(denied))
            note = f"landlock ABI {abi}"
    except Exception as exc:  # noqa: BLE001 - the driver reports it
        link.send(("error", f"{type(exc).__name__}: {exc}"))
        return 1
    link.send(("ready", note))
    while True:
        try:
            msg = inbox.recv()
        except EOFError:
            return 0
        if msg[0] != "run":
            continue
        _preload(msg[4])
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.setpgid(0, 0)
                _die_with_parent()
                run_one(link, *msg[1:4])
            except BaseException:  # noqa: BLE001 - the driver sees the exit code
                code = 70
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        try:
            os.killpg(pid, signal.SIGKILL)  # whatever the strategy started dies with its search
        except OSError:
            pass
        link.send(("exited", os.waitstatus_to_exitcode(status)))


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    inbox = Connection(int(argv[1]), writable=False)
    outbox = Connection(int(argv[2]), readable=False)
    return serve(inbox, outbox)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
