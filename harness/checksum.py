"""The one checksum of every JSON document the harness writes (results files and submissions).

``checksum`` is ``sha256:`` over the canonical JSON (sorted keys, no whitespace, no NaN) of the
document without its ``checksum`` field. It detects edits and corruption; it is not a signature
(whoever edits a file can recompute it), which is why submissions are also re-verified against
the suite's own oracle and re-scored (``nash submit --verify``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .api import HarnessError

FIELD = "checksum"


def canonical_json(data: Any) -> str:
    """Sorted keys, no whitespace, no NaN: the bytes the checksum is computed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def checksum_of(document: dict[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != FIELD}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()


def sealed_json(model: Any) -> str:
    """A pydantic results model as indented JSON text carrying its checksum."""
    document = json.loads(model.model_dump_json())
    document[FIELD] = checksum_of(document)
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def check_seal(data: Any, path: Path, label: str = "results file") -> bool:
    """True when ``data`` (parsed JSON) carries a checksum that matches, False when it carries
    none (written before results were checksummed, or the field was removed); a mismatch is a
    HarnessError saying the file was modified after it was written. The checksum is taken out of
    ``data``: it belongs to the file, not to the result read from it (a result derived from it
    and written again is sealed afresh)."""
    if not isinstance(data, dict) or data.get(FIELD) in (None, ""):
        if isinstance(data, dict):
            data.pop(FIELD, None)
        return False
    stated = data[FIELD]
    try:
        actual = checksum_of(data)
    except ValueError as exc:  # NaN/inf smuggled into the file
        raise HarnessError(f"{label} {path}: not canonical JSON ({exc})") from None
    if stated != actual:
        raise HarnessError(
            f"{label} {path}: checksum mismatch (file says {stated}, content hashes to {actual}); "
            "the file was modified after it was written"
        )
    del data[FIELD]
    return True
