"""Turn a validated RunConfig into plugin objects with validated configs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api import Combinator, HarnessError, Oracle, Space
from .config import RunConfig, validate_plugin_config
from .scoring import ProxyJob
from .host import PluginHost, PluginInfo


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


def resolve(config: RunConfig, host: PluginHost, source: Path | None = None) -> Resolved:
    space_info = host.get("space", config.space.name)
    space_cfg = validate_plugin_config(space_info.cls.Config, config.space.config, "space.config", source)
    space: Space = space_info.cls(space_cfg)
    space.dataset(config.dataset)  # unknown dataset: HarnessError listing the known ones

    oracles = space.oracles()
    if not oracles:
        raise HarnessError(f"space {space.name!r} has no ground-truth oracle; correlation needs one")
    oracle_name = config.oracle.name if config.oracle else next(iter(oracles))
    if oracle_name not in oracles:
        raise HarnessError(
            f"space {space.name!r} has no oracle {oracle_name!r}; known: {', '.join(oracles)}"
        )
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
        raise HarnessError(f"{where}: space {space.name!r} has no oracle {ref.name!r}; known: {', '.join(oracles)}")
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
            raise HarnessError(f"{where}.config.members[{j}]: {ref.name!r} is a combinator; members must be plain proxies")
        members.append(_job(host, member_info, ref.config, f"{where}.config.members[{j}]", source))
    return ProxyJob(proxy, tuple(members))
