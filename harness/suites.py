"""The suites installed plugins contribute (``nas_harness_suites``), gathered in one catalog.

The core names no suite of its own: run presets (``nash run --suite quick``), versioned suites
(``standard``), paper tables and reproductions come from plugins as ``nas_harness.api.suites``
records. Presets and versioned suites share one namespace (``--suite NAME``). A name
contributed twice keeps the first plugin's record and warns naming both plugins; a record of an
unknown type warns naming its plugin. Warnings join the host's, which every command prints.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .api import HarnessError
from .api.suites import CrossSpaceSuite, PaperTable, Reproduction, RunPreset, VersionedSuite
from .host import PluginHost


@dataclass(frozen=True)
class SuiteCatalog:
    presets: dict[str, RunPreset] = field(default_factory=dict)
    # ``name@version`` and, for the lowest version of a name, the bare ``name`` → the suite
    versioned: dict[str, VersionedSuite | CrossSpaceSuite] = field(default_factory=dict)
    tables: dict[str, PaperTable] = field(default_factory=dict)
    reproductions: dict[str, Reproduction] = field(default_factory=dict)
    origin: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) → contributing plugin

    def run_suite_names(self) -> list[str]:
        """Names ``--suite`` accepts: presets and versioned suites (bare and ``name@version``)."""
        return sorted({*self.presets, *self.versioned})

    def distinct_versioned(self) -> dict[str, VersionedSuite | CrossSpaceSuite]:
        """Each versioned suite once, under ``name@version``."""
        return {k: v for k, v in self.versioned.items() if "@" in k}

    def reproduction(self, name: str) -> Reproduction:
        found = self.reproductions.get(name)
        if found is None:
            close = difflib.get_close_matches(name, list(self.reproductions), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise HarnessError(
                f"no reproduction suite {name!r}{hint}; known: "
                f"{', '.join(self.reproductions) or 'none (no installed plugin contributes one)'}"
            )
        return found

    def unknown_suite(self, name: str) -> HarnessError:
        known = ", ".join(self.run_suite_names()) or "none (no installed plugin contributes one)"
        return HarnessError(f"unknown suite {name!r}; known: {known}")


def catalog(host: PluginHost) -> SuiteCatalog:
    """Every installed plugin's suites; problems become host warnings naming the plugin."""
    cat = SuiteCatalog()
    for origin, records in host.contributions():
        for record in records:
            if isinstance(record, RunPreset):
                _add(cat, host, "suite", record.name, record, cat.presets, origin, also=cat.versioned)
            elif isinstance(record, (VersionedSuite, CrossSpaceSuite)):
                key = f"{record.name}@{record.version}"
                _add(cat, host, "suite", key, record, cat.versioned, origin, also=cat.presets)
            elif isinstance(record, PaperTable):
                _add(cat, host, "paper table", record.key, record, cat.tables, origin)
            elif isinstance(record, Reproduction):
                _add(cat, host, "reproduction", record.name, record, cat.reproductions, origin)
                if record.table.key not in cat.tables:
                    cat.tables[record.table.key] = record.table
                    cat.origin[("paper table", record.table.key)] = origin
            else:
                host.warn(
                    f"plugin {origin}: nas_harness_suites() returned {type(record).__name__!r}, not a "
                    "RunPreset, VersionedSuite, CrossSpaceSuite, PaperTable or Reproduction of "
                    "nas_harness.api.suites; skipped"
                )
    _alias_lowest_versions(cat, host)
    return cat


def _version_key(version: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))


def _alias_lowest_versions(cat: SuiteCatalog, host: PluginHost) -> None:
    """A bare suite name means its lowest version: publishing ``standard@2`` leaves what
    ``--suite standard`` runs (``standard@1``) unchanged."""
    by_name: dict[str, list[str]] = {}
    for key, suite in cat.versioned.items():
        by_name.setdefault(suite.name, []).append(key)
    for name, keys in by_name.items():
        if name in cat.presets:
            host.warn(f"suite {name!r}: a preset of that name hides the bare name of {', '.join(keys)}")
            continue
        lowest = min(keys, key=lambda k: _version_key(cat.versioned[k].version))
        cat.versioned[name] = cat.versioned[lowest]
        cat.origin[("suite", name)] = cat.origin[("suite", lowest)]


def _add(
    cat: SuiteCatalog,
    host: PluginHost,
    kind: str,
    name: str,
    record,
    into: dict,
    origin: str,
    also: dict | None = None,
) -> None:
    if not isinstance(name, str) or not name:
        host.warn(f"plugin {origin}: a {kind} without a name; skipped")
        return
    if name in into or (also is not None and name in also):
        host.warn(
            f"duplicate {kind} {name!r}: plugin {origin} clashes with plugin {cat.origin[(kind, name)]}; "
            "keeping the first"
        )
        return
    into[name] = record
    cat.origin[(kind, name)] = origin
