"""Pipeline specs: TOML files that list the stages and their settings, checked line by line.

A spec is an ordered list of ``[[stage]]`` tables, each with a ``name`` and its settings::

    [[stage]]
    name = "telephone"
    preset = "g712"

    [[stage]]
    name = "pitch"      # on the telephone audio

An unknown stage or setting, or a setting of the wrong type, is a FormatError naming the spec
file's line and what would work. ``model`` paths are relative to the spec file's folder, the
``gold`` file of ``evaluate`` is relative to the input folder (the gold tags travel with the data).

The shipped specs (``demo``, ``text``, ``telephone``) are package data in
``speechtext/pipeline/specs/``, found through :mod:`importlib.resources` so that an installed
wheel has them; :func:`load_spec` takes their names as well as paths.

Examples
--------
>>> [s.name for s in load_spec("telephone").stages]
['telephone', 'pitch']
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FormatError, ParameterError
from .stages import STAGES

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["SPEC_DIR", "Spec", "StageSpec", "load_spec", "parse_spec", "shipped_specs"]

# The shipped specs: package data beside this module (a folder in a wheel or a checkout alike).
SPEC_DIR: Traversable = resources.files(__package__).joinpath("specs")

_TOP_KEYS = {"name", "description", "stage"}


@dataclass(frozen=True)
class StageSpec:
    """One ``[[stage]]`` of a spec: its name, settings and the spec line it starts on."""

    name: str
    settings: dict
    line: int


@dataclass(frozen=True)
class Spec:
    """A parsed pipeline spec.

    Attributes
    ----------
    stages : tuple of StageSpec
    path : str
        The spec file (``"<string>"`` for text).
    name, description : str
    """

    stages: tuple[StageSpec, ...]
    path: str = "<string>"
    name: str = ""
    description: str = ""

    def fingerprint(self) -> str:
        """A short hash of the stages and settings: outputs of another spec are not reused.

        The spec's own path is not part of it, so a shipped spec has the same fingerprint
        wherever the package is installed.

        Examples
        --------
        >>> text = '[[stage]]\\nname = "pitch"\\n'
        >>> parse_spec(text, path="a.toml").fingerprint() == parse_spec(text).fingerprint()
        True
        """
        data = [[s.name, sorted(s.settings.items())] for s in self.stages]
        return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:16]

    def with_settings(self, overrides: dict[str, object]) -> Spec:
        """A copy with ``{"stage.key": value}`` settings changed (``--set``).

        Examples
        --------
        >>> spec = parse_spec('[[stage]]\\nname = "pitch"\\n').with_settings({"pitch.fmin": 60})
        >>> spec.stages[0].settings
        {'fmin': 60}
        """
        stages = [StageSpec(s.name, dict(s.settings), s.line) for s in self.stages]
        for key, value in overrides.items():
            name, _, setting = key.partition(".")
            targets = [s for s in stages if s.name == name]
            if not setting or not targets:
                raise ParameterError(
                    f"--set {key}: expected STAGE.SETTING=VALUE with a stage of the spec "
                    f"({', '.join(s.name for s in stages)})"
                )
            for s in targets:
                s.settings[setting] = value
        spec = dataclasses.replace(self, stages=tuple(stages))
        _check_stages(spec, text=None, where="--set")
        return spec


# --------------------------------------------------------------------------- line numbers


def _stage_blocks(text):
    """The 1-based line of each ``[[stage]]`` header and the lines of each block."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*\[\[\s*stage\s*\]\]", line)]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        # a later [table] header ends the block too
        for j in range(start + 1, end):
            if re.match(r"\s*\[", lines[j]):
                end = j
                break
        blocks.append((start + 1, lines[start + 1 : end]))
    return blocks


def _key_line(text, block, key):
    """The line of ``key = ...`` inside a stage block (or the block's header line)."""
    if block is None:
        for i, line in enumerate(text.split("\n"), 1):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                return i
        return 1
    start, lines = block
    for i, line in enumerate(lines, start + 1):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return i
    return start


# --------------------------------------------------------------------------------- checks


def _type_ok(value, annotation):
    """Whether a TOML value fits a Config field's annotation (int where float is expected too)."""
    options = typing.get_args(annotation) or (annotation,)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is bool and isinstance(value, bool):
            return True
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option in (str, list) and isinstance(value, option):
            return True
    return False


def _type_name(annotation):
    options = typing.get_args(annotation) or (annotation,)
    return " or ".join(
        "absent"
        if o is type(None)
        else {"str": "a string", "list": "a list"}.get(o.__name__, f"a {o.__name__}")
        for o in options
    )


def _check_stages(spec, *, text, where):
    """Unknown stages and settings, wrong types, stages out of order: FormatError with line."""
    blocks = _stage_blocks(text) if text is not None else [None] * len(spec.stages)
    seen = set()

    def loc(block, key=None):
        if text is None:
            return where
        line = block[0] if key is None else _key_line(text, block, key)
        return f"{spec.path}:{line}"

    for s, block in zip(spec.stages, blocks, strict=False):
        cls = STAGES.get(s.name)
        if cls is None:
            raise FormatError(
                f"{loc(block, 'name')}: unknown stage {s.name!r}; known stages: {', '.join(STAGES)}"
            )
        fields = {f.name: f for f in dataclasses.fields(cls.Config)}
        hints = typing.get_type_hints(cls.Config)
        for key, value in s.settings.items():
            if key not in fields:
                known = ", ".join(fields) or "none"
                raise FormatError(
                    f"{loc(block, key)}: unknown setting {key!r} of the {s.name} stage; "
                    f"its settings: {known}"
                )
            if not _type_ok(value, hints[key]):
                raise FormatError(
                    f"{loc(block, key)}: {s.name}.{key} = {value!r} should be "
                    f"{_type_name(hints[key])} (default {fields[key].default!r})"
                )
        for need in cls.requires:
            if need not in seen:
                raise FormatError(
                    f"{loc(block)}: the {s.name} stage needs the {need} stage before it; "
                    f'add a [[stage]] name = "{need}" earlier'
                )
        seen.add(s.name)
    kinds = [STAGES[s.name].kind for s in spec.stages]
    if "corpus" in kinds and any(k != "corpus" for k in kinds[kinds.index("corpus") :]):
        block = blocks[kinds.index("corpus")]
        raise FormatError(
            f"{loc(block)}: corpus-level stages (evaluate) run after all files; put them last"
        )


# -------------------------------------------------------------------------------- parsing


def parse_spec(text: str, *, path: str = "<string>", base: str | os.PathLike | None = None) -> Spec:
    """Parse a pipeline spec from TOML text.

    Parameters
    ----------
    text : str
    path : str
        Where the text came from, for messages.
    base : path, optional
        Folder relative ``model`` paths are resolved against (the spec file's folder).

    Returns
    -------
    Spec

    Raises
    ------
    FormatError
        Not TOML, no stages, an unknown stage or setting, a setting of the wrong type, a stage
        before one it needs; the message names the line.

    Examples
    --------
    >>> spec = parse_spec('[[stage]]\\nname = "telephone"\\npreset = "narrow"\\n')
    >>> spec.stages[0].name, spec.stages[0].settings
    ('telephone', {'preset': 'narrow'})
    >>> parse_spec('[[stage]]\\nname = "telefone"\\n')
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: <string>:2: unknown stage 'telefone'; known stages: \
telephone, pitch, g2p, tag, delex, evaluate
    """
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{path}: not a valid TOML spec ({exc})") from None
    for key in data:
        if key not in _TOP_KEYS:
            raise FormatError(
                f"{path}:{_key_line(text, None, key)}: unknown key {key!r}; a spec holds "
                "name, description and [[stage]] tables"
            )
    tables = data.get("stage")
    if not isinstance(tables, list) or not tables:
        raise FormatError(
            f'{path}: no stages; add [[stage]] tables, e.g. [[stage]] name = "telephone"'
        )
    blocks = _stage_blocks(text)
    stages = []
    for n, table in enumerate(tables):
        block = blocks[n] if n < len(blocks) else (1, [])
        if not isinstance(table, dict) or "name" not in table:
            raise FormatError(f'{path}:{block[0]}: a [[stage]] without name = "..."')
        settings = {k: v for k, v in table.items() if k != "name"}
        if base is not None and isinstance(settings.get("model"), str):
            model = Path(settings["model"]).expanduser()
            settings["model"] = str(model if model.is_absolute() else Path(base) / model)
        stages.append(StageSpec(str(table["name"]), settings, block[0]))
    spec = Spec(
        tuple(stages),
        path=path,
        name=str(data.get("name", Path(path).stem)),
        description=str(data.get("description", "")),
    )
    _check_stages(spec, text=text, where=path)
    return spec


def shipped_specs() -> list[str]:
    """Names of the shipped specs (``speechtext/pipeline/specs/*.toml``).

    Examples
    --------
    >>> shipped_specs()
    ['demo', 'telephone', 'text']
    """
    return sorted(
        p.name.removesuffix(".toml") for p in SPEC_DIR.iterdir() if p.name.endswith(".toml")
    )


def load_spec(spec: str | os.PathLike) -> Spec:
    """Load a spec from a TOML file, or a shipped spec by name (``"demo"``, ``"text"`` ...).

    A file of that name in the current folder comes first (a folder of that name does not);
    relative ``model`` paths in the spec are relative to the spec file's folder.

    Examples
    --------
    >>> [s.name for s in load_spec("text").stages]
    ['g2p', 'tag', 'delex']
    """
    path = Path(spec)
    # a bare name is a shipped spec unless a file of that name is here (a folder is not a spec)
    if not path.is_file() and path.suffix == "" and str(spec) in shipped_specs():
        with resources.as_file(SPEC_DIR.joinpath(f"{spec}.toml")) as shipped:
            return _load_file(shipped)
    if not path.exists():
        names = ", ".join(shipped_specs()) or "none"
        raise FormatError(
            f"{spec}: no such spec file, nor a shipped spec; give a .toml path or one of: {names}"
        )
    return _load_file(path)


def _load_file(path):
    from ..io.text import read_text

    return parse_spec(read_text(path, what="TOML spec"), path=str(path), base=path.parent)
