"""JSON Lines records (manifests, failure lists, N-best and delex outputs)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import FormatError
from .atomic import atomic_path

__all__ = ["read_jsonl", "write_jsonl"]


def write_jsonl(path: str | os.PathLike, records: Iterable[Any]) -> None:
    """Write an iterable of JSON-serialisable objects, one per line, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: str | os.PathLike) -> list[Any]:
    """Read a JSON Lines file into a list of objects; blank lines are skipped."""
    path = Path(path)
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise FormatError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    return records
