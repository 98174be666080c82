"""``nash new-proxy NAME``: a pip-installable proxy plugin package, ready to edit.

The package is written from ``templates/new_proxy`` (``string.Template`` placeholders
``${name}``, ``${package}``, ``${dist}``, ``${cls}``, ``${harness_version}``; a folder named
``__package__`` becomes the import package). It installs and passes its own tests as written:
a working example proxy, its config model, the entry point, a README, and tests that run the
installed plugin through ``nash plugins``, ``nash run`` and ``nash validate``.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from . import __version__
from .api import HarnessError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TEMPLATE = "templates/new_proxy"


@dataclass(frozen=True)
class ProxyNames:
    name: str  # the proxy's name in nash (and the entry point's)
    package: str  # the import package
    dist: str  # the distribution (pip) name
    cls: str  # the proxy class

    @classmethod
    def of(cls, name: str) -> ProxyNames:
        if not _NAME.match(name) or keyword.iskeyword(name):
            raise HarnessError(
                f"proxy name {name!r}: use lower-case letters, digits and underscores, starting "
                "with a letter (it is an entry-point name and part of a Python package name)"
            )
        camel = "".join(part.capitalize() for part in name.split("_") if part)
        return cls(
            name=name, package=f"nash_proxy_{name}", dist=f"nash-proxy-{name.replace('_', '-')}", cls=camel
        )


def scaffold(
    name: str, target: Path | None = None, *, taken: dict[str, str] | None = None
) -> tuple[Path, list[Path]]:
    """Write the package for proxy ``name`` into ``target`` (default ``./nash-proxy-NAME``);
    returns the folder and the files written.

    ``taken`` maps installed proxy names to their distributions: a name already installed is
    refused, since two plugins with one name cannot both load.
    """
    names = ProxyNames.of(name)
    if taken and name in taken:
        raise HarnessError(
            f"proxy name {name!r} is already provided by distribution {taken[name]!r}; pick another"
        )
    target = Path(target) if target is not None else Path.cwd() / names.dist
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise HarnessError(f"{target}: exists and is not an empty folder; give --dir for a new one")
    values = {
        "name": names.name,
        "package": names.package,
        "dist": names.dist,
        "cls": names.cls,
        "harness_version": __version__,
    }
    root = resources.files("nas_harness").joinpath(TEMPLATE)
    written = []
    for source, rel in _template_files(root):
        out_rel = rel.replace("__package__", names.package).removesuffix(".tmpl")
        out = target / out_rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(Template(source.read_text()).substitute(values))
        written.append(out)
    if not written:
        raise HarnessError(f"the new-proxy template is missing from this installation ({root})")
    return target, sorted(written)


def _template_files(root, prefix: str = ""):
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _template_files(entry, f"{rel}/")
        elif entry.name.endswith(".tmpl"):
            yield entry, rel
