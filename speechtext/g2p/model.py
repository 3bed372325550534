"""g2p-en's neural model (a GRU encoder-decoder) run with numpy: batched greedy, beam, scoring.

The weights are g2p-en's ``checkpoint20.npz``; the arithmetic follows g2p-en's own numpy code
(float32 GRU cells, the same gate order), so greedy decoding gives g2p-en's output. Two things
make it faster than g2p-en: the input projections of every grapheme and phoneme are computed once
(a table lookup per step instead of a matrix product), and many words are encoded and greedily
decoded together, one matrix product per step for all of them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager

import numpy as np

from ..decode import beam_search_steps
from ..errors import ParameterError
from .resources import load_model_weights

__all__ = ["GRAPHEMES", "PHONEMES", "G2PModel", "load_model", "max_phones", "single_threaded"]

GRAPHEMES = ["<pad>", "<unk>", "</s>", *"abcdefghijklmnopqrstuvwxyz"]
# fmt: off
PHONEMES = ["<pad>", "<unk>", "<s>", "</s>",
            "AA0", "AA1", "AA2", "AE0", "AE1", "AE2", "AH0", "AH1", "AH2", "AO0", "AO1", "AO2",
            "AW0", "AW1", "AW2", "AY0", "AY1", "AY2", "B", "CH", "D", "DH", "EH0", "EH1", "EH2",
            "ER0", "ER1", "ER2", "EY0", "EY1", "EY2", "F", "G", "HH", "IH0", "IH1", "IH2", "IY0",
            "IY1", "IY2", "JH", "K", "L", "M", "N", "NG", "OW0", "OW1", "OW2", "OY0", "OY1", "OY2",
            "P", "R", "S", "SH", "T", "TH", "UH0", "UH1", "UH2", "UW", "UW0", "UW1", "UW2", "V",
            "W", "Y", "Z", "ZH"]
# fmt: on
_G2I = {g: i for i, g in enumerate(GRAPHEMES)}
_P2I = {p: i for i, p in enumerate(PHONEMES)}
UNK_G, END_G = 1, 2
START_P, END_P = 2, 3
# g2p-en stops after 20 phones; longer words get room for more (greedy output is unchanged for
# every word g2p-en does not cut short).
MAX_PHONES = 20
_CHUNK = 1024  # words decoded together; bounds the [N, 768] temporaries


@functools.cache
def _blas():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def single_threaded() -> AbstractContextManager:
    """Context in which BLAS uses one thread.

    The model's products are small ([beam, 256] x [256, 768]); on a busy 2-core machine two BLAS
    threads made beam search 19x and batched greedy decoding 2-3x slower than one thread.
    """
    controller = _blas()
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def max_phones(word: str) -> int:
    """Most phones decoded for ``word``: g2p-en's 20, more for words over 15 letters."""
    return max(MAX_PHONES, len(word) + 5)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gru(x_proj, h, w_hh_t, b_hh):
    """One GRU cell step given the input projection ``x @ w_ih.T + b_ih`` (as g2p-en's grucell)."""
    rzn_hh = np.matmul(h, w_hh_t) + b_hh
    n3 = x_proj.shape[-1] * 2 // 3
    rz = _sigmoid(x_proj[:, :n3] + rzn_hh[:, :n3])
    r, z = np.split(rz, 2, -1)
    n = np.tanh(x_proj[:, n3:] + r * rzn_hh[:, n3:])
    return (1 - z) * n + z * h


def _log_softmax(logits):
    logits = logits.astype(np.float64)
    m = logits.max(axis=1, keepdims=True)
    return logits - (np.log(np.exp(logits - m).sum(axis=1, keepdims=True)) + m)


class G2PModel:
    """g2p-en's grapheme-to-phoneme network.

    Parameters
    ----------
    weights : mapping of str to np.ndarray
        The arrays of g2p-en's ``checkpoint20.npz`` (``enc_emb``, ``enc_w_ih`` ... ``fc_b``).

    Examples
    --------
    >>> from speechtext.g2p.resources import load_model_weights
    >>> model = G2PModel(load_model_weights())
    >>> model.greedy(["activationist"])[0][0]  # doctest: +SKIP
    ['AE2', 'K', 'T', 'IH0', 'V', 'EY1', 'SH', 'AH0', 'N', 'IH0', 'S', 'T']
    """

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        w = {k: np.asarray(weights[k]) for k in weights}
        # Input projections of every symbol, computed once: a row lookup replaces x @ w_ih.T.
        self.enc_in = np.matmul(w["enc_emb"], w["enc_w_ih"].T) + w["enc_b_ih"]
        self.enc_w_hh_t = np.ascontiguousarray(w["enc_w_hh"].T)
        self.enc_b_hh = w["enc_b_hh"]
        self.dec_in = np.matmul(w["dec_emb"], w["dec_w_ih"].T) + w["dec_b_ih"]
        self.dec_w_hh_t = np.ascontiguousarray(w["dec_w_hh"].T)
        self.dec_b_hh = w["dec_b_hh"]
        self.fc_w_t = np.ascontiguousarray(w["fc_w"].T)
        self.fc_b = w["fc_b"]
        self.hidden = self.enc_w_hh_t.shape[0]

    # -- encoder ---------------------------------------------------------------------------
    def encode(self, words: Sequence[str]) -> np.ndarray:
        """Final encoder states ``[N, H]`` of ``words`` (lower-case; other characters are <unk>)."""
        lengths = np.array([len(w) + 1 for w in words])  # + </s>
        ids = np.zeros((len(words), lengths.max(initial=1)), dtype=np.intp)
        for i, word in enumerate(words):
            ids[i, : len(word)] = [_G2I.get(c, UNK_G) for c in word]
            ids[i, len(word)] = END_G
        h = np.zeros((len(words), self.hidden), np.float32)
        for t in range(ids.shape[1]):
            live = lengths > t
            if live.all():
                h = _gru(self.enc_in[ids[:, t]], h, self.enc_w_hh_t, self.enc_b_hh)
            else:
                h[live] = _gru(self.enc_in[ids[live, t]], h[live], self.enc_w_hh_t, self.enc_b_hh)
        return h

    # -- decoder ---------------------------------------------------------------------------
    def step(self, labels: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decoder step for the beam search: next-phoneme log-probabilities and the new state."""
        h = _gru(self.dec_in[labels], h, self.dec_w_hh_t, self.dec_b_hh)
        logits = np.matmul(h, self.fc_w_t) + self.fc_b
        return _log_softmax(logits), h

    def greedy(self, words: Sequence[str]) -> list[tuple[list[str], float]]:
        """Greedy decoding of many words at once, as g2p-en decodes one.

        Returns
        -------
        list of (list of str, float)
            Per word, the phonemes and their log-probability (``</s>`` included when reached).
        """
        out = []
        for i in range(0, len(words), _CHUNK):
            out.extend(self._greedy_chunk(words[i : i + _CHUNK]))
        return out

    def _greedy_chunk(self, words):
        n = len(words)
        h = self.encode(words)
        limit = np.array([max_phones(w) for w in words])
        labels = np.full(n, START_P, dtype=np.intp)
        live = np.arange(n)
        preds = [[] for _ in range(n)]
        scores = np.zeros(n)
        for t in range(int(limit.max(initial=0))):
            h = _gru(self.dec_in[labels], h, self.dec_w_hh_t, self.dec_b_hh)
            logits = np.matmul(h, self.fc_w_t) + self.fc_b
            best = logits.argmax(axis=1)  # ties to the lowest id, as argmax in g2p-en
            scores[live] += _log_softmax(logits)[np.arange(len(live)), best]
            going = best != END_P
            for i, p in zip(live[going], best[going], strict=True):
                preds[i].append(PHONEMES[p])
            going &= limit[live] > t + 1
            live, h, labels = live[going], h[going], best[going]
            if len(live) == 0:
                break
        return list(zip(preds, scores.tolist(), strict=True))

    def beam(self, word: str, *, beam: int, nbest: int) -> list[tuple[list[str], float]]:
        """The ``nbest`` best pronunciations of one word by beam search (``speechtext.decode``).

        Returns
        -------
        list of (list of str, float)
            Phonemes and log-probability, best first.
        """
        if beam < 1 or nbest < 1 or nbest > beam:
            raise ParameterError(f"beam={beam}, nbest={nbest}: need 1 <= nbest <= beam")
        h = self.encode([word])
        found = beam_search_steps(
            self.step,
            h,
            start=START_P,
            end=END_P,
            beam=beam,
            nbest=nbest,
            max_len=max_phones(word),
        )
        return [([PHONEMES[p] for p in labels], logprob) for labels, logprob in found]

    def score(self, word: str, pronunciations: Sequence[Sequence[str]]) -> list[float]:
        """Log-probability of each given pronunciation of ``word`` (``</s>`` included).

        Phonemes outside the model's set score ``-inf``.
        """
        if not pronunciations:
            return []
        n = len(pronunciations)
        h = np.repeat(self.encode([word]), n, axis=0)
        length = max(len(p) for p in pronunciations) + 1
        target = np.full((n, length), END_P, dtype=np.intp)
        valid = np.ones(n, dtype=bool)
        for i, phones in enumerate(pronunciations):
            ids = [_P2I.get(p, -1) for p in phones]
            valid[i] = -1 not in ids
            target[i, : len(ids)] = [max(j, 0) for j in ids]
        lengths = np.array([len(p) + 1 for p in pronunciations])
        total = np.zeros(n)
        labels = np.full(n, START_P, dtype=np.intp)
        for t in range(length):
            logprobs, h = self.step(labels, h)
            live = lengths > t
            total[live] += logprobs[np.arange(n), target[:, t]][live]
            labels = target[:, t]
        total[~valid] = -np.inf
        return total.tolist()


@functools.cache
def load_model() -> G2PModel:
    """g2p-en's network with its weights, loaded once per process and shared by every G2P.

    Examples
    --------
    >>> load_model().greedy(["activationist"])[0][0]
    ['AE2', 'K', 'T', 'IH0', 'V', 'EY1', 'SH', 'AH0', 'N', 'IH0', 'S', 'T']
    """
    return G2PModel(load_model_weights())
