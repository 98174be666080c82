"""The import graph has the shape the README's Architecture section promises: no cycles (module
level and inside functions alike), plugins import nothing of ours but the contract, and no lower
layer imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "harness": "nas_harness",
    "plugins": "nas_harness.plugins",
    "leaderboard": "nas_harness.leaderboard",
}
EDGE = {
    "nas_harness.cli",
    "nas_harness.cli_workflows",
    "nas_harness.cli_args",
    "nas_harness.cli_options",
    "nas_harness.cli_examples",
}
# Workflows: protocol runs that also render their results (``nash run`` prints its leaderboard).
WORKFLOWS = {
    "runner",
    "analysis",
    "report_data",
    "collection",
    "standard",
    "cross_suite",
    "search_runner",
    "reproduce",
    "repro_estimate",
    "sweeps",
    "suite_run",
    "check",
    "verify",
    "submission",
    "validate",
    "scaffold",
    "report",
    "fewshot_runner",
    "reference",
}
CORE = {
    "host",
    "config",
    "inputs",
    "inits",
    "store",
    "scoring",
    "engine",
    "executors",
    "resolve",
    "stats",
    "search_view",
    "environment",
    "files",
    "checksum",
    "sandbox",
    "distribution",
    "threads",
    "oracle_guard",
    "state_guard",
    "safe_pickle",
}


def modules() -> dict[str, Path]:
    out = {}
    for folder, base in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([base, *parts])] = path
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    names = set(mods)

    def resolve(name: str) -> str | None:
        while name and name not in names:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in names else base for a in node.names]
            else:
                continue
            for target in targets:
                found = resolve(target)
                if found and found != mod and found.startswith("nas_harness"):
                    edges[mod].add(found)
    return edges


def layer(mod: str) -> int:
    if mod == "nas_harness.api" or mod.startswith("nas_harness.api."):
        return 0
    if mod.startswith("nas_harness.plugins"):
        return 1
    if mod in EDGE:
        return 5
    if mod.startswith("nas_harness.leaderboard"):
        return 2 if "schema" in mod.rsplit(".", 1)[1] else 4  # result records sit beside the core
    top = mod.split(".")[1] if mod.count(".") else ""
    if top in WORKFLOWS:
        return 4
    return 2 if top in CORE or mod == "nas_harness" else 3


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def plugin_unit(mod: str) -> str:
    return ".".join(mod.split(".")[:4])


def test_the_import_graph_has_no_cycles():
    assert cycles(imports(modules())) == []


def test_plugins_import_only_the_contract_and_their_own_package():
    bad = []
    for mod, targets in imports(modules()).items():
        if not mod.startswith("nas_harness.plugins."):
            continue
        for t in targets:
            if layer(t) == 0 or plugin_unit(t) == plugin_unit(mod):
                continue
            kind_helper = (
                t.startswith("nas_harness.plugins.")
                and t.split(".")[2] == mod.split(".")[2]
                and t.split(".")[3].startswith("_")
            )
            if not kind_helper:
                bad.append(f"{mod} -> {t}")
    assert bad == []


def test_no_lower_layer_imports_a_higher_one():
    bad = [
        f"{m} (layer {layer(m)}) -> {t} (layer {layer(t)})"
        for m, targets in imports(modules()).items()
        for t in targets
        if layer(t) > layer(m) and not m == "nas_harness"
    ]
    assert bad == []


def test_the_contract_imports_nothing_of_ours_but_itself():
    bad = [
        f"{m} -> {t}"
        for m, targets in imports(modules()).items()
        if layer(m) == 0
        for t in targets
        if layer(t) != 0
    ]
    assert bad == []
