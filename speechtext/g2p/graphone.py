"""The joint-sequence (graphone) model: pronouncing, N-best with probabilities, alignment.

A graphone pairs 1-2 letters with 0-2 phones; a word's pronunciation is a sequence of graphones
whose letters spell the word, scored by a graphone n-gram (trained by
:mod:`speechtext.g2p.train`, the approach of Bisani & Ney's Sequitur and of Phonetisaurus). The
decoder (:mod:`speechtext.g2p.kernel`) searches a beam over the word's letters and sums each
pronunciation's probability over its cuts.

**Two directions.** A model holds two n-grams over the same lexicon: one reading words left to
right, one right to left (trained on reversed words and phones: it sees a suffix before the
letters it decides). Each proposes its ``KEEP`` best pronunciations; each candidate is scored by
both (the other's forced decoding) and ranked by ``weight * s_lr + (1 - weight) * s_rl -
stress_penalty * [primary stresses != 1]``: the n-grams cannot count a word's primary stresses
(English words have one; 10 % of their best guesses had none or two). The weight and the
penalty are chosen on held-out words: together they took 6 points of word error off the
left-to-right n-gram alone on the bench's dev words (36.3 % -> 33.7 % -> 30.3 %).

**Probabilities.** The N-best probabilities are posteriors over the candidates,
``p_k = exp(c_k / T) / sum_j exp(c_j / T)`` for their combined scores ``c``, with the
temperature ``T`` fitted on held-out words so that the top-1 probability is calibrated. They sum
to at most 1 over any list.

A model file (``.g2p``) is a checksummed, lzma-compressed npz (:mod:`speechtext.io.arrays`): the
symbols, per direction the graphones and the n-gram's states and arcs (log-probabilities in 8
bits over a 256-value codebook), the order and the combination's parameters. Pronouncing needs
numpy only: the first words of a process are decoded by the kernel in plain Python (from the
model's mapped copy, with no numpy: its import was half of the time to the first word), batches
by numba (imported when first needed).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import math
import os
import sys
from collections.abc import Sequence

from ..errors import FormatError, ParameterError


class _Numpy:
    """numpy, imported on first use: its import is most of a new process's time to its first
    word, which the plain-Python kernel decodes from the mapped model without it."""

    def __getattr__(self, name):
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


np = _Numpy()

__all__ = [
    "BOS",
    "EOS",
    "KIND",
    "Alignment",
    "GraphoneModel",
    "compact_tables",
    "load_graphone_model",
]

EOS, BOS = 0, 1  # token ids of the word's end and start; graphones are 2, 3, ...
KIND = "speechtext-g2p"
FORMAT_VERSION = 2  # 2: two directions, compact arrays, lzma
_BATCH = 512  # words decoded by one kernel call
BEAM = 8  # hypotheses kept per letter and direction: 16 had 0.1 point less word error, 2x slower
PRUNE = math.inf  # log-score below a position's best at which a hypothesis is not extended
KEEP = 4  # candidates each direction proposes (8 changed nothing on the dev words)
# Words decoded in plain Python before numba is imported (a process that pronounces a few words
# never pays for numba's import and code loading, 1-3 s; one that pronounces many does once).
PYTHON_WORDS = 64
_python_words_left = PYTHON_WORDS
_FLOOR = 10.0  # a candidate one direction cannot cut: that direction's worst listed score - 10


class Alignment(tuple):
    """A word cut into graphones: a tuple of (letters, phones) pairs, e.g. ``(("w", ("W",)),
    ("eigh", ("EY1",)), ("t", ("T",)))``; ``str()`` gives ``w|eigh|t -> W|EY1|T``."""

    __slots__ = ()

    def __str__(self):
        letters = "|".join(chunk for chunk, _ in self)
        phones = "|".join(" ".join(p) if p else "_" for _, p in self)
        return f"{letters} -> {phones}"


def _merged(pairs):
    """Graphones with no phones joined to the chunk before them (or after, at the start), so
    that a chunk is a grapheme: ``w|ei|gh|t -> W|EY1|_|T`` becomes ``w|eigh|t -> W|EY1|T``."""
    out = []
    pending = ""
    for letters, phones in pairs:
        if not phones:
            if out:
                out[-1] = (out[-1][0] + letters, out[-1][1])
            else:
                pending += letters
            continue
        out.append((pending + letters, tuple(phones)))
        pending = ""
    if pending:  # no phone at all
        out.append((pending, ()))
    return Alignment(out)


def _kernel(n_words):
    """The decoder for a call of ``n_words``: plain Python while few words have been decoded
    and numba is not loaded, else numba's."""
    global _python_words_left
    if "speechtext.g2p.decoder" not in sys.modules and n_words <= _python_words_left:
        _python_words_left -= n_words
        from .kernel import decode_words

        return decode_words, False
    from .decoder import decode_words

    return decode_words, True


class _Ngram:
    """A graphone n-gram reading words in one direction: its arrays and its decoding.

    Parameters
    ----------
    n_letters : int
    phones : list of str
    graphones : np.ndarray [shape=(G, 4)]
        Per token its letters and phones (l1, l2, p1, p2), 0 for none; rows 0, 1 are ``</s>``,
        ``<s>``.
    tables : dict of np.ndarray
        ``backoff``, ``bow`` per state and ``state_ptr`` (its first arc); ``arc_token``,
        ``arc_logprob``, ``arc_next`` per arc, sorted by state and token; ``start``, the state
        of ``<s>``.
    """

    def __init__(self, n_letters, phones, graphones, tables):
        self.n_letters = int(n_letters)
        # the token rows in Python (a mapped model gives them as a flat memoryview)
        flat = graphones.tolist()
        rows = (
            [flat[i : i + 4] for i in range(0, len(flat), 4)]
            if flat and not isinstance(flat[0], list)
            else flat
        )
        self._rows = rows
        # per token its phones' names and its letter count, for reading results in Python
        names = [None, *phones]
        self._token_phones = [tuple(names[p] for p in (p1, p2) if p) for _, _, p1, p2 in rows]
        self._token_width = [1 if l2 == 0 else 2 for _, l2, _, _ in rows]
        self.layout = _kernel_layout(tables, len(rows))
        self.start = int(self.layout["start"])
        # the tokens by their letters: lc_tok[lc_ptr[code]:lc_ptr[code + 1]] spell ``code``
        codes = [l1 * (n_letters + 1) + l2 for l1, l2, _, _ in rows]
        spelled = sorted((c, i) for i, c in enumerate(codes) if i >= 2)  # not </s>, <s>
        self.lc_tok = [i for _, i in spelled]
        sorted_codes = [c for c, _ in spelled]
        self.lc_ptr = [bisect.bisect_left(sorted_codes, c) for c in range((n_letters + 1) ** 2 + 1)]
        self.verify = None  # a check to pass before numba's kernel first reads the arrays

    @functools.cached_property
    def graphones(self):
        """Per token (l1, l2, p1, p2), an int32 array [G, 4]."""
        return np.asarray(self._rows, np.int32).reshape(-1, 4)

    @functools.cached_property
    def arrays(self):
        """The kernel's model arguments as numpy arrays, in its order (no copy if mapped)."""
        t = {k: np.asarray(v) for k, v in self.layout.items()}
        g = self.graphones
        return (
            np.asarray(self.lc_ptr, np.int64),
            np.asarray(self.lc_tok, np.int64),
            g[:, 2].astype(np.int64),
            g[:, 3].astype(np.int64),
            t["states"],
            t["states"].view(np.float32),
            t["arcs"],
            t["arcs"].view(np.float32),
            t["root_arc"],
        )

    @functools.cached_property
    def _views(self):
        """The model arguments for the kernel in plain Python: lists, and the arrays as
        bounds-checked memoryviews (Python numbers out), made without numpy from a mapped
        model."""

        def view(a, fmt):
            if not isinstance(a, memoryview):
                a = memoryview(np.ascontiguousarray(a))
            return a.cast("B").cast(fmt)

        t = self.layout
        return (
            self.lc_ptr,
            self.lc_tok,
            [p1 for _, _, p1, _ in self._rows],
            [p2 for _, _, _, p2 in self._rows],
            view(t["states"], "i"),
            view(t["states"], "f"),
            view(t["arcs"], "i"),
            view(t["arcs"], "f"),
            view(t["root_arc"], "i"),
        )

    @property
    def tables(self):
        """The n-gram as separate arrays (see the class docs), from the kernel's layout."""
        states = np.asarray(self.layout["states"]).reshape(-1, 4)
        arcs = np.asarray(self.layout["arcs"]).reshape(-1, 3)
        return {
            "backoff": states[:, 2].copy(),
            "bow": states[:, 3].view(np.float32).copy(),
            "state_ptr": np.concatenate([states[:1, 0], states[:, 1]]),
            "arc_token": arcs[:, 0].astype(np.int16 if len(self.graphones) < 32768 else np.int32),
            "arc_logprob": arcs[:, 2].view(np.float32).copy(),
            "arc_next": arcs[:, 1].copy(),
            "start": np.int64(self.layout["start"]),
        }

    def run(self, ids, targets=None, beam=BEAM, prune=PRUNE, keep=None):
        """Per word (its letter ids), its ``keep`` (None: all) best pronunciations from the
        beam: (tokens, log joint score), best first; with ``targets`` (phone ids per word),
        only cuts giving them."""
        keep = beam if keep is None else min(keep, beam)
        # decoded in sorted order: words that share their first letters share the n-gram's
        # states, which stay in the processor's cache (15 % less time on shuffled words)
        order = sorted(range(len(ids)), key=ids.__getitem__)
        ids = [ids[i] for i in order]
        if targets is not None:
            targets = [targets[i] for i in order]
        out = []
        for lo in range(0, len(ids), _BATCH):
            chunk = ids[lo : lo + _BATCH]
            t_ids = [[] for _ in chunk] if targets is None else targets[lo : lo + _BATCH]
            decode, compiled = _kernel(len(chunk))
            if compiled and self.verify is not None:
                self.verify()
            letters, l_off = _pack(chunk)
            flat_t, t_off = _pack(t_ids)
            max_len = max((len(w) for w in chunk), default=0) + 1
            n_out = len(chunk) * beam
            if compiled:
                model = self.arrays
                letters, l_off, flat_t, t_off = (
                    np.asarray(a, np.int64) for a in (letters, l_off, flat_t, t_off)
                )
                out_n = np.zeros(len(chunk), np.int64)
                out_score = np.zeros(n_out)
                out_tokens = np.full(n_out * max_len, -1, np.int64)
            else:
                model = self._views
                out_n, out_score, out_tokens = (
                    [0] * len(chunk),
                    [0.0] * n_out,
                    [-1] * (n_out * max_len),
                )
            decode(
                letters,
                l_off,
                flat_t,
                t_off,
                targets is not None,
                self.n_letters,
                *model,
                self.start,
                EOS,
                beam,
                prune,
                out_n,
                out_score,
                out_tokens,
            )
            if compiled:  # only the rows asked for become lists (most of the time was .tolist())
                counts = np.minimum(out_n, keep)
                wanted = (np.arange(beam)[None, :] < counts[:, None]).ravel()
                tokens = out_tokens.reshape(n_out, max_len)[wanted]
                lengths = (tokens != -1).sum(axis=1).tolist()
                rows = tokens.tolist()
                scores = out_score[wanted].tolist()
                counts = counts.tolist()
            else:
                counts = [min(n, keep) for n in out_n]
                picked = [w * beam + r for w, n in enumerate(counts) for r in range(n)]
                rows = [out_tokens[j * max_len : (j + 1) * max_len] for j in picked]
                lengths = [len(t) - t.count(-1) for t in rows]
                scores = [out_score[j] for j in picked]
            r = 0
            for n in counts:
                out.append([(rows[j][: lengths[j]], scores[j]) for j in range(r, r + n)])
                r += n
        unsorted = [None] * len(out)
        for i, res in zip(order, out, strict=True):
            unsorted[i] = res
        return unsorted

    def phones_of(self, tokens):
        tp = self._token_phones
        return tuple(p for t in tokens if t >= 0 for p in tp[t])

    def pairs(self, word, tokens):
        """The cut of ``word`` by ``tokens``: (letters, phones) pairs."""
        pairs, i = [], 0
        for t in tokens:
            a = 1 if t < 0 else self._token_width[t]
            pairs.append((word[i : i + a], self._token_phones[t] if t >= 0 else ()))
            i += a
        return pairs


class GraphoneModel:
    """A trained graphone model (see the module docs); made by
    :func:`~speechtext.g2p.train.train_graphone_model` or :func:`load_graphone_model`.

    Parameters
    ----------
    letters, phones : list of str
        The symbols (letter 1 is ``letters[0]``; 0 is none).
    forward, backward : dict
        The left-to-right and the right-to-left n-gram: ``graphones`` and ``tables`` (see
        :class:`_Ngram`); ``backward`` may be None (the forward n-gram alone).
    order : int
    temperature, weight, stress_penalty : float
        The combination (see the module docs).
    """

    def __init__(
        self,
        *,
        letters,
        phones,
        forward,
        backward=None,
        order,
        temperature=1.0,
        weight=1.0,
        stress_penalty=0.0,
    ):
        self.letters = list(letters)
        self.phones = list(phones)
        self.order = int(order)
        self.temperature = float(temperature)
        self.weight = float(weight) if backward is not None else 1.0
        self.stress_penalty = float(stress_penalty)
        self.info = {}
        self._letter_ids = {c: i + 1 for i, c in enumerate(self.letters)}
        self._phone_ids = {p: i + 1 for i, p in enumerate(self.phones)}
        self.forward = _Ngram(len(self.letters), self.phones, **forward)
        self.backward = (
            None if backward is None else _Ngram(len(self.letters), self.phones, **backward)
        )
        # primary-stressed phones: ARPAbet's "AH1", IPA's "ˈa" (none in a lexicon without stress)
        self._primary = {p for p in self.phones if p.endswith("1") or p.startswith("ˈ")}

    # -- files -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` atomically (checksummed npz, :mod:`speechtext.io.arrays`)."""
        from ..io.arrays import write_arrays

        meta = {
            "format": FORMAT_VERSION,
            "letters": self.letters,
            "phones": self.phones,
            "order": self.order,
            "temperature": self.temperature,
            "weight": self.weight,
            "stress_penalty": self.stress_penalty,
            "info": self.info,
        }
        arrays = {}
        for prefix, ngram in (("f_", self.forward), ("b_", self.backward)):
            if ngram is not None:
                arrays[prefix + "graphones"] = ngram.graphones
                arrays.update({prefix + k: v for k, v in _encoded(ngram.tables).items()})
        write_arrays(path, arrays, meta, kind=KIND, compression="lzma")

    # -- decoding --------------------------------------------------------------------------
    def _ids(self, word):
        return [self._letter_ids.get(c, 0) for c in word]

    def _target(self, phones):
        return [self._phone_ids.get(p, -1) for p in phones]

    def _off_stress(self, phones):
        return sum(p in self._primary for p in phones) != 1

    def _candidates(self, words, **options):
        """:meth:`_decode_candidates` with Python's cyclic garbage collector paused: it makes
        hundreds of thousands of small lists and tuples (no cycles among them), and the
        collections that they set off, over every object of the process (a loaded dictionary's
        too), took a quarter of the decoding time."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._decode_candidates(words, **options)
        finally:
            if enabled:
                gc.enable()

    def _decode_candidates(self, words, *, beam=BEAM, keep=KEEP, prune=PRUNE, extra=None):
        """Per word its candidates: dict phones -> [forward score, backward score, off-stress,
        forward tokens, backward tokens] (a score None until forced), from each direction's
        ``keep`` best; ``extra`` (per word, pronunciations) are scored as candidates too."""
        fwd = self.forward.run([self._ids(w) for w in words], beam=beam, prune=prune, keep=keep)
        bwd = None
        if self.backward is not None:
            bwd = self.backward.run(
                [self._ids(w[::-1]) for w in words], beam=beam, prune=prune, keep=keep
            )
        out = []
        for i, hyps in enumerate(fwd):
            cands = {}
            for toks, s in hyps[:keep]:
                cands[self.forward.phones_of(toks)] = [s, None, None, toks, None]
            if bwd is not None:
                for toks, s in bwd[i][:keep]:
                    phones = self.backward.phones_of(toks)[::-1]
                    c = cands.setdefault(phones, [None, None, None, None, None])
                    c[1], c[4] = s, toks
            for phones in extra[i] if extra is not None else ():
                cands.setdefault(tuple(phones), [None, None, None, None, None])
            out.append(cands)
        # each candidate scored by the direction that did not propose it
        for d, ngram in ((0, self.forward), (1, self.backward)):
            if ngram is None:
                continue
            ask = [(i, p) for i, c in enumerate(out) for p, v in c.items() if v[d] is None]
            if not ask:
                continue
            rev = d == 1
            ids = [self._ids(words[i][::-1] if rev else words[i]) for i, _ in ask]
            targets = [self._target(p[::-1] if rev else p) for _, p in ask]
            for (i, p), res in zip(
                ask,
                ngram.run(ids, targets=targets, beam=beam, prune=prune, keep=1),
                strict=True,
            ):
                v = out[i][p]
                if res:
                    v[d], v[3 + d] = res[0][1], res[0][0]
                else:
                    v[d] = -math.inf
        for cands in out:
            for d in (0, 1):
                finite = [v[d] for v in cands.values() if v[d] is not None and v[d] > -math.inf]
                floor = min(finite) - _FLOOR if finite else -1e3
                for v in cands.values():
                    if v[d] is None or v[d] == -math.inf:
                        v[d] = floor if self.backward is not None or d == 0 else 0.0
            for p, v in cands.items():
                v[2] = self._off_stress(p)
        return out

    def _combined(self, v):
        return self.weight * v[0] + (1 - self.weight) * v[1] - self.stress_penalty * v[2]

    def _ranked(self, word, cands):
        """A word's candidates best first: (phones, combined score, candidate)."""
        rows = [(p, self._combined(v), v) for p, v in cands.items()]
        rows.sort(key=lambda r: -r[1])
        return rows

    def _cut(self, word, v):
        """The best cut of a candidate: the forward n-gram's, else the backward one's."""
        if v[3] is not None:
            return _merged(self.forward.pairs(word, v[3]))
        if v[4] is not None:
            pairs = self.backward.pairs(word[::-1], v[4])
            return _merged([(letters[::-1], phones[::-1]) for letters, phones in pairs[::-1]])
        return None

    def posteriors(self, scores):
        """Probabilities of candidates from their combined scores."""
        s = np.asarray(scores, float) / self.temperature
        if not len(s):
            return s
        s = np.exp(s - s.max())
        return s / s.sum()

    def nbest(self, words: Sequence[str], *, nbest: int = 5, beam: int | None = None):
        """The ``nbest`` pronunciations of each word with their probabilities.

        Returns
        -------
        list of list of (tuple of str, float, Alignment)
            Per word: phones, probability (over the candidates, calibrated; a list sums to at
            most 1) and the best cut, best first.
        """
        words = list(words)
        beam = max(nbest, BEAM) if beam is None else max(beam, nbest)
        out = []
        for word, cands in zip(
            words,
            self._candidates(words, beam=beam, keep=max(KEEP, nbest)),
            strict=True,
        ):
            rows = self._ranked(word, cands)
            probs = self.posteriors([c for _, c, _ in rows])
            out.append(
                [
                    (
                        phones,
                        float(p),
                        self._cut(word, v) or Alignment([(word, phones)]),
                    )
                    for (phones, _, v), p in zip(rows[:nbest], probs[:nbest], strict=False)
                ]
            )
        return out

    def forced(
        self,
        words: Sequence[str],
        pronunciations: Sequence[Sequence[str]],
        *,
        beam=BEAM,
    ):
        """Log joint score (left to right) and best cut of each (word, phones) pair;
        ``(-inf, None)`` where no cut of the model fits (a phone it never saw, a letter with
        too many phones)."""
        ids = [self._ids(w) for w in words]
        targets = [self._target(p) for p in pronunciations]
        out = []
        for word, res in zip(
            words,
            self.forward.run(ids, targets=targets, beam=beam, keep=1),
            strict=True,
        ):
            if not res:
                out.append((-math.inf, None))
            else:
                toks, score = res[0]
                out.append((score, _merged(self.forward.pairs(word, toks))))
        return out

    def align(self, word: str, phones: Sequence[str]) -> Alignment:
        """The best cut of ``word`` against ``phones`` into graphemes and their phones.

        Where the model has no cut (a phone it never saw), one chunk: the word against all.

        Examples
        --------
        >>> str(default_model().align("weight", ["W", "EY1", "T"]))  # doctest: +SKIP
        'w|eigh|t -> W|EY1|T'
        """
        ((score, cut),) = self.forced([word], [phones])
        return cut if cut is not None else Alignment([(word, tuple(phones))])

    # -- the interface G2P uses (as g2p-en's model): log-probabilities are log posteriors ------
    def greedy(self, words: Sequence[str]) -> list[tuple[list[str], float]]:
        """The best pronunciation of each word and its log probability."""
        words = list(words)
        out = []
        for word, cands in zip(words, self._candidates(words), strict=True):
            rows = self._ranked(word, cands)
            if not rows:
                out.append(([], -math.inf))
                continue
            top, t = (
                rows[0][1],
                self.temperature,
            )  # log p of the best: -log sum exp((c - top) / T)
            log_p = -math.log(sum(math.exp((c - top) / t) for _, c, _ in rows))
            out.append((list(rows[0][0]), log_p))
        return out

    def beam(self, word: str, *, beam: int, nbest: int) -> list[tuple[list[str], float]]:
        """The ``nbest`` best pronunciations of ``word`` and their log probabilities."""
        if beam < 1 or nbest < 1 or nbest > beam:
            raise ParameterError(f"beam={beam}, nbest={nbest}: need 1 <= nbest <= beam")
        (hyps,) = self.nbest([word], nbest=nbest, beam=max(beam, BEAM))
        return [(list(phones), float(np.log(p))) for phones, p, _ in hyps]

    def score(self, word: str, pronunciations: Sequence[Sequence[str]]) -> list[float]:
        """Log probability of each given pronunciation, on the scale of :meth:`beam`'s (the
        candidates and these share one normaliser)."""
        if not pronunciations:
            return []
        (cands,) = self._candidates([word], extra=[pronunciations])
        rows = self._ranked(word, cands)
        s = np.array([c for _, c, _ in rows]) / self.temperature
        log_z = s.max() + np.log(np.exp(s - s.max()).sum())
        given = {p: c / self.temperature - log_z for p, c, _ in rows}
        return [float(given[tuple(p)]) for p in pronunciations]


def _kernel_layout(t, n_tokens):
    """The n-gram as the kernel reads it (``t`` as the class docs say, or already so): per
    state (first arc, end of its arcs, back-off state, back-off weight) in ``states``, per arc
    (token, next state, log-probability) in ``arcs``, int32 (the weights' float32 bits): a
    lookup touches one or two cache lines a state, not one an array; ``root_arc``, the root's
    arc of each token (-1: none), so that the lookups that end at the root need no search."""
    if "states" in t:
        return dict(t)
    n = len(t["backoff"])
    states = np.empty((n, 4), np.int32)
    ptr = np.asarray(t["state_ptr"], np.int32)
    states[:, 0], states[:, 1], states[:, 2] = ptr[:-1], ptr[1:], t["backoff"]
    states[:, 3] = np.asarray(t["bow"], np.float32).view(np.int32)
    arcs = np.empty((len(t["arc_token"]), 3), np.int32)
    arcs[:, 0], arcs[:, 1] = t["arc_token"], t["arc_next"]
    arcs[:, 2] = np.asarray(t["arc_logprob"], np.float32).view(np.int32)
    lo, hi = int(ptr[0]), int(ptr[1])
    root_arc = np.full(n_tokens, -1, np.int32)
    root_arc[np.asarray(t["arc_token"][lo:hi], np.int64)] = np.arange(lo, hi, dtype=np.int32)
    return {
        "states": states.ravel(),
        "arcs": arcs.ravel(),
        "root_arc": root_arc,
        "start": np.int64(t["start"]),
    }


def _pack(seqs):
    """Sequences as one flat list and their offsets."""
    flat, offsets = [], [0]
    for seq in seqs:
        flat.extend(seq)
        offsets.append(len(flat))
    return flat, offsets


# -- the file's compact arrays ---------------------------------------------------------------
# In the file, state and next-state ids are stored as differences (states are numbered by
# history, so an arc's next state is close to its neighbour's), arcs per state as counts and
# log-probabilities as 8-bit codes of a 256-value codebook (1-D k-means): 4 MB a direction
# instead of 9.


def _codebook(values, size=256, iterations=8):
    values = np.asarray(values, np.float32).astype(np.float64)
    book = np.unique(values)
    if len(book) <= size:  # already on a codebook (a model read back): kept exactly
        return book.astype(np.float32)
    book = np.unique(np.quantile(values, np.linspace(0, 1, size)))
    for _ in range(iterations):
        codes = _codes(values, book)
        sums = np.bincount(codes, weights=values, minlength=len(book))
        counts = np.bincount(codes, minlength=len(book))
        book = np.where(counts > 0, sums / np.maximum(counts, 1), book)
        book = np.unique(book)
    return book.astype(np.float32)


def _codes(values, book):
    mid = (book[1:] + book[:-1]) / 2
    return np.searchsorted(mid, values).astype(np.uint8)


def _encoded(tables):
    lp = np.asarray(tables["arc_logprob"], np.float64)
    book = _codebook(lp)
    return {
        "backoff_diff": np.diff(tables["backoff"].astype(np.int64), prepend=0).astype(np.int32),
        "bow": np.asarray(tables["bow"]).astype(np.float16),
        "arc_count": np.diff(tables["state_ptr"].astype(np.int64)).astype(np.uint32),
        "arc_token": tables["arc_token"],
        "arc_code": _codes(lp, book),
        "codebook": book,
        "arc_next_diff": np.diff(tables["arc_next"].astype(np.int64), prepend=0).astype(np.int32),
        "start": np.int64(tables["start"]),
    }


def compact_tables(tables):
    """The n-gram ``tables`` as a model file holds them (log-probabilities on the codebook),
    so that a trained model and the same model read back decode alike."""
    encoded = {f"x_{k}": v for k, v in _encoded(tables).items()}
    return _decoded({**encoded, "x_graphones": np.zeros((0, 4))}, "x_")["tables"]


def _decoded(arrays, prefix):
    a = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    state_ptr = np.zeros(len(a["arc_count"]) + 1, np.int32)
    np.cumsum(a["arc_count"], out=state_ptr[1:])
    tables = {  # as the kernel reads them
        "backoff": np.cumsum(a["backoff_diff"], dtype=np.int32),
        "bow": a["bow"].astype(np.float32),
        "state_ptr": state_ptr,
        "arc_token": a["arc_token"],
        "arc_logprob": a["codebook"][a["arc_code"]],
        "arc_next": np.cumsum(a["arc_next_diff"], dtype=np.int32),
        "start": np.int64(a["start"]),
    }
    return {"graphones": a["graphones"], "tables": tables}


def load_graphone_model(path: str | os.PathLike) -> GraphoneModel:
    """Read a model file written by :meth:`GraphoneModel.save`.

    The first read of a file keeps its arrays uncompressed in the user's cache folder
    (:func:`~speechtext.io.arrays.write_mapped`, the kernel's layout, about 34 MB a direction;
    the last ``MAPPED_MODELS`` models are kept); later processes map that copy instead of
    decompressing the file (a few milliseconds instead of 0.3-0.9 s), without numpy
    (:func:`~speechtext.io.arrays.read_mapped_views`). A mapped copy is checked in full (its
    CRC-32 and every index) before numba's kernel first reads it; the plain-Python kernel reads
    it through bounds-checked memoryviews.

    Raises
    ------
    FormatError
        The file is missing, damaged, or not a speechtext G2P model (naming it).
    """
    from ..io.arrays import read_arrays, read_mapped_views

    cached = _mapped_path(path)
    if cached is not None and cached.is_file():
        try:
            arrays, meta = read_mapped_views(cached, kind=KIND)
            model = _model_of(arrays, meta, path)
        except FormatError:
            pass  # rebuilt below
        else:
            verify = functools.partial(_verify_mapped, model, cached, path)
            for ngram in (model.forward, model.backward):
                if ngram is not None:
                    ngram.verify = verify
            return model
    arrays, meta = read_arrays(path, kind=KIND)
    if meta.get("format") != FORMAT_VERSION:
        raise FormatError(
            f"{path}: G2P model format {meta.get('format')!r}, this speechtext reads format "
            f"{FORMAT_VERSION}; retrain it with `speechtext g2p train`"
        )
    try:
        prepared = {}
        for prefix in ("f_", "b_"):
            if prefix + "graphones" in arrays:
                ngram = _decoded(arrays, prefix)
                prepared[prefix + "graphones"] = ngram["graphones"]
                layout = _kernel_layout(ngram["tables"], len(ngram["graphones"]))
                prepared.update({prefix + k: v for k, v in layout.items()})
        model = _model_of(prepared, meta, path)
        for ngram in (model.forward, model.backward):
            if ngram is not None:
                _check(ngram, len(model.letters), len(model.phones))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"{path}: damaged G2P model ({exc}); retrain it") from None
    if cached is not None:
        _keep_mapped(cached, prepared, meta)
    return model


def _model_of(arrays, meta, path):
    """The model from its kernel-ready arrays (``f_``/``b_`` prefixed) and its meta."""
    if meta.get("format") != FORMAT_VERSION:
        raise FormatError(f"{path}: G2P model format {meta.get('format')!r}")

    def ngram(prefix):
        a = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        return {"graphones": a.pop("graphones"), "tables": a}

    try:
        model = GraphoneModel(
            letters=meta["letters"],
            phones=meta["phones"],
            forward=ngram("f_"),
            backward=ngram("b_") if "b_graphones" in arrays else None,
            order=meta["order"],
            temperature=meta["temperature"],
            weight=meta["weight"],
            stress_penalty=meta["stress_penalty"],
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"{path}: damaged G2P model ({exc}); retrain it") from None
    model.info = meta.get("info", {})
    return model


_MAPPED_LAYOUT = 2  # 2: the kernel's interleaved states and arcs (a copy of layout 1 is rebuilt)
MAPPED_MODELS = 4  # mapped copies kept in the cache folder (the oldest removed)


def _mapped_path(path):
    """The cache file of the mapped copy of the model file ``path`` (None if it is absent)."""
    import hashlib

    from ..io.cache import cache_dir

    try:
        st = os.stat(path)
    except OSError:
        return None
    version = f"{FORMAT_VERSION}|{_MAPPED_LAYOUT}"
    key = f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}|{version}"
    name = f"{os.path.basename(path)}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.mapped"
    return cache_dir() / "g2p" / name


def _keep_mapped(cached, arrays, meta):
    """Write the mapped copy (best effort: a cache is optional) and drop the oldest ones."""
    from ..errors import SpeechTextError
    from ..io.arrays import write_mapped

    try:
        write_mapped(cached, arrays, meta, kind=KIND)
        copies = sorted(cached.parent.glob("*.mapped"), key=lambda p: p.stat().st_mtime)
        for old in copies[:-MAPPED_MODELS]:
            old.unlink()
    except (OSError, SpeechTextError):
        pass


def _verify_mapped(model, cached, path):
    """The full check of a mapped copy, before numba's kernel reads it; a damaged copy is
    removed (the next run rebuilds it) and named."""
    from ..io.arrays import read_mapped

    try:
        read_mapped(cached, kind=KIND, verify=True)
        for ngram in (model.forward, model.backward):
            if ngram is not None:
                _check(ngram, len(model.letters), len(model.phones))
    except (FormatError, ValueError) as exc:
        with contextlib.suppress(OSError):
            os.unlink(cached)
        raise FormatError(
            f"{cached}: damaged cached copy of {path} ({exc}); removed, run again"
        ) from None
    for ngram in (model.forward, model.backward):
        if ngram is not None:
            ngram.verify = None


def _check(ngram, n_l, n_p):
    """Every index in range, so that the kernel never reads outside an array."""
    t, g = {k: np.asarray(v) for k, v in ngram.layout.items()}, ngram.graphones
    ok = t["states"].ndim == 1 and len(t["states"]) % 4 == 0 and len(t["arcs"]) % 3 == 0
    states, arcs = t["states"].reshape(-1, 4), t["arcs"].reshape(-1, 3)
    n_states, n_arcs, n_tokens = len(states), len(arcs), len(g)
    lo, hi, backoff = states[:, 0], states[:, 1], states[:, 2]
    ok = (
        ok
        and g.ndim == 2
        and g.shape[1] == 4
        and g[:, :2].min(initial=0) >= 0
        and g[:, :2].max(initial=0) <= n_l
        and g[:, 2:].min(initial=0) >= 0
        and g[:, 2:].max(initial=0) <= n_p
        and 0 <= int(t["start"]) < n_states
        and lo.min(initial=0) >= 0
        and hi.max(initial=0) <= n_arcs
        and bool(np.all(lo <= hi))
        and backoff.min(initial=0) >= 0
        and bool(np.all(backoff[1:] < np.arange(1, n_states)))  # back-off ends at the root
        and bool(np.all(np.isfinite(states[:, 3].view(np.float32))))
        and bool(np.all(np.isfinite(arcs[:, 2].view(np.float32))))
        and arcs[:, 0].min(initial=0) >= 0
        and arcs[:, 0].max(initial=0) < n_tokens
        and arcs[:, 1].min(initial=0) >= 0
        and arcs[:, 1].max(initial=0) < n_states
        and len(t["root_arc"]) == n_tokens
        and t["root_arc"].min(initial=0) >= -1
        and t["root_arc"].max(initial=0) < n_arcs
    )
    if not ok:
        raise ValueError("an index out of range")


@functools.cache
def default_model() -> GraphoneModel:
    """The model shipped with speechtext, trained on the current CMU dictionary."""
    from .resources import default_model_path

    return load_graphone_model(default_model_path())
