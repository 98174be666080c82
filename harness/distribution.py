"""What exactly is installed: a content hash of a plugin's distribution.

A submission names the distribution that provided its proxy and a hash of that
distribution's files, so a reader can tell whether the code they install is the code that
produced the numbers. Two ways to find the files:

* a regular install lists them in its ``RECORD`` (read through ``importlib.metadata``). The
  hash covers every listed file inside site-packages except byte code (``*.pyc``) and the
  install-specific metadata (``RECORD``, ``INSTALLER``, ``REQUESTED``, ``direct_url.json``);
  files outside it (``../../bin`` scripts, whose shebang names the interpreter) are left out;
* an editable install lists only a finder or a ``.pth``, so the hash covers the files of the
  packages it maps (every regular file of each package directory, byte code left out).

The hash is sha256 over ``path NUL sha256(content) LF`` lines sorted by path, so it depends on
file names and contents only, not on where or when the distribution was installed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
from dataclasses import dataclass
from pathlib import Path

from .api import HarnessError

_SKIP_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


@dataclass(frozen=True)
class DistributionHash:
    name: str
    version: str
    editable: bool
    files: int
    sha256: str
    method: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "editable": self.editable,
            "files": self.files,
            "sha256": self.sha256,
            "method": self.method,
        }


def distribution_hash(name: str) -> DistributionHash:
    """The content hash of installed distribution ``name`` (see the module docstring)."""
    found = list(md.distributions(name=name))
    if not found:
        raise HarnessError(f"distribution {name!r} is not installed")
    # An installed one (dist-info with RECORD) over a source tree's stray *.egg-info on sys.path.
    dist = next((d for d in found if d.read_text("RECORD") is not None), None)
    if dist is None:
        raise HarnessError(
            f"distribution {name!r} has no RECORD (not installed by pip?): cannot hash its files"
        )
    editable = _is_editable(dist)
    if editable:
        files = _editable_files(dist)
        method = "sha256 of the files of the packages an editable install maps (byte code left out)"
    else:
        files = _record_files(dist)
        method = "sha256 of the files listed in RECORD (byte code and install metadata left out)"
    if not files:
        raise HarnessError(f"distribution {name!r}: no files found to hash")
    lines = [
        f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n" for rel, path in sorted(files.items())
    ]
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    return DistributionHash(
        dist.metadata["Name"] or name, dist.version or "", editable, len(files), digest, method
    )


def _is_editable(dist: md.Distribution) -> bool:
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        return bool(json.loads(text).get("dir_info", {}).get("editable"))
    except (ValueError, AttributeError):
        return False


def _record_files(dist: md.Distribution) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for entry in dist.files or []:
        rel = str(entry).replace("\\", "/")
        if rel.startswith("..") or rel.endswith(".pyc") or "/__pycache__/" in f"/{rel}":
            continue
        if ".dist-info/" in rel and rel.rsplit("/", 1)[-1] in _SKIP_METADATA:
            continue
        path = Path(entry.locate())
        if path.is_file():
            out[rel] = path
    return out


def _editable_files(dist: md.Distribution) -> dict[str, Path]:
    """Files of every package the editable install maps, keyed by their dotted package path."""
    out: dict[str, Path] = {}
    for package, root in _editable_roots(dist).items():
        if root.is_file():  # a single-module distribution
            out[root.name] = root
            continue
        for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            if "__pycache__" in folder.parts or not (folder / "__init__.py").is_file():
                continue
            dotted = ".".join([package, *folder.relative_to(root).parts])
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix != ".pyc":
                    out[f"{dotted.replace('.', '/')}/{path.name}"] = path
    return out


def _editable_roots(dist: md.Distribution) -> dict[str, Path]:
    """package -> folder (or module file) of an editable install.

    setuptools' finder module holds a literal ``MAPPING = {package: folder}``; a plain ``.pth``
    names a folder holding the top-level packages.
    """
    roots: dict[str, Path] = {}
    for entry in dist.files or []:
        name = str(entry).rsplit("/", 1)[-1]
        path = Path(entry.locate())
        if name.startswith("__editable__") and name.endswith("_finder.py") and path.is_file():
            roots.update(_finder_mapping(path.read_text()))
        elif name.endswith(".pth") and path.is_file():
            for line in path.read_text().splitlines():
                folder = Path(line.strip())
                if line.strip() and not line.startswith(("import", "#")) and folder.is_dir():
                    for package in _top_level_names(dist):
                        candidate = folder / package
                        module = folder / f"{package}.py"
                        if candidate.is_dir():
                            roots[package] = candidate
                        elif module.is_file():
                            roots[package] = module
    return roots


def _finder_mapping(source: str) -> dict[str, Path]:
    import ast

    for node in ast.parse(source).body:
        target = getattr(node, "target", None) or (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "MAPPING" and node.value is not None:
            try:
                mapping = ast.literal_eval(node.value)
            except ValueError:
                return {}
            return {str(k): Path(v) for k, v in mapping.items()}
    return {}


def _top_level_names(dist: md.Distribution) -> list[str]:
    names = (dist.read_text("top_level.txt") or "").split()
    if not names:  # entry points name modules; their first component is the package
        names = [ep.value.split(":")[0].split(".")[0] for ep in dist.entry_points]
    return sorted(set(names))
