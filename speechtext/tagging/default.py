"""The embedded default tagger: slots and intents without a user model, shipped as package data.

``speechtext tag predict`` without a model and the text pipeline tag with :func:`default_tagger`:
a :class:`~speechtext.tagging.SlotTagger` with intents, trained on SNIPS train (CC0 1.0) together
with the team's own templates for the domains SNIPS lacks (flights with ATIS slot names such as
``fromloc.city_name``, alarms), and calibrated on SNIPS valid. The model ships as
``speechtext/tagging/models/default.tagger`` (a checksummed model file,
:mod:`~speechtext.tagging.model_file`); :func:`build_default_tagger` rebuilds it, the same bytes
from the same data::

    python -m speechtext.tagging.build_default ../shared/data/snips \\
        -o speechtext/tagging/models/default.tagger

The template corpus ships too (``speechtext/tagging/corpus``): templates written by the team
(``slot_templates.txt``, ``[slot]`` placeholders, ``# ---- section`` headers that name the
intent, :data:`SECTION_INTENTS`) and slot values (``slot_values.tsv``, a lexicon TSV), filled by
:func:`speechtext.delex.generate` into :data:`CORPUS_SIZE` tagged utterances with a fixed seed.

Examples
--------
>>> from speechtext.tagging import default_tagger
>>> default_tagger().predict([["play", "some", "jazz", "in", "the", "kitchen"]])  # doctest: +SKIP
[['O', 'O', 'B-genre', 'O', 'O', 'B-room']]
"""

from __future__ import annotations

import threading
from os import PathLike
from pathlib import Path

from ..errors import FormatError
from .tagger import SlotTagger

__all__ = [
    "CORPUS_SEED",
    "CORPUS_SIZE",
    "DEFAULT_MODEL",
    "SECTION_INTENTS",
    "TRAINING",
    "build_default_tagger",
    "default_corpus",
    "default_tagger",
    "load_tagger",
    "template_corpus",
]

CORPUS_SIZE = 2000  # utterances generated from the templates
CORPUS_SEED = 0
TRAINING = {}  # SlotTagger's defaults: the setting chosen on SNIPS valid (bench/tagging.py)
DEFAULT_MODEL = "models/default.tagger"  # package data beside this module
# The template sections and their intents (SNIPS intent names where SNIPS has the domain);
# "no slots" holds mixed requests and is not used to learn intents.
SECTION_INTENTS = {
    "flights": "BookFlight",
    "alarms": "SetAlarm",
    "weather": "GetWeather",
    "restaurants": "BookRestaurant",
    "music": "PlayMusic",
    "playlists": "AddToPlaylist",
}
_CORPUS = "corpus"  # the package data folder beside this module
_TEMPLATES = "slot_templates.txt"
_VALUES = "slot_values.tsv"

_lock = threading.Lock()
_loaded = {}  # "default" -> SlotTagger, so a process reads the shipped model once


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


def _sections(data):
    """``{template: section name}`` in file order (a ``# ---- name`` line starts a section)."""
    from ..io.text import decode_text, split_lines

    lines = split_lines(decode_text(data, f"speechtext/tagging/{_CORPUS}/{_TEMPLATES}"))
    out, section = {}, None
    for line in lines:
        line = line.strip()
        if line.startswith("# ----"):
            section = line[len("# ----") :].strip()
        elif line and not line.startswith("#"):
            out.setdefault(line, section)
    return out


def _templates(data):
    return list(_sections(data))


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


def template_corpus() -> tuple[list[list[str]], list[list[str]], list[str]]:
    """The utterances of :func:`default_corpus` whose template section names an intent
    (:data:`SECTION_INTENTS`), with their intents.

    Returns
    -------
    tokens, tags : list of list of str
    intents : list of str
    """
    from ..delex import generate

    sections = _sections(_resource(_TEMPLATES))
    lexicon = _lexicon(_resource(_VALUES))
    made = generate(list(sections), lexicon, n=CORPUS_SIZE, seed=CORPUS_SEED)
    tokens, tags, intents = [], [], []
    for d in made:
        intent = SECTION_INTENTS.get(sections.get(d.template))
        if intent is not None:
            words, labels = d.iob()
            tokens.append(words)
            tags.append(labels)
            intents.append(intent)
    return tokens, tags, intents


def build_default_tagger(snips: str | PathLike[str]) -> SlotTagger:
    """Train the default tagger: SNIPS ``train`` and the template corpus, calibrated on
    SNIPS ``valid`` (``snips``: the folder holding ``train/`` and ``valid/`` in the
    seq.in/seq.out/label layout).

    Examples
    --------
    >>> build_default_tagger("../shared/data/snips").save("default.tagger")  # doctest: +SKIP
    """
    from ..io.conll import read_sentences

    train = read_sentences(Path(snips) / "train")
    valid = read_sentences(Path(snips) / "valid")
    tokens, tags, intents = template_corpus()
    tokens += [s.tokens for s in train]
    tags += [s.tags for s in train]
    intents += [s.intent for s in train]
    dev = ([s.tokens for s in valid], [s.tags for s in valid], [s.intent for s in valid])
    return SlotTagger(**TRAINING).fit(tokens, tags, intents=intents, dev=dev)


def _model_bytes():
    """The shipped model file's bytes; FormatError if the installation lacks it."""
    from importlib import resources

    try:
        return (resources.files(__package__) / DEFAULT_MODEL).read_bytes()
    except OSError:
        raise FormatError(
            f"speechtext/tagging/{DEFAULT_MODEL}: missing from the installed package; reinstall "
            "speechtext (pip install --force-reinstall speechtext)"
        ) from None


def _read_default():
    name = f"speechtext/tagging/{DEFAULT_MODEL}"
    data = _model_bytes()
    try:
        return SlotTagger.from_bytes(data, source=name)
    except FormatError as exc:
        raise FormatError(
            f"{exc}; the installed default tagger is damaged: reinstall speechtext (pip install "
            "--force-reinstall speechtext), or give a model file"
        ) from None


def default_tagger() -> SlotTagger:
    """The embedded default :class:`~speechtext.tagging.SlotTagger` (slots and intents), read
    once per process from the package data, its checksums verified.

    Raises
    ------
    FormatError
        The shipped model is missing or damaged (reinstall speechtext).

    Examples
    --------
    >>> tagger = default_tagger()  # doctest: +SKIP
    >>> tagger.predict_intent([["wake", "me", "at", "seven", "am"]])  # doctest: +SKIP
    [[('SetAlarm', 0.97)]]
    """
    with _lock:
        tagger = _loaded.get("default")
        if tagger is None:
            tagger = _loaded["default"] = _read_default()
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
