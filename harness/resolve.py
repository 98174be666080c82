"""Turn a validated RunConfig into plugin objects with validated configs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api import Combinator, HarnessError, Oracle, Space
from .config import PluginRef, RunConfig, validate_plugin_config
from .host import PluginHost, PluginInfo
from .scoring import ProxyJob


@dataclass
class Resolved:
    space: Space
    space_info: PluginInfo
    oracle: Oracle
    jobs: list[ProxyJob]
    proxy_infos: dict[str, PluginInfo]

    def resolved_config(self, config: RunConfig) -> dict[str, Any]:
        """The run config with every plugin's defaults filled in."""
        data = config.model_dump(mode="json")
        data["space"]["config"] = self.space.config.model_dump(mode="json")
        data["oracle"] = {"name": self.oracle.name, "config": self.oracle.config.model_dump(mode="json")}
        data["proxies"] = [
            {"name": j.name, "config": j.proxy.config.model_dump(mode="json")} for j in self.jobs
        ]
        return data


def default_space(host: PluginHost, given: PluginRef | None) -> PluginRef:
    """The space a config names, else the only installed one; several and none named is an
    error listing them (the core prefers no benchmark over another)."""
    if given is not None:
        return given
    installed = host.names("space")
    if len(installed) == 1:
        return PluginRef(name=installed[0])
    if not installed:
        raise HarnessError(
            "space: no search space plugin is installed (pip install one; `nash plugins` lists them)"
        )
    raise HarnessError(
        f"space: {len(installed)} search spaces are installed, so the run must name one: give --space NAME, "
        f"'space: NAME' in the config, or `nash run --suite NAME` (a suite names its own space); installed: "
        f"{', '.join(installed)}"
    )


def default_task(host: PluginHost, space: PluginRef, source: Path | None = None) -> str:
    """The space's own default task (``Space.default_task``)."""
    info = host.get("space", space.name)
    cfg = validate_plugin_config(info.cls.Config, space.config, "space.config", source)
    return info.cls(cfg).default_task()


def with_defaults(config: RunConfig, host: PluginHost, source: Path | None = None) -> RunConfig:
    """``config`` with the space and task filled in when it names none (see ``default_space``)."""
    if config.space is not None and config.dataset is not None:
        return config
    space = default_space(host, config.space)
    dataset = config.dataset if config.dataset is not None else default_task(host, space, source)
    return config.model_copy(update={"space": space, "dataset": dataset})


def resolve(config: RunConfig, host: PluginHost, source: Path | None = None) -> Resolved:
    config = with_defaults(config, host, source)
    space_info = host.get("space", config.space.name)
    space_cfg = validate_plugin_config(space_info.cls.Config, config.space.config, "space.config", source)
    space: Space = space_info.cls(space_cfg)
    space.dataset(config.dataset)  # unknown dataset: HarnessError listing the known ones

    oracles = space.oracles()
    if not oracles:
        raise HarnessError(f"space {space.name!r} has no ground-truth oracle; correlation needs one")
    oracle_name = config.oracle.name if config.oracle else next(iter(oracles))
    if oracle_name not in oracles:
        raise HarnessError(f"space {space.name!r} has no oracle {oracle_name!r}; known: {', '.join(oracles)}")
    oracle_cls = oracles[oracle_name]
    oracle_cfg = validate_plugin_config(
        oracle_cls.Config, config.oracle.config if config.oracle else {}, "oracle.config", source
    )
    oracle = oracle_cls(oracle_cfg, space=space)

    jobs, infos = [], {}
    for i, ref in enumerate(config.proxies):
        info = host.get("proxy", ref.name)
        if ref.name in infos:
            raise HarnessError(f"proxies[{i}]: {ref.name!r} is listed twice")
        jobs.append(_job(host, info, ref.config, f"proxies[{i}]", source))
        infos[ref.name] = info
    return Resolved(space, space_info, oracle, jobs, infos)


def resolve_oracle(space: Space, ref, where: str, source: Path | None = None) -> Oracle:
    """An oracle of ``space`` from a ``PluginRef`` (name + options), validated."""
    oracles = space.oracles()
    if ref.name not in oracles:
        raise HarnessError(
            f"{where}: space {space.name!r} has no oracle {ref.name!r}; known: {', '.join(oracles)}"
        )
    cls = oracles[ref.name]
    return cls(validate_plugin_config(cls.Config, ref.config, f"{where}.config", source), space=space)


def _job(host: PluginHost, info: PluginInfo, options: dict, where: str, source: Path | None) -> ProxyJob:
    """A proxy job; a combinator's members are resolved (and validated) the same way."""
    cfg = validate_plugin_config(info.cls.Config, options, f"{where}.config", source)
    proxy = info.cls(cfg)
    if not isinstance(proxy, Combinator):
        return ProxyJob(proxy)
    members = []
    for j, ref in enumerate(proxy.member_refs()):
        member_info = host.get("proxy", ref.name)
        if issubclass(member_info.cls, Combinator):
            raise HarnessError(
                f"{where}.config.members[{j}]: {ref.name!r} is a combinator; members must be plain proxies"
            )
        members.append(_job(host, member_info, ref.config, f"{where}.config.members[{j}]", source))
    return ProxyJob(proxy, tuple(members))
