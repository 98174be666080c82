"""The plugin host: one pluggy manager fed by entry points, built-ins included.

A plugin module that fails to import, or a hook that returns something invalid, costs one
warning naming its distribution and the reason; every other plugin still loads.
"""

from __future__ import annotations

import difflib
import importlib.metadata as md
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from .api import (
    ENTRY_POINT_GROUPS,
    KIND_BASE,
    KIND_HOOK,
    PROJECT,
    SUITES_GROUP,
    HarnessError,
    HookSpecs,
    Needs,
    PluginConfig,
)

REQUIRED_ATTRS = {
    "proxy": ("name", "version", "higher_is_better", "needs", "Config"),
    "space": ("name", "version", "Config"),
    "strategy": ("name", "version", "Config"),
    "data_source": ("name", "version", "Config"),
}


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin class and where it came from."""

    kind: str
    name: str
    version: str
    distribution: str
    dist_version: str
    cls: type
    entry_point: str

    @property
    def higher_is_better(self) -> bool | None:
        return getattr(self.cls, "higher_is_better", None) if self.kind == "proxy" else None

    @property
    def needs(self) -> list[str]:
        if self.kind != "proxy":
            return []
        order = [n.value for n in Needs]
        return sorted((Needs(n).value for n in self.cls.needs), key=order.index)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "distribution_version": self.dist_version,
            "higher_is_better": self.higher_is_better,
            "needs": self.needs,
            "summary": getattr(self.cls, "summary", ""),
            "entry_point": self.entry_point,
        }


@dataclass
class PluginHost:
    """Discovers and holds the proxy, space and strategy plugins."""

    plugins: dict[str, dict[str, PluginInfo]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    manager: pluggy.PluginManager = field(default_factory=lambda: _new_manager())
    origins: dict[str, str] = field(
        default_factory=dict
    )  # registered module name → "ep from distribution 'd'"

    @classmethod
    def discover(
        cls,
        extra: Iterable[tuple[str, Any, str]] = (),
        disabled: Iterable[str] = (),
        kinds: Iterable[str] | None = None,
    ) -> PluginHost:
        """Load every entry point of our groups, then ``extra`` (kind, module, dist) pairs.

        ``disabled`` lists entry-point names to skip (like pytest's ``-p no:NAME``); ``kinds``
        limits discovery to those plugin kinds (e.g. only data sources; "suites" for the packages
        that only contribute suites, ``SUITES_GROUP``).
        """
        host = cls()
        skip = set(disabled)
        wanted = set(kinds) if kinds is not None else set(ENTRY_POINT_GROUPS)
        for kind, group in ENTRY_POINT_GROUPS.items():
            if kind not in wanted:
                continue
            for ep in _entry_points(group):
                if ep.name in skip:
                    continue
                dist, dist_version = _dist_of(ep)
                try:
                    module = ep.load()
                except Exception as exc:  # noqa: BLE001 - any import error of a plugin is its own
                    host.warnings.append(
                        f"plugin {ep.name!r} from distribution {dist!r} failed to import: "
                        f"{type(exc).__name__}: {exc}"
                    )
                    continue
                host._register(kind, module, dist, dist_version, f"{group}:{ep.name}")
        for ep in _entry_points(SUITES_GROUP) if kinds is None or "suites" in wanted else ():
            if ep.name in skip:
                continue
            dist, _ = _dist_of(ep)
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import error of a plugin is its own
                host.warnings.append(
                    f"suites plugin {ep.name!r} from distribution {dist!r} failed to import: "
                    f"{type(exc).__name__}: {exc}"
                )
                continue
            host._register_module(module, dist, f"{SUITES_GROUP}:{ep.name}")
        for kind, module, dist in extra:
            if kind == "suites":
                host._register_module(module, dist, f"programmatic:{dist}")
            else:
                host._register(kind, module, dist, "", f"programmatic:{dist}")
        return host

    def _register_module(self, module: Any, dist: str, ep: str) -> bool:
        """Register ``module``'s hooks; False (and a warning) when pluggy refuses it."""
        try:
            self.manager.register(module, name=f"{ep}")
        except Exception as exc:  # noqa: BLE001 - bad hookimpl signature, double registration
            self.warnings.append(f"plugin {ep} from distribution {dist!r} not registered: {exc}")
            return False
        self.origins[ep] = f"{ep} from distribution {dist!r}"
        return True

    def contributions(self) -> list[tuple[str, list[Any]]]:
        """What every plugin returns from ``nas_harness_suites``, as (plugin, records) in
        registration order. A hook that raises or returns something other than a list costs a
        warning naming the plugin; the others still count."""
        out: list[tuple[str, list[Any]]] = []
        for impl in self.manager.hook.nas_harness_suites.get_hookimpls():
            origin = self.origins.get(impl.plugin_name, impl.plugin_name)
            try:
                records = impl.function()
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is its own
                self.warn(f"plugin {origin}: nas_harness_suites() raised {type(exc).__name__}: {exc}")
                continue
            if not isinstance(records, (list, tuple)):
                self.warn(
                    f"plugin {origin}: nas_harness_suites() must return a list, got {type(records).__name__}"
                )
                continue
            out.append((origin, list(records)))
        return out

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def _register(self, kind: str, module: Any, dist: str, dist_version: str, ep: str) -> None:
        hook_name = KIND_HOOK[kind]
        if not self._register_module(module, dist, ep):
            return
        impls = [i for i in self.manager.hook.__dict__[hook_name].get_hookimpls() if i.plugin is module]
        impl = impls[0].function if impls else None
        if impl is None:
            self.warnings.append(
                f"plugin {ep} from distribution {dist!r} implements no {hook_name}() hook; nothing registered"
            )
            return
        try:
            classes = list(impl() or [])
        except Exception as exc:  # noqa: BLE001
            self.warnings.append(
                f"plugin {ep} from distribution {dist!r}: {hook_name}() raised {type(exc).__name__}: {exc}"
            )
            return
        for plugin_cls in classes:
            problem = _invalid(kind, plugin_cls)
            if problem:
                self.warnings.append(f"plugin {ep} from distribution {dist!r}: {problem}; skipped")
                continue
            name = plugin_cls.name
            existing = self.plugins.setdefault(kind, {}).get(name)
            if existing is not None:
                self.warnings.append(
                    f"duplicate {kind} name {name!r}: distribution {dist!r} ({ep}) clashes with "
                    f"distribution {existing.distribution!r} ({existing.entry_point}); "
                    f"keeping the first"
                )
                continue
            self.plugins[kind][name] = PluginInfo(
                kind, name, str(plugin_cls.version), dist, dist_version, plugin_cls, ep
            )

    # ------------------------------------------------------------------ lookup
    def names(self, kind: str) -> list[str]:
        return sorted(self.plugins.get(kind, {}))

    def get(self, kind: str, name: str) -> PluginInfo:
        found = self.plugins.get(kind, {}).get(name)
        if found is None:
            close = difflib.get_close_matches(name, self.names(kind), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise HarnessError(
                f"unknown {kind} {name!r}{hint} (installed: {', '.join(self.names(kind)) or 'none'})"
            )
        return found

    def all(self) -> list[PluginInfo]:
        return [p for kind in ENTRY_POINT_GROUPS for p in self.plugins.get(kind, {}).values()]

    def data_sources(self) -> dict[str, type]:
        """The data source classes by name (``input.kind``)."""
        return {name: info.cls for name, info in self.plugins.get("data_source", {}).items()}


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(HookSpecs)
    return pm


def _entry_points(group: str) -> list[md.EntryPoint]:
    seen: dict[tuple[str, str], md.EntryPoint] = {}
    for ep in md.entry_points(group=group):
        seen.setdefault((ep.name, ep.value), ep)  # editable + regular installs can both list it
    return sorted(seen.values(), key=lambda e: e.name)


def _dist_of(ep: md.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown", ""
    return dist.metadata["Name"] or "unknown", dist.version or ""


def _invalid(kind: str, plugin_cls: Any) -> str | None:
    base = KIND_BASE[kind]
    if not isinstance(plugin_cls, type) or not issubclass(plugin_cls, base):
        return f"{plugin_cls!r} is not a subclass of nas_harness.api.{base.__name__}"
    missing = [a for a in REQUIRED_ATTRS[kind] if not hasattr(plugin_cls, a)]
    if missing:
        return f"{plugin_cls.__name__} lacks required metadata: {', '.join(missing)}"
    if not isinstance(plugin_cls.name, str) or not plugin_cls.name:
        return f"{plugin_cls.__name__}.name must be a non-empty string"
    if not (isinstance(plugin_cls.Config, type) and issubclass(plugin_cls.Config, PluginConfig)):
        return f"{plugin_cls.__name__}.Config must subclass nas_harness.api.PluginConfig"
    if kind == "proxy":
        if not isinstance(plugin_cls.higher_is_better, bool):
            return f"{plugin_cls.__name__}.higher_is_better must be True or False"
        try:
            needs = {Needs(n) for n in plugin_cls.needs}
        except ValueError as exc:
            return f"{plugin_cls.__name__}.needs: {exc}"
        if not needs:
            return f"{plugin_cls.__name__}.needs is empty"
    if getattr(plugin_cls, "__abstractmethods__", None):
        return f"{plugin_cls.__name__} does not implement {sorted(plugin_cls.__abstractmethods__)}"
    return None
