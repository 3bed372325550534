"""Lexicon files: delex lexicons (TSV ``slot<TAB>value``), templates (JSONL) and pronouncing
dictionaries (CMUdict format or TSV), read with line numbers.

Pronouncing dictionary
    CMUdict format, ``WORD  PH1 PH2 ...`` (white space between the word and its phones),
    variants as ``WORD(2)``, comment lines starting with ``;;;`` and ``#`` comments after the
    phones; or TSV, ``word<TAB>PH1 PH2 ...``. Any phone set (ARPAbet with or without stress,
    IPA segments separated by spaces). Words are lower-cased.

Lexicon TSV
    One ``slot<TAB>value`` a line, UTF-8. Blank lines and lines starting with ``#`` are skipped.
    The value may hold spaces (a multiword value); exactly one tab a line. Surrounding white
    space of slot and value is ignored.
Templates JSONL
    One object a line, as ``speechtext delex`` writes them:
    ``{"id", "text", "template", "slots": [{"name", "value", "start", "end"}]}``; ``template``
    and ``slots`` (name and value) are required, the rest optional.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..errors import FormatError, ParameterError
from ..tags import check_slot_name
from .manifest import parse_json
from .text import read_lines

__all__ = ["read_lexicon", "read_pronunciations", "read_templates"]


def read_lexicon(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read a lexicon TSV file.

    Returns
    -------
    list of (slot, value)
        In file order.

    Raises
    ------
    FormatError
        Naming file and line: a line without a tab or with more than one, an empty slot or
        value, a slot name with brackets or a backslash; a file with no entries.

    Examples
    --------
    >>> read_lexicon("cities.tsv")  # doctest: +SKIP
    [('city', 'new york'), ('city', 'seoul')]
    """
    entries = []
    for number, raw in enumerate(read_lines(path, what="lexicon"), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.split("\t")
        if len(cols) != 2:
            what = "no tab" if len(cols) == 1 else f"{len(cols) - 1} tabs"
            raise FormatError(
                f"{path}:{number}: {what} in {raw!r}; a lexicon line is slot<TAB>value "
                "(spaces may separate the words of a value, one tab separates slot and value)"
            )
        slot, value = cols[0].strip(), cols[1].strip()
        if not slot or not value:
            raise FormatError(
                f"{path}:{number}: empty {'slot' if not slot else 'value'} in {raw!r}; "
                "a lexicon line is slot<TAB>value"
            )
        try:
            check_slot_name(slot)
        except ParameterError as exc:
            raise FormatError(f"{path}:{number}: {exc}") from None
        entries.append((slot, value))
    if not entries:
        raise FormatError(f"{path}: empty lexicon (no slot<TAB>value line); add at least one value")
    return entries


def read_templates(path: str | os.PathLike) -> list[tuple[int, dict[str, Any]]]:
    """Read a templates JSONL file.

    Returns
    -------
    list of (line, record)
        The 1-based line of each record, for messages, and the record (a dict).

    Raises
    ------
    FormatError
        Naming file and line: invalid JSON, a record that is not an object, a missing or
        non-string ``template``, ``slots`` not a list of objects with string name and value;
        a file with no records.

    Examples
    --------
    >>> read_templates("templates.jsonl")[0]  # doctest: +SKIP
    (1, {'id': 0, 'text': 'to boston', 'template': 'to [city]', 'slots': [...]})
    """
    out = []
    for number, raw in enumerate(read_lines(path, what="templates"), 1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        record = parse_json(raw, path, line=number)
        if not isinstance(record, dict) or not isinstance(record.get("template"), str):
            raise FormatError(
                f'{where}: expected an object with a "template" string, as `speechtext delex` '
                "writes"
            )
        slots = record.get("slots", [])
        if not isinstance(slots, list) or not all(
            isinstance(s, dict)
            and isinstance(s.get("name"), str)
            and isinstance(s.get("value"), str)
            for s in slots
        ):
            raise FormatError(
                f'{where}: "slots" must be a list of objects with string "name" and "value"'
            )
        out.append((number, record))
    if not out:
        raise FormatError(f"{path}: no templates; expected one JSON object a line")
    return out


_VARIANT = re.compile(r"\(\d+\)$")


def read_pronunciations(path: str | os.PathLike) -> list[tuple[str, tuple[str, ...]]]:
    """Read a pronouncing dictionary (CMUdict format or TSV; see the module docs).

    Returns
    -------
    list of (word, phones)
        In file order, a word's variants in their order; ``word(2)`` is ``word``.

    Raises
    ------
    FormatError
        Naming file and line: a word with no phones, a TSV line with more than one tab; a file
        with no entries.

    Examples
    --------
    >>> read_pronunciations("cmudict.dict")[:2]  # doctest: +SKIP
    [("'bout", ('B', 'AW1', 'T')), ("'cause", ('K', 'AH0', 'Z'))]
    """
    entries = []
    for number, raw in enumerate(read_lines(path, what="pronouncing dictionary"), 1):
        line = raw.strip()
        if not line or line.startswith((";;;", "#")):
            continue
        if "\t" in line:
            cols = line.split("\t")
            if len(cols) != 2:
                raise FormatError(
                    f"{path}:{number}: {len(cols) - 1} tabs in {raw!r}; a TSV dictionary line is "
                    "word<TAB>phones (phones separated by spaces)"
                )
            word, phones = cols[0].strip(), cols[1].split("#", 1)[0].split()
        else:
            word, _, rest = line.partition(" ")
            phones = rest.split("#", 1)[0].split()
        word = _VARIANT.sub("", word).lower()
        if not word or not phones:
            raise FormatError(
                f"{path}:{number}: {'no word' if not word else 'no phones'} in {raw!r}; a line is "
                "WORD PH1 PH2 ... (CMUdict) or word<TAB>PH1 PH2 ... (TSV)"
            )
        entries.append((word, tuple(phones)))
    if not entries:
        raise FormatError(
            f"{path}: no pronunciations; expected lines WORD PH1 PH2 ... (CMUdict) or "
            "word<TAB>PH1 PH2 ... (TSV)"
        )
    return entries
