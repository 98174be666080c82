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
