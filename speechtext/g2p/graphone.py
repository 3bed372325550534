"""The joint-sequence (graphone) model: pronouncing, N-best with probabilities, alignment.

A graphone pairs 1-2 letters with 0-2 phones; a word's pronunciation is a sequence of graphones
whose letters spell the word, scored by a graphone n-gram (trained by
:mod:`speechtext.g2p.train`, the approach of Bisani & Ney's Sequitur and of Phonetisaurus). The
decoder (:mod:`speechtext.g2p.decoder`, numba) searches a beam over the word's letters and sums
each pronunciation's probability over its cuts.

**Probabilities.** The N-best probabilities are posteriors over the beam's pronunciations,
``p_k = exp(s_k / T) / sum_j exp(s_j / T)`` for joint log-probabilities ``s``, with the
temperature ``T`` fitted on held-out words so that the top-1 probability is calibrated. They sum
to at most 1 over any list.

A model file (``.g2p``) is a checksummed npz (:mod:`speechtext.io.arrays`): the symbols, the
graphones, the n-gram's states and arcs, the order and the temperature. Pronouncing needs numpy
and numba only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np

from ..errors import FormatError, ParameterError

__all__ = ["BOS", "EOS", "KIND", "Alignment", "GraphoneModel", "load_graphone_model"]

EOS, BOS = 0, 1  # token ids of the word's end and start; graphones are 2, 3, ...
KIND = "speechtext-g2p"
FORMAT_VERSION = 1
_BATCH = 512  # words decoded by one kernel call
BEAM = 16  # hypotheses kept per letter: 8 had 1.5 points more word error, 32 none less


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


class GraphoneModel:
    """A trained graphone model (see the module docs); made by
    :func:`~speechtext.g2p.train.train_graphone_model` or :func:`load_graphone_model`.

    Parameters
    ----------
    letters, phones : list of str
        The symbols (letter 1 is ``letters[0]``; 0 is none).
    graphones : np.ndarray [shape=(G, 4)]
        Per token its letters and phones (l1, l2, p1, p2), 0 for none; rows 0, 1 are ``</s>``,
        ``<s>``.
    tables : dict of np.ndarray
        The n-gram: ``backoff``, ``bow`` per state and ``state_ptr`` (its first arc);
        ``arc_token``, ``arc_logprob``, ``arc_next`` per arc, sorted by state and token;
        ``start``, the state of ``<s>``.
    order : int
    temperature : float
    """

    def __init__(self, *, letters, phones, graphones, tables, order, temperature=1.0, **_):
        self.letters = list(letters)
        self.phones = list(phones)
        self.graphones = np.asarray(graphones, np.int32)
        self.tables = {k: np.asarray(v) for k, v in tables.items()}
        self.order = int(order)
        self.temperature = float(temperature)
        self.info = {}
        self._letter_ids = {c: i + 1 for i, c in enumerate(self.letters)}
        self._phone_ids = {p: i + 1 for i, p in enumerate(self.phones)}
        self._prepare()

    def _prepare(self):
        t = self.tables
        n_l = len(self.letters)
        g = self.graphones
        self._state_ptr = t["state_ptr"]
        codes = g[:, 0].astype(np.int64) * (n_l + 1) + g[:, 1]
        codes[:2] = -1  # </s> and <s> spell nothing
        order = np.argsort(codes, kind="stable")
        order = order[codes[order] >= 0]
        self._lc_tok = order.astype(np.int64)
        self._lc_ptr = np.searchsorted(codes[order], np.arange((n_l + 1) ** 2 + 1)).astype(np.int64)
        self._g_p1 = g[:, 2].astype(np.int64)
        self._g_p2 = g[:, 3].astype(np.int64)
        self._arc_token = t["arc_token"]
        self._arc_lp = t["arc_logprob"].astype(np.float32)  # numba has no half precision
        self._arc_next = t["arc_next"]
        self._backoff = t["backoff"]
        self._bow = t["bow"].astype(np.float32)

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
            "info": self.info,
        }
        arrays = {"graphones": self.graphones, **{f"t_{k}": v for k, v in self.tables.items()}}
        write_arrays(path, arrays, meta, kind=KIND)

    # -- decoding --------------------------------------------------------------------------
    def _ids(self, word):
        return [self._letter_ids.get(c, 0) for c in word]

    def _run(self, words, targets=None, beam=BEAM):
        from .decoder import decode_words

        out = []
        n_l = len(self.letters)
        for lo in range(0, len(words), _BATCH):
            chunk = words[lo : lo + _BATCH]
            ids = [self._ids(w) for w in chunk]
            letters, l_off = _pack(ids)
            if targets is None:
                t_ids = [[] for _ in chunk]
            else:
                t_ids = [[self._phone_ids.get(p, -1) for p in t] for t in targets[lo : lo + _BATCH]]
            flat_t, t_off = _pack(t_ids)
            max_len = max((len(w) for w in chunk), default=0) + 1
            out_n = np.zeros(len(chunk), np.int64)
            out_score = np.zeros((len(chunk), beam))
            out_tokens = np.full((len(chunk), beam, max_len), -1, np.int64)
            decode_words(
                letters,
                l_off,
                flat_t,
                t_off,
                targets is not None,
                n_l,
                self._lc_ptr,
                self._lc_tok,
                self.graphones,
                self._g_p1,
                self._g_p2,
                self._state_ptr,
                self._arc_token,
                self._arc_lp,
                self._arc_next,
                self._backoff,
                self._bow,
                int(self.tables["start"]),
                EOS,
                beam,
                out_n,
                out_score,
                out_tokens,
            )
            for w in range(len(chunk)):
                results = []
                for r in range(out_n[w]):
                    toks = out_tokens[w, r]
                    results.append((toks[toks != -1].tolist(), float(out_score[w, r])))
                out.append(results)
        return out

    def _phones_of(self, tokens):
        phones = self.phones
        out = []
        for t in tokens:
            if t >= 0:
                p1, p2 = self._g_p1[t], self._g_p2[t]
                if p1:
                    out.append(phones[p1 - 1])
                if p2:
                    out.append(phones[p2 - 1])
        return tuple(out)

    def _pairs(self, word, tokens):
        pairs, i = [], 0
        for t in tokens:
            a = 1 if t < 0 or self.graphones[t, 1] == 0 else 2
            pairs.append((word[i : i + a], self._phones_of([t])))
            i += a
        return pairs

    def decode(self, words: Sequence[str], *, beam: int = BEAM):
        """Per word, its pronunciations from the beam: ``(phones, log joint probability,
        tokens)``, best first."""
        return [
            [(self._phones_of(toks), score, toks) for toks, score in results]
            for results in self._run(list(words), beam=beam)
        ]

    def posteriors(self, scores):
        """Probabilities of the beam's pronunciations from their log joint scores."""
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
            Per word: phones, probability (over the beam, calibrated; a list sums to at most
            1) and the best cut, best first.
        """
        beam = max(nbest, BEAM) if beam is None else beam
        out = []
        for word, hyps in zip(words, self.decode(words, beam=beam), strict=True):
            probs = self.posteriors([s for _, s, _ in hyps])
            out.append(
                [
                    (phones, float(p), _merged(self._pairs(word, toks)))
                    for (phones, _, toks), p in zip(hyps[:nbest], probs[:nbest], strict=False)
                ]
            )
        return out

    def forced(self, words: Sequence[str], pronunciations: Sequence[Sequence[str]], *, beam=BEAM):
        """Log joint score and best cut of each (word, phones) pair; ``(-inf, None)`` where no
        cut of the model fits (a phone it never saw, a letter with too many phones)."""
        results = self._run(list(words), targets=[list(p) for p in pronunciations], beam=beam)
        out = []
        for word, res in zip(words, results, strict=True):
            if not res:
                out.append((-np.inf, None))
            else:
                toks, score = res[0]
                out.append((score, _merged(self._pairs(word, toks))))
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
        out = []
        for hyps in self.nbest(list(words), nbest=1):
            out.append((list(hyps[0][0]), float(np.log(hyps[0][1]))) if hyps else ([], -np.inf))
        return out

    def beam(self, word: str, *, beam: int, nbest: int) -> list[tuple[list[str], float]]:
        """The ``nbest`` best pronunciations of ``word`` and their log probabilities."""
        if beam < 1 or nbest < 1 or nbest > beam:
            raise ParameterError(f"beam={beam}, nbest={nbest}: need 1 <= nbest <= beam")
        (hyps,) = self.nbest([word], nbest=nbest, beam=max(beam, BEAM))
        return [(list(phones), float(np.log(p))) for phones, p, _ in hyps]

    def score(self, word: str, pronunciations: Sequence[Sequence[str]]) -> list[float]:
        """Log probability of each given pronunciation, on the scale of :meth:`beam`'s (the
        beam's pronunciations and these share one normaliser)."""
        if not pronunciations:
            return []
        (hyps,) = self.decode([word], beam=BEAM)
        given = [s for s, _ in self.forced([word] * len(pronunciations), pronunciations)]
        seen = {phones: s for phones, s, _ in hyps}
        pool = [s for _, s, _ in hyps] + [
            s for p, s in zip(pronunciations, given, strict=True) if tuple(p) not in seen
        ]
        pool = np.asarray([s for s in pool if s > -np.inf]) / self.temperature
        if not len(pool):
            return [-np.inf] * len(pronunciations)
        top = pool.max()
        log_z = top + np.log(np.exp(pool - top).sum())
        return [float(s / self.temperature - log_z) if s > -np.inf else -np.inf for s in given]


def _pack(seqs):
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.fromiter((x for s in seqs for x in s), dtype=np.int64, count=int(offsets[-1]))
    return flat, offsets


def load_graphone_model(path: str | os.PathLike) -> GraphoneModel:
    """Read a model file written by :meth:`GraphoneModel.save`.

    Raises
    ------
    FormatError
        The file is missing, damaged, or not a speechtext G2P model (naming it).
    """
    from ..io.arrays import read_arrays

    arrays, meta = read_arrays(path, kind=KIND)
    if meta.get("format") != FORMAT_VERSION:
        raise FormatError(
            f"{path}: G2P model format {meta.get('format')!r}, this speechtext reads format "
            f"{FORMAT_VERSION}; retrain it with `speechtext g2p train`"
        )
    try:
        tables = {k[2:]: v for k, v in arrays.items() if k.startswith("t_")}
        model = GraphoneModel(
            letters=meta["letters"],
            phones=meta["phones"],
            graphones=arrays["graphones"],
            tables=tables,
            order=meta["order"],
            temperature=meta["temperature"],
        )
        _check(model)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"{path}: damaged G2P model ({exc}); retrain it") from None
    model.info = meta.get("info", {})
    return model


def _check(model):
    """Every index in range, so that the kernel never reads outside an array."""
    t, g = model.tables, model.graphones
    n_states, n_tokens = len(t["backoff"]), len(g)
    n_l, n_p = len(model.letters), len(model.phones)
    ok = (
        g.ndim == 2
        and g.shape[1] == 4
        and g[:, :2].min(initial=0) >= 0
        and g[:, :2].max(initial=0) <= n_l
        and g[:, 2:].min(initial=0) >= 0
        and g[:, 2:].max(initial=0) <= n_p
        and len(t["bow"]) == n_states
        and 0 <= int(t["start"]) < n_states
        and t["backoff"].min(initial=0) >= 0
        and t["backoff"].max(initial=0) < n_states
        and bool(np.all(t["backoff"][1:] < np.arange(1, n_states)))  # back-off ends at the root
        and all(len(t[k]) == len(t["arc_token"]) for k in ("arc_logprob", "arc_next"))
        and len(t["state_ptr"]) == n_states + 1
        and int(t["state_ptr"][0]) == 0
        and int(t["state_ptr"][-1]) == len(t["arc_token"])
        and bool(np.all(np.diff(t["state_ptr"]) >= 0))
        and bool(np.all(np.isfinite(t["arc_logprob"])))
        and bool(np.all(np.isfinite(t["bow"])))
        and t["arc_token"].min(initial=0) >= 0
        and t["arc_token"].max(initial=0) < n_tokens
        and t["arc_next"].min(initial=0) >= 0
        and t["arc_next"].max(initial=0) < n_states
    )
    if not ok:
        raise ValueError("an index out of range")


@functools.cache
def default_model() -> GraphoneModel:
    """The model shipped with speechtext, trained on the current CMU dictionary."""
    from .resources import default_model_path

    return load_graphone_model(default_model_path())
