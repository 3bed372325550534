"""JSON Lines records (manifests, failure lists, N-best and delex outputs)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from ..errors import FormatError
from .atomic import atomic_path
from .text import read_lines

__all__ = ["parse_json", "read_jsonl", "write_jsonl"]


def write_jsonl(path: str | os.PathLike, records: Iterable[Any]) -> None:
    """Write an iterable of JSON-serialisable objects, one per line, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: str | os.PathLike) -> list[Any]:
    """Read a JSON Lines file into a list of objects; blank lines are skipped.

    Raises
    ------
    FormatError
        Naming the file (and line): missing, a folder, unreadable, binary or not UTF-8, a line
        that is not JSON (or nested too deeply for Python to parse).
    """
    records = []
    for lineno, line in enumerate(read_lines(path, what="JSON Lines"), 1):
        if line.strip():
            records.append(parse_json(line, path, line=lineno))
    return records


def parse_json(text: str, path: str | os.PathLike, *, line: int | None = None) -> Any:
    """``json.loads(text)``, or a FormatError naming ``path`` and the line.

    ``line`` is the line ``text`` starts on in the file (one record of JSON Lines); without it,
    ``text`` is the whole file and the line is the one the parser stopped at.

    Examples
    --------
    >>> parse_json('{"id": 1}', "a.jsonl", line=1)
    {'id': 1}
    >>> parse_json("[" * 100_000, "a.jsonl", line=2)
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: a.jsonl:2: JSON nested too deeply to read
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path}:{line if line is not None else exc.lineno}"
        raise FormatError(f"{where}: not valid JSON ({exc.msg})") from None
    except RecursionError:  # json recurses once per level of nesting
        where = f"{path}:{line}" if line is not None else str(path)
        raise FormatError(f"{where}: JSON nested too deeply to read") from None
