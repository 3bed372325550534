"""Tags: the one implementation of IOB tag schemes, tag splitting, spans, repair and checks.

Every module that reads or writes slot tags calls this one: the readers (``speechtext.io``), the
tagger, the decoder's constraints, delexicalization and evaluation. Spans are ``[start, end)``
token offsets, ``end`` exclusive.

**Schemes** are a declarative table of the prefixes each allows (seqeval's ``allowed_prefix``;
a test keeps them equal): IOB1, IOB2, IOE1, IOE2, IOBES and BILOU. ``O`` is the outside tag of
every scheme; an entity tag is ``PREFIX-TYPE`` with a non-empty type.

**Reading IOB2.** conlleval (and seqeval's default mode) reads an ``I-x`` that follows ``O`` or
another type as the start of a new entity: :func:`spans` reads tags that way, :func:`repair_iob2`
writes such an ``I-x`` as ``B-x`` (and names the positions), and :func:`check_iob2` refuses it for
the readers that must (delexicalization).

Errors carry ``where`` (``"FILE:LINE"`` or another place) when the caller gives it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .errors import FormatError, ParameterError

__all__ = [
    "IOB2_PREFIXES",
    "SCHEMES",
    "allowed_prefixes",
    "check_iob2",
    "check_slot_name",
    "check_tags",
    "iob2_parts",
    "repair_iob2",
    "spans",
    "split_tag",
]

# Scheme -> the prefixes it allows ("O" standing for the outside tag), as seqeval's tables say.
_SCHEME_PREFIXES = {
    "IOB1": "OIB",
    "IOB2": "OIB",
    "IOE1": "OIE",
    "IOE2": "OIE",
    "IOBES": "OIBES",
    "BILOU": "OBILU",
}
SCHEMES = tuple(_SCHEME_PREFIXES)
IOB2_PREFIXES = frozenset(_SCHEME_PREFIXES["IOB2"])

_SLOT_NAME = re.compile(r"[^\s\[\]\\]+")


def allowed_prefixes(scheme: str) -> frozenset[str]:
    """The prefixes ``scheme`` allows, ``"O"`` included.

    Examples
    --------
    >>> sorted(allowed_prefixes("IOBES"))
    ['B', 'E', 'I', 'O', 'S']
    """
    try:
        return frozenset(_SCHEME_PREFIXES[scheme])
    except (KeyError, TypeError):
        raise ParameterError(f"scheme={scheme!r}; choose one of {', '.join(SCHEMES)}") from None


def split_tag(
    tag: str,
    *,
    scheme: str = "IOB2",
    where: str | None = None,
    allowed: frozenset[str] | None = None,
) -> tuple[str, str | None]:
    """Split ``"B-city"`` into ``("B", "city")``; ``"O"`` gives ``("O", None)``.

    Parameters
    ----------
    tag : str
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}
        Decides which prefixes are allowed.
    where : str, optional
        ``"FILE:LINE"`` to name in the error.
    allowed : frozenset, optional
        ``allowed_prefixes(scheme)``, when the caller has it already (a loop over a corpus).

    Raises
    ------
    FormatError
        A tag that is neither ``O`` nor ``PREFIX-TYPE`` with a prefix the scheme allows
        (seqeval itself raises a bare KeyError on ``X-PER``).

    Examples
    --------
    >>> split_tag("B-city")
    ('B', 'city')
    >>> split_tag("O")
    ('O', None)
    >>> split_tag("X-PER", where="gold.conll:3")
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: gold.conll:3: invalid tag 'X-PER' for the IOB2 scheme; expected O or one of B-TYPE, I-TYPE
    """  # noqa: E501
    if allowed is None:
        allowed = allowed_prefixes(scheme)
    if tag == "O" and "O" in allowed:
        return "O", None
    if isinstance(tag, str):
        prefix, dash, type_ = tag.partition("-")
        if dash and type_ and prefix in allowed:
            return prefix, type_
    place = f"{where}: " if where else ""
    raise FormatError(
        f"{place}invalid tag {tag!r} for the {scheme} scheme; expected O or one of "
        f"{', '.join(sorted(p + '-TYPE' for p in allowed if p != 'O'))}"
    )


def check_tags(
    sentences: Iterable[Any], *, scheme: str = "IOB2"
) -> dict[str, tuple[str, str | None]]:
    """Check every tag of ``sentences`` against ``scheme``; FormatError naming the first bad one.

    ``sentences`` are :class:`speechtext.types.Sentence` (anything with ``tags`` and
    ``where(k)``); sentences without tags are passed over. Each distinct tag is checked once, so
    this costs little on large corpora.

    Returns
    -------
    dict
        Each distinct tag mapped to its ``(prefix, type)``.

    Examples
    --------
    >>> from speechtext.types import Sentence
    >>> check_tags([Sentence(["x"], ["X-PER"], line=3, source="gold.conll")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: gold.conll:3: invalid tag 'X-PER' for the IOB2 scheme; ...
    """
    allowed = allowed_prefixes(scheme)
    parts = {}
    for s in sentences:
        if s.tags is None:
            continue
        for k, tag in enumerate(s.tags):
            if tag not in parts:
                parts[tag] = split_tag(tag, scheme=scheme, where=s.where(k), allowed=allowed)
    return parts


def iob2_parts(labels: Iterable[str], *, what: str = "label") -> tuple[list[str], list[str | None]]:
    """Prefix and type of each IOB2 label, for decoders that index labels by position.

    Returns
    -------
    prefixes : list of str
        ``"O"``, ``"B"`` or ``"I"`` per label.
    types : list of str or None
        The entity type per label, None for ``O``.

    Raises
    ------
    ParameterError
        Naming the first label that is not ``O``, ``B-TYPE`` or ``I-TYPE`` by its index.

    Examples
    --------
    >>> iob2_parts(["O", "B-city", "I-city"])
    (['O', 'B', 'I'], [None, 'city', 'city'])
    """
    prefixes, types = [], []
    for index, label in enumerate(labels):
        try:
            prefix, type_ = split_tag(label, allowed=IOB2_PREFIXES)
        except FormatError:
            raise ParameterError(
                f"{what} {index} ({label!r}) is not IOB2: {what}s must be 'O', 'B-<type>' or "
                "'I-<type>'"
            ) from None
        prefixes.append(prefix)
        types.append(type_)
    return prefixes, types


def _continues(previous: str, tag: str) -> bool:
    """True if IOB2 ``tag`` is an ``I-x`` that continues the entity ``previous`` is part of."""
    return previous != "O" and previous[2:] == tag[2:]


def check_iob2(
    tags: Sequence[str],
    *,
    where: Callable[[int], str] | None = None,
    error: type[Exception] = FormatError,
) -> None:
    """Check IOB2 tags strictly: each ``O``, ``B-x``, or ``I-x`` continuing an ``x`` entity,
    with ``x`` a slot name (:func:`check_slot_name`).

    Parameters
    ----------
    tags : sequence of str
    where : callable, optional
        ``where(k)`` names the place of tag ``k`` in the message (default ``"tag k"``).
    error : type
        The exception to raise: FormatError for a file, ParameterError for an argument.

    Examples
    --------
    >>> check_iob2(["O", "I-city"])
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: tag 1: tag 'I-city' after 'O' does not continue a slot; IOB2 starts every slot with B- (repair the tags, e.g. I- -> B-)
    """  # noqa: E501
    place = where or (lambda k: f"tag {k}")
    previous = "O"
    for k, tag in enumerate(tags):
        try:
            prefix, type_ = split_tag(tag, allowed=IOB2_PREFIXES)
            if type_ is not None:
                check_slot_name(type_)
        except (FormatError, ParameterError) as exc:
            raise error(f"{place(k)}: {exc}") from None
        if prefix == "I" and not _continues(previous, tag):
            raise error(
                f"{place(k)}: tag {tag!r} after {previous!r} does not continue a slot; IOB2 "
                "starts every slot with B- (repair the tags, e.g. I- -> B-)"
            )
        previous = tag


def repair_iob2(tags: Sequence[str]) -> tuple[list[str], list[int]]:
    """Repair ``I-x`` tags that do not continue an ``x`` entity, as conlleval reads them.

    conlleval (and seqeval's default mode) starts a new entity at an ``I-x`` that follows ``O`` or
    another type; this writes that entity's first tag as ``B-x``.

    Returns
    -------
    repaired : list of str
    positions : list of int
        Indices of the tags changed.

    Examples
    --------
    >>> repair_iob2(["O", "I-city", "I-city", "I-state"])
    (['O', 'B-city', 'I-city', 'B-state'], [1, 3])
    """
    out, changed = list(tags), []
    previous = "O"
    for k, tag in enumerate(tags):
        if tag.startswith("I-") and not _continues(previous, tag):
            out[k] = "B-" + tag[2:]
            changed.append(k)
        previous = tag
    return out, changed


def spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entities ``(start, end, type)`` of IOB2 tags, ``end`` exclusive, read as conlleval does.

    Examples
    --------
    >>> spans(["O", "B-city", "I-city", "I-state", "O"])
    [(1, 3, 'city'), (3, 4, 'state')]
    """
    found = []
    start = kind = None
    for k, tag in enumerate([*tags, "O"]):
        if start is not None and not (tag.startswith("I-") and tag[2:] == kind):
            found.append((start, k, kind))
            start = None
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            start, kind = k, tag[2:]
    return found


def check_slot_name(name: str, *, where: str | None = None) -> str:
    """Return ``name`` if it can be a placeholder ``[name]``; ParameterError otherwise.

    A slot name is non-empty and holds no white space, ``[``, ``]`` or ``\\``.

    Examples
    --------
    >>> check_slot_name("city")
    'city'
    """
    if isinstance(name, str) and _SLOT_NAME.fullmatch(name):
        return name
    place = f"{where}: " if where else ""
    raise ParameterError(
        f"{place}slot name {name!r} cannot be a placeholder; a slot name is non-empty and holds "
        "no white space, '[', ']' or '\\'"
    )
