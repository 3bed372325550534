"""The embedded default slot tagger: tagging without a user model, from the project's own corpus.

``speechtext tag predict`` without a model and the text pipeline tag with :func:`default_tagger`:
a :class:`~speechtext.tagging.SlotTagger` trained on a small corpus the project made itself. The
corpus ships as package data (``speechtext/tagging/corpus``): templates written by the team
(``slot_templates.txt``, ``[slot]`` placeholders) and slot values (``slot_values.tsv``, a
lexicon TSV), filled by :func:`speechtext.delex.generate` into :data:`CORPUS_SIZE` tagged
utterances with a fixed seed. It covers voice-assistant requests: flights (ATIS slot names such
as ``fromloc.city_name``), alarms, weather, restaurants, music and playlists (SNIPS slot names
such as ``timeRange``, ``artist``, ``playlist``).

The model is trained on first use (a few seconds: :data:`TRAINING` SGD epochs) and cached as
``default-tagger-<key>.tagger`` under the user cache folder (``$XDG_CACHE_HOME/speechtext``,
``~/.cache/speechtext`` by default), written atomically; ``<key>`` hashes the corpus files, the
generation and training settings and the model-file format and version, so a changed corpus or
a new model format trains a new model instead of reading a stale one. Within a process the
tagger is built or loaded once. It is not shipped: the model file is about 440 KB, most of it
crfsuite weights (280 KB with ``min_freq=3``), against 24 KB of corpus files, and a shipped
binary would go stale with each model-format version, where training takes seconds.

Examples
--------
>>> from speechtext.tagging import default_tagger
>>> default_tagger().predict([["play", "some", "jazz", "in", "the", "kitchen"]])  # doctest: +SKIP
[['O', 'O', 'B-genre', 'O', 'O', 'B-room']]
"""

from __future__ import annotations

import json
import threading
import warnings
from os import PathLike
from pathlib import Path

from ..errors import FormatError, SpeechTextError
from . import model_file
from .tagger import SlotTagger

__all__ = [
    "CORPUS_SEED",
    "CORPUS_SIZE",
    "TRAINING",
    "corpus_key",
    "default_corpus",
    "default_model_path",
    "default_tagger",
    "load_tagger",
]

CORPUS_SIZE = 2000  # utterances generated from the templates
CORPUS_SEED = 0
TRAINING = {"algorithm": "l2sgd", "iterations": 10, "calibrate": False}
_CORPUS = "corpus"  # the package data folder beside this module
_TEMPLATES = "slot_templates.txt"
_VALUES = "slot_values.tsv"
_CORPUS_VERSION = 1  # bump when the way the corpus is made from the files changes

_lock = threading.Lock()
_loaded = {}  # model path -> SlotTagger, so a process builds or loads the tagger once


def _resource(name):
    """A packaged corpus file as bytes; FormatError if the installation lacks it."""
    from importlib import resources  # here: `speechtext --help` reads this package's constants

    try:
        return (resources.files(__package__) / _CORPUS / name).read_bytes()
    except OSError:
        raise FormatError(
            f"speechtext/tagging/{_CORPUS}/{name}: missing from the installed package; reinstall "
            "speechtext (pip install --force-reinstall speechtext)"
        ) from None


def _templates(data):
    from ..io.text import decode_text, split_lines

    lines = split_lines(decode_text(data, f"speechtext/tagging/{_CORPUS}/{_TEMPLATES}"))
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _lexicon(data):
    import tempfile

    from ..delex import Lexicon
    from ..io.lexicon import read_lexicon

    # read_lexicon reads a path and names it in its messages; the package data may be inside
    # a zip, so it is read through a temporary copy.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _VALUES
        path.write_bytes(data)
        entries = read_lexicon(path)
    return Lexicon(entries)


def default_corpus() -> tuple[list[list[str]], list[list[str]]]:
    """The default tagger's training corpus: tokens and IOB2 tags, generated from the templates.

    Returns
    -------
    tokens, tags : list of list of str
        :data:`CORPUS_SIZE` distinct utterances (fewer only if the templates cannot make that
        many), the same on every call.

    Examples
    --------
    >>> tokens, tags = default_corpus()  # doctest: +SKIP
    >>> len(tokens)  # doctest: +SKIP
    2000
    """
    from ..delex import generate

    templates = _templates(_resource(_TEMPLATES))
    lexicon = _lexicon(_resource(_VALUES))
    made = generate(templates, lexicon, n=CORPUS_SIZE, seed=CORPUS_SEED)
    pairs = [d.iob() for d in made]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def corpus_key() -> str:
    """Hex key of the default model: corpus files, settings and model format and version."""
    import hashlib

    h = hashlib.sha256()
    for name in (_TEMPLATES, _VALUES):
        h.update(hashlib.sha256(_resource(name)).digest())
    settings = {
        "corpus_version": _CORPUS_VERSION,
        "size": CORPUS_SIZE,
        "seed": CORPUS_SEED,
        "training": TRAINING,
        "format": model_file.MODEL_FORMAT,
        "model_version": model_file.MODEL_VERSION,
    }
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()[:16]


def default_model_path() -> Path:
    """Where the default model is cached: ``<cache folder>/default-tagger-<key>.tagger``."""
    from ..io.cache import cache_dir

    return cache_dir() / f"default-tagger-{corpus_key()}.tagger"


def _train():
    tokens, tags = default_corpus()
    return SlotTagger(**TRAINING).fit(tokens, tags)


def default_tagger(*, rebuild: bool = False) -> SlotTagger:
    """The embedded default :class:`~speechtext.tagging.SlotTagger`, fitted.

    Loaded from the user cache; trained (a few seconds) and cached there when absent, damaged
    (its checksums do not match: a warning says so) or made from another corpus or model format.
    If the cache folder cannot be written the tagger is still returned, with a warning, and is
    trained again in the next process.

    Parameters
    ----------
    rebuild : bool
        Train again and overwrite the cached model.

    Returns
    -------
    SlotTagger

    Examples
    --------
    >>> tagger = default_tagger()  # doctest: +SKIP
    >>> tagger.predict([["wake", "me", "at", "seven", "am"]])  # doctest: +SKIP
    [['O', 'O', 'O', 'B-time', 'I-time']]
    """
    path = default_model_path()
    with _lock:
        if not rebuild and path in _loaded:
            return _loaded[path]
        tagger = None
        if not rebuild and path.exists():
            try:
                tagger = SlotTagger.load(path)  # verified: a damaged cache cannot crash us
            except model_file.DamagedModelError as exc:
                warnings.warn(
                    f"{path}: damaged cache ({exc.reason}); training the default tagger again",
                    stacklevel=2,
                )
            except FormatError as exc:
                warnings.warn(f"{exc}; training the default tagger again", stacklevel=2)
        if tagger is None:
            tagger = _train()
            try:
                tagger.save(path)
            except (OSError, SpeechTextError) as exc:
                warnings.warn(
                    f"cannot cache the default tagger at {path} ({exc}); it will be trained "
                    "again next time (set XDG_CACHE_HOME to a writable folder)",
                    stacklevel=2,
                )
        _loaded[path] = tagger
        return tagger


def load_tagger(model: str | PathLike[str] | None = None) -> SlotTagger:
    """The tagger of a model file, or the embedded default tagger when ``model`` is None.

    Examples
    --------
    >>> tagger = load_tagger("snips.tagger")  # doctest: +SKIP
    """
    if model is None:
        return default_tagger()
    return SlotTagger.load(model)
