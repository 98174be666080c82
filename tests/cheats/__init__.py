"""An adversarial proxy plugin: cheating, mutating and misbehaving proxies (tests only).

Registered as a real plugin distribution by ``install`` (an entry point in a temporary
dist-info folder put on ``sys.path``), so ``nash run``, standard suites and ``nash submit`` find
them by name exactly as they would a third party's package, in the driver and in the workers.
Every proxy here is something a dishonest or careless author could ship; the tests in
``tests/test_adversarial.py`` check that none of them gets ground truth, changes another proxy's
score, leaks a process or costs more than one time limit.
"""

from __future__ import annotations

from nas_harness.api import hookimpl

from .mutators import HONEST, MUTATORS, RNG_MOVERS, STATE_CHANGERS, GlobalRngReader
from .odd import ODD_TYPES
from .peekers import PEEKERS
from .processes import PROCESS_CHEATS

ALL = (
    *HONEST,
    *MUTATORS,
    *STATE_CHANGERS,
    *RNG_MOVERS,
    GlobalRngReader,
    *ODD_TYPES,
    *PEEKERS,
    *PROCESS_CHEATS,
)


@hookimpl
def nas_harness_proxies():
    return list(ALL)


@hookimpl
def nas_harness_suites():
    from .suite import ADVERSARIAL

    return [ADVERSARIAL]
