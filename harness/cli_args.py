"""Parsing of repeated KEY=VALUE flags, shared by every command."""

from __future__ import annotations

from typing import Any

from .api import HarnessError


def kv(items: list[str], flag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"{flag} {item!r}: expected KEY=VALUE")
        out[key.strip()] = scalar(value)
    return out


def scalar(text: str) -> Any:
    """Flag values are parsed as YAML scalars: 64 → int, true → bool, 1e-5 → float."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def one_proxy_opts(items: list[str], proxy: str | None, flag: str = "--proxy-opt") -> dict[str, Any]:
    """Options of the one proxy a command takes: KEY=VALUE, or PROXY.KEY=VALUE as every other
    command spells them (PROXY must then be that proxy)."""
    plain: list[str] = []
    for item in items:
        key = item.partition("=")[0]
        name, dot, rest = item.partition(".")
        if dot and "." in key:  # PROXY.KEY=VALUE
            if name != proxy:
                raise HarnessError(f"{flag} {item!r}: {name!r} is not the proxy of this command ({proxy!r})")
            item = rest
        plain.append(item)
    return kv(plain, flag)
