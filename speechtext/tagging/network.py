"""A convolutional slot-and-intent network beside the CRF: trained with torch, run in numpy.

The network reads lower-cased words (embeddings learned from the training data; words seen once
become ``<unk>`` a quarter of the time while training, so ``<unk>`` is learned), their characters
(a convolution, max-pooled over the word) and word shapes; a projection and dilated, residual
convolutions over the sentence give every token a context of a few words either side; a linear
layer gives per-token label scores, a CRF layer (IOB2 constraints in training as in decoding)
the transition and start scores, and the max- and mean-pooled states an intent head.

:class:`~speechtext.tagging.SlotTagger` adds ``weight`` times the scores of several such
networks (their mean; each trained from another seed) to its CRF's lattice: a product of
experts, searched, calibrated and scored as one lattice. Convolutions, not an LSTM: on SNIPS
valid one BiLSTM-CRF (hidden 150) scored 94.5-94.6 slot F1 against 94.2 for this encoder at 300
channels, but ran 4-5x slower in numpy and trained 2-3x slower.

Training needs torch (``pip install 'speechtext[neural]'``); prediction is numpy only. The
forward pass below equals torch's to float32 rounding (``tests/test_network.py``).
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError

WORD_DIM, CHAR_DIM, CHAR_FILTERS, SHAPE_DIM = 100, 30, 50, 8
CHAR_CACHE = 200_000  # words whose character features are kept between calls


@dataclass(frozen=True)
class NetworkSettings:
    """What one network is: its size and its training."""

    channels: int = 128
    dilations: tuple[int, ...] = (1, 2, 1)
    epochs: int = 20
    learning_rate: float = 3e-3
    decay: float = 0.93  # the learning rate's factor per epoch
    batch: int = 64
    dropout: float = 0.3
    unk_rate: float = 0.25  # how often a word seen once is read as <unk> while training
    threads: int = 2

    def to_fields(self) -> dict[str, Any]:
        fields = dict(self.__dict__)
        fields["dilations"] = list(self.dilations)
        return fields

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> NetworkSettings:
        fields = {**fields, "dilations": tuple(fields["dilations"])}
        return cls(**fields)


def word_shape(token: str) -> int:
    """A small integer: all digits, some digits, capitalised (SNIPS is mostly lower case)."""
    digits = any(c.isdigit() for c in token)
    return 1 + token.isdigit() + 2 * (digits and not token.isdigit()) + 4 * token[:1].isupper()


def _log_softmax(scores):
    scores = scores - scores.max(1, keepdims=True)
    return scores - np.log(np.exp(scores).sum(1, keepdims=True))


@dataclass
class Network:
    """Trained networks' forward pass in numpy (the mean of their scores).

    Attributes
    ----------
    words, chars : list of str
        The vocabularies (ids 0 and 1: padding and unknown).
    labels, intents : list of str
        The label columns (the tagger's ``labels_``) and intents (None: trained without).
    members : list of dict
        Each network's weights, by torch's parameter names.
    settings : NetworkSettings
    """

    words: list[str]
    chars: list[str]
    labels: list[str]
    intents: list[str] | None
    members: list[dict[str, np.ndarray]]
    settings: NetworkSettings
    _chars: dict = field(default_factory=dict, repr=False)  # word -> each member's char features
    _tokens: dict = field(default_factory=dict, repr=False)  # token -> (word id, shape)

    def __post_init__(self):
        self.members = [{k: np.asarray(v, np.float32) for k, v in m.items()} for m in self.members]
        self._wid = {x: i for i, x in enumerate(self.words)}
        self._cid = {x: i for i, x in enumerate(self.chars)}

    @property
    def transitions(self) -> np.ndarray:
        return np.mean([m["trans"] for m in self.members], axis=0).astype(float)

    @property
    def start(self) -> np.ndarray:
        return np.mean([m["start"] for m in self.members], axis=0).astype(float)

    # ------------------------------------------------------------------ the file member

    def to_bytes(self) -> bytes:
        vocab = {
            "words": self.words,
            "chars": self.chars,
            "labels": self.labels,
            "intents": self.intents,
            "settings": self.settings.to_fields(),
        }
        arrays = {f"{i}/{k}": v for i, m in enumerate(self.members) for k, v in m.items()}
        buf = io.BytesIO()
        np.savez_compressed(buf, vocab=np.array(json.dumps(vocab)), **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Network:
        """ValueError if ``data`` is not what :meth:`to_bytes` writes."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                vocab = json.loads(str(z["vocab"]))
                members: dict[int, dict[str, np.ndarray]] = {}
                for key in z.files:
                    if key != "vocab":
                        i, name = key.split("/", 1)
                        members.setdefault(int(i), {})[name] = z[key]
            settings = NetworkSettings.from_fields(vocab.pop("settings"))
            return cls(**vocab, members=[members[i] for i in sorted(members)], settings=settings)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a network: {exc}") from None

    # ------------------------------------------------------------------ forward pass

    def _char_features(self, member, lowered):
        """Each word's max-pooled character convolution (one member), computed once per word."""
        w, cache = self.members[member], self._chars
        new = sorted({x for x in lowered if (member, x) not in cache})
        if new:
            if len(cache) > CHAR_CACHE:
                cache.clear()
            k = max(map(len, new)) + 2
            ids = np.zeros((len(new), k), np.int64)  # one pad either side: the conv's padding
            for row, x in enumerate(new):
                ids[row, 1 : len(x) + 1] = [self._cid.get(ch, 1) for ch in x]
            emb = w["ce.weight"][ids]  # words, k, CHAR_DIM
            windows = np.concatenate([emb[:, j : k - 2 + j] for j in range(3)], -1)
            kernel = w["conv.weight"].transpose(2, 1, 0).reshape(-1, CHAR_FILTERS)
            conv = np.maximum(windows @ kernel + w["conv.bias"], 0.0)
            conv[ids[:, 1:-1] == 0] = -1e4  # positions past the word's end: not in the max
            for x, row in zip(new, conv.max(axis=1), strict=True):
                cache[member, x] = row
        return np.stack([cache[member, x] for x in lowered])

    def _conv(self, w, x, layer):
        """One dilated convolution and ReLU, zero padding: ``[n, t, C]`` to ``[n, t, C]``."""
        kernel, bias = w[f"convs.{layer}.weight"], w[f"convs.{layer}.bias"]
        d = self.settings.dilations[layer]
        n, t, channels = x.shape
        padded = np.zeros((n, t + 2 * d, channels), np.float32)
        padded[:, d : d + t] = x
        windows = np.concatenate([padded[:, j * d : j * d + t] for j in range(3)], -1)
        out = windows.reshape(n * t, -1) @ kernel.transpose(2, 1, 0).reshape(-1, channels)
        return np.maximum(out + bias, 0.0).reshape(n, t, channels)

    def _member(self, member, ids, shapes, lowered):
        """One network on sentences of one length: label scores, intent log-probabilities."""
        w = self.members[member]
        n, t = ids.shape
        chars = self._char_features(member, lowered).reshape(n, t, -1)
        x = np.concatenate([w["we.weight"][ids], chars, w["se.weight"][shapes]], -1)
        h = np.maximum(x @ w["proj.weight"].T + w["proj.bias"], 0.0)
        for layer in range(len(self.settings.dilations)):
            h = h + self._conv(w, h, layer)
        em = h @ w["out.weight"].T + w["out.bias"]
        if "intent.weight" not in w:
            return em, None
        pooled = np.concatenate([h.max(1), h.mean(1)], -1)
        return em, _log_softmax(pooled @ w["intent.weight"].T + w["intent.bias"])

    def _token_ids(self, token):
        """(word id, shape) of a token, kept between calls."""
        known = self._tokens.get(token)
        if known is None:
            if len(self._tokens) > CHAR_CACHE:
                self._tokens.clear()
            known = self._tokens[token] = (self._wid.get(token.lower(), 1), word_shape(token))
        return known

    def __call__(self, sentences: Sequence[Sequence[str]]):
        """Per sentence ``[T, L]`` label scores (the members' mean, the start scores added to
        the first token's) and ``[n, intents]`` intent log-probabilities (of the members' mean
        probabilities; None without intents)."""
        from ..decode import group_by_length

        ems: list[Any] = [None] * len(sentences)
        intents = None if self.intents is None else np.zeros((len(sentences), len(self.intents)))
        start = self.start
        for group in group_by_length([len(s) for s in sentences]):
            rows = [sentences[i] for i in group]
            tokens = [x for s in rows for x in s]
            lowered = [x.lower() for x in tokens]
            ids, shapes = np.array([self._token_ids(x) for x in tokens]).T
            ids, shapes = (a.reshape(len(rows), len(rows[0])) for a in (ids, shapes))
            outs = [self._member(m, ids, shapes, lowered) for m in range(len(self.members))]
            em = np.mean([o[0] for o in outs], axis=0, dtype=float)
            em[:, 0] += start
            for row, i in enumerate(group):
                ems[i] = em[row]
            if intents is not None:
                intents[group] = np.mean([np.exp(o[1]) for o in outs], axis=0)
        if intents is not None:
            intents = np.log(np.maximum(intents, 1e-300))
        return ems, intents


# ---------------------------------------------------------------------- training (torch)


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ParameterError(
            "training the tagger's networks needs torch: pip install 'speechtext[neural]' "
            "(or train without --networks)"
        ) from None
    return torch


def _best_tags(network, sentences):
    from ..decode import iob_constraints, viterbi_batch

    ems, _ = network(sentences)
    allowed = iob_constraints(network.labels)
    found = viterbi_batch(ems, network.transitions, allowed=allowed, normalize=False)
    return [[network.labels[j] for j in p] for p, _ in found]


def train_networks(
    sentences: list[list[str]],
    tags: list[list[str]],
    labels: list[str],
    *,
    intents: list[str] | None = None,
    intent_classes: list[str] | None = None,
    dev: tuple[list[list[str]], list[list[str]]] | None = None,
    count: int = 1,
    settings: NetworkSettings | None = None,
    log=None,
) -> Network:
    """``count`` networks trained from seeds 0, 1, ... on the same data; each keeps the epoch
    with the best ``dev`` slot F1 (the last epoch without ``dev``).

    ``labels`` fixes the label columns (every tag must be one); ``intent_classes`` the intents'
    order. ``log``: called with a line per epoch.
    """
    from seqeval.metrics import f1_score

    torch = _import_torch()
    settings = settings or NetworkSettings()
    counts = Counter(x.lower() for s in sentences for x in s)
    words = ["<pad>", "<unk>", *sorted(counts)]
    chars = ["<pad>", "<unk>", *sorted({c for x in counts for c in x})]
    vocab = dict(words=words, chars=chars, labels=labels, intents=intent_classes)
    wid = {x: i for i, x in enumerate(words)}
    cid = {x: i for i, x in enumerate(chars)}
    label_id = {x: i for i, x in enumerate(labels)}
    data = {
        "words": [np.array([wid[x.lower()] for x in s]) for s in sentences],
        "chars": [[np.array([cid[c] for c in x.lower()], np.int64) for x in s] for s in sentences],
        "shapes": [np.array([word_shape(x) for x in s]) for s in sentences],
        "tags": [np.array([label_id[x] for x in t]) for t in tags],
    }
    if intents is not None:
        intent_id = {x: i for i, x in enumerate(intent_classes)}
        data["intent"] = np.array([intent_id[x] for x in intents])
    seen_once = np.array([counts[x] == 1 for x in words])
    members = []
    torch.set_num_threads(settings.threads)
    for seed in range(count):
        weights, report = _train_one(torch, data, seen_once, vocab, settings, seed, dev, f1_score)
        members.append(weights)
        if log is not None:
            log(f"network {seed + 1} of {count}: {report}")
    return Network(**vocab, members=members, settings=settings)


def torch_network(torch, vocab, settings):
    """The network as a torch module (untrained), for the vocabularies of ``vocab``."""
    from torch import nn

    from ..decode import iob_constraints

    labels, n_intents = vocab["labels"], len(vocab["intents"] or ())
    allowed = iob_constraints(labels)
    forbid = torch.tensor(np.where(allowed.transitions, 0.0, -1e4), dtype=torch.float32)
    forbid_start = torch.tensor(np.where(allowed.start, 0.0, -1e4), dtype=torch.float32)
    channels, n_labels = settings.channels, len(labels)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.we = nn.Embedding(len(vocab["words"]), WORD_DIM, padding_idx=0)
            self.ce = nn.Embedding(len(vocab["chars"]), CHAR_DIM, padding_idx=0)
            self.se = nn.Embedding(16, SHAPE_DIM)
            self.conv = nn.Conv1d(CHAR_DIM, CHAR_FILTERS, 3, padding=1)
            self.drop = nn.Dropout(settings.dropout)
            self.proj = nn.Linear(WORD_DIM + CHAR_FILTERS + SHAPE_DIM, channels)
            self.convs = nn.ModuleList(
                nn.Conv1d(channels, channels, 3, padding=d, dilation=d) for d in settings.dilations
            )
            self.out = nn.Linear(channels, n_labels)
            if n_intents:
                self.intent = nn.Linear(2 * channels, n_intents)
            self.trans = nn.Parameter(torch.zeros(n_labels, n_labels))
            self.start = nn.Parameter(torch.zeros(n_labels))

        def forward(self, w, chars, char_rows, s, mask):
            """Label scores ``[n, t, L]`` and intent scores ``[n, I]`` (None without).

            ``chars``: ``[U, k]`` character ids of the distinct words, ``char_rows``: each
            token's row in it (a word's characters are convolved once per batch)."""
            conv = torch.relu(self.conv(self.ce(chars).transpose(1, 2)))
            conv = conv.masked_fill(chars.unsqueeze(1) == 0, -1e4)  # no padding in the max
            x = torch.cat([self.we(w), conv.max(dim=2).values[char_rows], self.se(s)], -1)
            m = mask.unsqueeze(-1)
            # padding zeroed before each layer: as the zero padding past a sentence's end
            h = torch.relu(self.proj(self.drop(x))) * m
            for layer in self.convs:
                h = (h + torch.relu(layer(self.drop(h).transpose(1, 2)).transpose(1, 2))) * m
            h = self.drop(h)
            if not n_intents:
                return self.out(h), None
            pooled = torch.cat([h.masked_fill(~m, -1e4).max(1).values, h.sum(1) / m.sum(1)], -1)
            return self.out(h), self.intent(pooled)

        def nll(self, em, tags, mask):
            """The CRF's negative log-likelihood of the gold tags, averaged over sentences."""
            trans, start = self.trans + forbid, self.start + forbid_start
            gold = start[tags[:, 0]] + (em.gather(2, tags.unsqueeze(2)).squeeze(2) * mask).sum(1)
            gold = gold + (trans[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]).sum(1)
            # the forward algorithm's log-sum-exp as a product with exp(transitions), each
            # side shifted by its maximum: a matrix product, 15x faster than the [n, L, L] sum
            top_trans = trans.max()
            exp_trans = torch.exp(trans - top_trans)
            alpha = start + em[:, 0]
            for t in range(1, em.shape[1]):
                top = alpha.max(1, keepdim=True).values
                step = torch.log(torch.exp(alpha - top) @ exp_trans + 1e-30) + top + top_trans
                alpha = torch.where(mask[:, t : t + 1], step + em[:, t], alpha)
            return (torch.logsumexp(alpha, 1) - gold).mean()

    return Net()


def _char_rows(words):
    """The distinct character-id arrays of ``[n][t]`` words as ``[U, k]`` (row 0: no word, for
    padding) and each word's row, ``[n, t]``."""
    rows: dict[bytes, int] = {b"": 0}
    index = np.zeros((len(words), max(map(len, words))), np.int64)
    for i, sentence in enumerate(words):
        for j, ids in enumerate(sentence):
            index[i, j] = rows.setdefault(ids.tobytes(), len(rows))
    distinct = [np.frombuffer(key, np.int64) for key in rows]
    chars = np.zeros((len(distinct), max(1, max(map(len, distinct)))), np.int64)
    for r, ids in enumerate(distinct):
        chars[r, : len(ids)] = ids
    return chars, index


def padded_ids(network, sentences):
    """Word ids, characters (see ``_char_rows``), shape ids and the mask of ``sentences``,
    padded: the torch input."""
    n, t = len(sentences), max(map(len, sentences))
    w, s = np.zeros((n, t), np.int64), np.zeros((n, t), np.int64)
    mask = np.zeros((n, t), bool)
    for i, tokens in enumerate(sentences):
        for j, token in enumerate(tokens):
            w[i, j] = network._wid.get(token.lower(), 1)
            s[i, j] = word_shape(token)
            mask[i, j] = True
    chars = [
        [np.array([network._cid.get(ch, 1) for ch in x.lower()]) for x in s] for s in sentences
    ]
    return (w, *_char_rows(chars), s, mask)


def _train_one(torch, data, seen_once, vocab, settings, seed, dev, f1_score):
    from torch import nn

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_intents = len(vocab["intents"] or ())

    def batch_tensors(rows):
        n, t = len(rows), max(len(data["words"][i]) for i in rows)
        w, s, y = (np.zeros((n, t), np.int64) for _ in range(3))
        mask = np.zeros((n, t), bool)
        for r, i in enumerate(rows):
            size = len(data["words"][i])
            w[r, :size], s[r, :size] = data["words"][i], data["shapes"][i]
            y[r, :size] = data["tags"][i]
            mask[r, :size] = True
        chars, char_rows = _char_rows([data["chars"][i] for i in rows])
        rare = seen_once[w] & mask
        w = np.where(rare & (rng.random(w.shape) < settings.unk_rate), 1, w)
        out = [torch.from_numpy(a) for a in (w, chars, char_rows, s, mask, y)]
        return [*out, torch.from_numpy(data["intent"][rows]) if n_intents else None]

    net = torch_network(torch, vocab, settings)
    opt = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    lengths = np.array([len(x) for x in data["words"]])
    started = time.perf_counter()
    best = (-1.0, 0, None)
    for epoch in range(1, settings.epochs + 1):
        # batches of similar lengths (little padding), in random order
        order = np.argsort(lengths + 2 * rng.random(len(lengths)), kind="stable")
        batches = [order[a : a + settings.batch] for a in range(0, len(order), settings.batch)]
        net.train()
        for b in rng.permutation(len(batches)):
            w, chars, char_rows, s, mask, y, z = batch_tensors(batches[b])
            em, intent = net(w, chars, char_rows, s, mask)
            loss = net.nll(em, y, mask)
            if z is not None:
                loss = loss + nn.functional.cross_entropy(intent, z)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
        for group in opt.param_groups:
            group["lr"] *= settings.decay
        weights = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        if dev is None:
            best = (float("nan"), epoch, weights)
            continue
        one = Network(**vocab, members=[weights], settings=settings)
        f1 = 100 * f1_score(dev[1], _best_tags(one, dev[0]))
        if f1 > best[0]:
            best = (f1, epoch, weights)
    seconds = time.perf_counter() - started
    if dev is None:
        return best[2], f"{settings.epochs} epochs in {seconds:.0f} s"
    return best[2], f"dev slot F1 {best[0]:.2f} at epoch {best[1]}, {seconds:.0f} s"
