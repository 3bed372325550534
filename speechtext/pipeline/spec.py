"""Pipeline specs: TOML files that list the stages and their settings, checked line by line.

A spec is an ordered list of ``[[stage]]`` tables, each with a ``name`` and its settings::

    [[stage]]
    name = "telephone"
    preset = "g712"

    [[stage]]
    name = "pitch"      # on the telephone audio

An unknown stage or setting, or a setting of the wrong type, is a FormatError naming the spec
file's line and what would work; so is a value a stage rejects (``fmin = -5``: each stage's
:meth:`~speechtext.pipeline.stages.Stage.check_config`). ``model`` paths are relative to the spec
file's folder, the ``gold`` file of ``evaluate`` is relative to the input folder (the gold tags
travel with the data).

The shipped specs (``demo``, ``text``, ``telephone``) are package data in
``speechtext/pipeline/specs/``, found through :mod:`importlib.resources` so that an installed
wheel has them; :func:`load_spec` takes their names (a bare name is always a shipped spec) as
well as paths (ending in ``.toml``, or holding a path separator).

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

from ..errors import FormatError, ParameterError, SpeechTextError
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


@dataclass(frozen=True)
class _Block:
    """Where a stage is written: its first line (the ``[[stage]]`` header, or for a stage
    written as an inline table, ``stage = [{name = "pitch", fmin = 60}]``, the line of its
    ``name``) and the lines its keys are on, from line ``first``."""

    start: int
    lines: list[str]
    first: int
    inline: bool = False


def _key_pattern(key, *, inline=False):
    """``key =`` as TOML writes it: bare, "quoted" or 'quoted'; after a ``{`` or ``,`` too in
    an inline table."""
    lead = r"(?:^|[{,])\s*" if inline else r"^\s*"
    return re.compile(rf"{lead}(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")


def _stage_blocks(text):
    """A :class:`_Block` for each stage, in order."""
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
        blocks.append(_Block(start + 1, lines[start + 1 : end], start + 2))
    if blocks:
        return blocks
    # inline tables: each `{name = ...` (or `, name = ...`) starts a stage
    name = re.compile(r"[{,]\s*(?:name|\"name\"|'name')\s*=")
    starts = [i for i, line in enumerate(lines) for _ in name.finditer(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] + 1 if n + 1 < len(starts) else len(lines)
        blocks.append(_Block(start + 1, lines[start:end], start + 1, inline=True))
    return blocks


def _key_line(text, block, key):
    """The line of ``key = ...`` inside a stage's block (else the stage's first line); with
    ``block`` None, of a top-level key."""
    if block is None:
        pattern = _key_pattern(key)
        for i, line in enumerate(text.split("\n"), 1):
            if pattern.search(line):
                return i
        return 1
    pattern = _key_pattern(key, inline=block.inline)
    for i, line in enumerate(block.lines, block.first):
        if pattern.search(line):
            return i
    # a table of the stage's, [stage.KEY], after its header
    header = re.compile(rf"\s*\[\[?\s*stage\s*\.\s*[\"']?{re.escape(key)}[\"']?\s*\]")
    for i, line in enumerate(text.split("\n")[block.start :], block.start + 1):
        if header.match(line):
            return i
    return block.start


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


def _value_error(cls, settings):
    """The error the stage's value checks give ``settings`` and the setting it is due to, or
    None. The setting: the last one without which the checks pass (``fmax = 40`` after
    ``fmin = 60``), else the first one the message names."""

    def error(values):
        try:
            cls.check_config(cls.Config(**values))
        except SpeechTextError as exc:
            return exc
        return None

    exc = error(settings)
    if exc is None:
        return None
    culprits = [k for k in settings if error({x: settings[x] for x in settings if x != k}) is None]
    if culprits:
        return exc, culprits[-1]
    named = [(m.start(), k) for k in settings if (m := re.search(rf"\b{re.escape(k)}\b", str(exc)))]
    return exc, min(named)[1] if named else None


def _check_stages(spec, *, text, where):
    """Unknown stages and settings, wrong types and values, stages out of order: an error
    naming the line."""
    blocks = _stage_blocks(text) if text is not None else []
    blocks += [None] * (len(spec.stages) - len(blocks))
    seen = set()

    def loc(block, key=None):
        if text is None:
            return where
        if block is None:  # a stage the text does not show where (an odd inline table)
            return f"{spec.path}:1"
        line = block.start if key is None else _key_line(text, block, key)
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
        bad = _value_error(cls, s.settings)
        if bad is not None:
            exc, key = bad
            raise type(exc)(f"{loc(block, key)}: {s.name} stage: {exc}") from None
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
        line = blocks[n].start if n < len(blocks) else 1
        if not isinstance(table, dict) or "name" not in table:
            raise FormatError(f'{path}:{line}: a [[stage]] without name = "..."')
        settings = {k: v for k, v in table.items() if k != "name"}
        if base is not None and isinstance(settings.get("model"), str):
            model = Path(settings["model"]).expanduser()
            settings["model"] = str(model if model.is_absolute() else Path(base) / model)
        stages.append(StageSpec(str(table["name"]), settings, line))
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
    """Load a shipped spec by name (``"demo"``, ``"text"`` ...) or a spec file by path.

    A bare name (no path separator, not ending in ``.toml``) is always a shipped spec, so a
    folder or file of that name in the current folder never shadows it (``speechtext telephone
    recordings/ -o telephone/`` makes such a folder). A spec file is given as a path ending in
    ``.toml`` or holding a separator (``my.toml``, ``./spec``); relative ``model`` paths in it
    are relative to its folder.

    Raises
    ------
    FormatError
        An unknown bare name (listing the shipped specs), a missing file, a bad spec.

    Examples
    --------
    >>> [s.name for s in load_spec("text").stages]
    ['g2p', 'tag', 'delex']
    >>> load_spec("telefone")
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: telefone: not a shipped spec (demo, telephone, text); a spec \
file is given as a path ending in .toml (or holding a /, like ./telefone)
    """
    text = os.fspath(spec)
    separators = {os.sep, os.altsep} - {None}
    if not text.endswith(".toml") and not any(sep in text for sep in separators):
        if text in shipped_specs():
            with resources.as_file(SPEC_DIR.joinpath(f"{text}.toml")) as shipped:
                return _load_file(shipped)
        names = ", ".join(shipped_specs()) or "none"
        raise FormatError(
            f"{text}: not a shipped spec ({names}); a spec file is given as a path ending in "
            f".toml (or holding a /, like ./{text})"
        )
    path = Path(text)
    if not path.exists():
        raise FormatError(f"{text}: no such spec file; check the path")
    return _load_file(path)


def _load_file(path):
    from ..io.text import read_text

    return parse_spec(read_text(path, what="TOML spec"), path=str(path), base=path.parent)
