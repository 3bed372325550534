r"""Issue 15's measured route: a BiLSTM-CRF, and its product with the CRF tagger, on SNIPS.

Not a shipped model yet: the experiment that chose the route, kept so the next step starts from
measured code. The network reads lower-cased words (trained embeddings, rare words dropped to
<unk> while training), characters (a CNN, max-pooled) and word shapes; two bidirectional LSTM
layers give per-token label scores, a CRF layer (IOB2 constraints in training as in decoding)
their transitions, and the max- and mean-pooled states an intent head. It trains with torch
and predicts in numpy (the forward pass below, checked against torch to float32 rounding).

The product of experts adds the CRF tagger's lattice (its emissions and transitions over its
temperature) and ``w`` times the network's (the mean over its seeds); ``w`` is chosen on valid,
then test is scored once. The intent is the CRF tagger's unless valid prefers mixing in the
network's.

    pip install torch==2.13.0   # the CPU build (on this machine: a file on disk)
    speechtext tag train ../shared/data/snips/train --dev ../shared/data/snips/valid \
        -o out/snips.tagger
    python scripts/neural_tagger_experiment.py train --seed 0 -o out/neural-0.npz
    python scripts/neural_tagger_experiment.py combine out/snips.tagger out/neural-*.npz
"""

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "snips"


def _read(name):
    from speechtext.io.conll import read_sentences

    return read_sentences(DATA / name)


def word_shape(token):
    """A small integer: digits, mixed digits, capitalised (SNIPS is mostly lower case)."""
    digits = any(c.isdigit() for c in token)
    return 1 + token.isdigit() + 2 * (digits and not token.isdigit()) + 4 * token[:1].isupper()


def encode(sentences, wid, cid):
    """Padded id arrays of one group of sentences (words, chars, shapes, mask); ``wid`` and
    ``cid``: word and character ids."""
    n, t = len(sentences), max(len(s) for s in sentences)
    k = max(len(w) for s in sentences for w in s)
    w = np.zeros((n, t), np.int64)
    c = np.zeros((n, t, k), np.int64)
    shape = np.zeros((n, t), np.int64)
    mask = np.zeros((n, t), bool)
    for i, tokens in enumerate(sentences):
        for j, token in enumerate(tokens):
            lower = token.lower()
            w[i, j] = wid.get(lower, 1)
            shape[i, j] = word_shape(token)
            mask[i, j] = True
            c[i, j, : len(lower)] = [cid.get(ch, 1) for ch in lower]
    return w, c, shape, mask


# ---------------------------------------------------------------------- training (torch)


def train(args):
    import torch
    from torch import nn

    from speechtext.decode import iob_constraints

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    data, valid = _read("train"), _read("valid")
    labels = ["O", *sorted({t for s in data for t in s.tags} - {"O"})]
    intents = sorted({s.intent for s in data})
    counts = Counter(w.lower() for s in data for w in s.tokens)
    words = ["<pad>", "<unk>", *sorted(counts)]
    chars = ["<pad>", "<unk>", *sorted({c for w in counts for c in w})]
    wid = {x: i for i, x in enumerate(words)}
    cid = {x: i for i, x in enumerate(chars)}
    seen_once = np.array([counts[x] == 1 for x in words])
    label_id = {x: i for i, x in enumerate(labels)}
    intent_id = {x: i for i, x in enumerate(intents)}
    allowed = iob_constraints(labels)
    forbid = torch.tensor(np.where(allowed.transitions, 0.0, -1e4), dtype=torch.float32)
    forbid_start = torch.tensor(np.where(allowed.start, 0.0, -1e4), dtype=torch.float32)
    n_labels, hidden = len(labels), args.hidden

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.we = nn.Embedding(len(words), 100, padding_idx=0)
            self.ce = nn.Embedding(len(chars), 30, padding_idx=0)
            self.se = nn.Embedding(16, 8)
            self.conv = nn.Conv1d(30, 50, 3, padding=1)
            self.drop = nn.Dropout(0.3)
            self.lstm = nn.LSTM(
                158, hidden, num_layers=2, bidirectional=True, batch_first=True, dropout=0.3
            )
            self.out = nn.Linear(2 * hidden, n_labels)
            self.intent = nn.Linear(4 * hidden, len(intents))
            self.trans = nn.Parameter(torch.zeros(n_labels, n_labels))
            self.start = nn.Parameter(torch.zeros(n_labels))

        def forward(self, w, c, s, mask):
            n, t, k = c.shape
            conv = torch.relu(self.conv(self.ce(c.view(n * t, k)).transpose(1, 2)))
            conv = conv.masked_fill((c.view(n * t, 1, k) == 0), -1e4)  # no padding in the max
            x = torch.cat([self.we(w), conv.max(dim=2).values.view(n, t, -1), self.se(s)], -1)
            packed = nn.utils.rnn.pack_padded_sequence(
                self.drop(x), mask.sum(1), batch_first=True, enforce_sorted=False
            )
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=t)
            h = self.drop(h)
            m = mask.unsqueeze(-1)
            pooled = torch.cat(
                [h.masked_fill(~m, -1e4).max(1).values, (h * m).sum(1) / m.sum(1)], -1
            )
            return self.out(h), self.intent(pooled)

        def nll(self, em, tags, mask):
            trans, start = self.trans + forbid, self.start + forbid_start
            alpha = start + em[:, 0]
            gold = start[tags[:, 0]] + em[:, 0].gather(1, tags[:, :1]).squeeze(1)
            for t in range(1, em.shape[1]):
                step = torch.logsumexp(alpha.unsqueeze(2) + trans, 1) + em[:, t]
                alpha = torch.where(mask[:, t : t + 1], step, alpha)
                score = trans[tags[:, t - 1], tags[:, t]] + em[:, t].gather(
                    1, tags[:, t : t + 1]
                ).squeeze(1)
                gold = gold + score * mask[:, t]
            return (torch.logsumexp(alpha, 1) - gold).mean()

    def tensors(group, dropout):
        w, c, s, mask = encode([x.tokens for x in group], wid, cid)
        if dropout:  # words seen once become <unk> a quarter of the time: <unk> gets learned
            rare = seen_once[w] & mask
            w = np.where(rare & (rng.random(w.shape) < 0.25), 1, w)
        y = np.zeros(w.shape, np.int64)
        for i, x in enumerate(group):
            y[i, : len(x.tags)] = [label_id[t] for t in x.tags]
        z = np.array([intent_id[x.intent] for x in group])
        return [torch.from_numpy(a) for a in (w, c, s, mask, y, z)]

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    started = time.perf_counter()
    best = (-1.0, 0, None)
    for epoch in range(1, args.epochs + 1):
        # batches of similar lengths (little padding), in random order
        order = sorted(range(len(data)), key=lambda i: len(data[i].tokens) + 2 * rng.random())
        batches = [order[a : a + 64] for a in range(0, len(order), 64)]
        net.train()
        for b in rng.permutation(len(batches)):
            w, c, s, mask, y, z = tensors([data[i] for i in batches[b]], dropout=True)
            em, intent = net(w, c, s, mask)
            loss = net.nll(em, y, mask) + nn.functional.cross_entropy(intent, z)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
        for group in opt.param_groups:
            group["lr"] *= 0.93
        weights = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        f1 = _f1(NumpyNet(weights, words, chars, labels, intents), valid)
        print(f"epoch {epoch}: {time.perf_counter() - started:.0f} s, valid slot F1 {f1:.2f}")
        if f1 > best[0]:
            best = (f1, epoch, weights)
    print(f"best valid slot F1 {best[0]:.2f} at epoch {best[1]}")
    # the numpy forward pass against torch's, on valid, with the last epoch's weights
    net.eval()
    with torch.no_grad():
        w, c, s, mask, _, _ = tensors(valid, dropout=False)
        em, intent = net(w, c, s, mask)
    mine, lp = NumpyNet(weights, words, chars, labels, intents)([x.tokens for x in valid])
    gap = max(np.abs(em[i, : len(e)].numpy() - e).max() for i, e in enumerate(mine))
    gap_intent = np.abs(torch.log_softmax(intent, -1).numpy() - lp).max()
    print(f"numpy against torch: label scores within {gap:.1e}, intent log-probs {gap_intent:.1e}")
    vocab = json.dumps({"words": words, "chars": chars, "labels": labels, "intents": intents})
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.output, vocab=np.array(vocab), **best[2])


def _f1(net, sentences):
    from seqeval.metrics import f1_score

    from speechtext.decode import iob_constraints, viterbi_batch

    ems, _ = net([s.tokens for s in sentences])
    found = viterbi_batch(
        ems, net.trans, allowed=iob_constraints(net.labels), start=net.start, normalize=False
    )
    pred = [[net.labels[j] for j in p] for p, _ in found]
    return 100 * f1_score([s.tags for s in sentences], pred)


# ---------------------------------------------------------------------- prediction (numpy)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class NumpyNet:
    """The trained network's forward pass in numpy: per sentence ``[T, L]`` label scores, and
    ``[n, intents]`` intent log-probabilities."""

    def __init__(self, weights, words, chars, labels, intents):
        self.w = {k: np.asarray(v, np.float32) for k, v in weights.items()}
        self.words, self.chars, self.labels, self.intents = words, chars, labels, intents
        self.trans = self.w["trans"].astype(float)
        self.start = self.w["start"].astype(float)
        self._wid = {x: i for i, x in enumerate(words)}
        self._cid = {x: i for i, x in enumerate(chars)}
        self._chars = {}  # word -> its character features

    @classmethod
    def load(cls, path):
        z = np.load(path)
        vocab = json.loads(str(z["vocab"]))
        return cls({k: z[k] for k in z.files if k != "vocab"}, **vocab)

    def _char_features(self, lowered):
        """The character CNN's max-pooled output of each word, computed once per word."""
        w, cache = self.w, self._chars
        new = sorted({x for x in lowered if x not in cache})
        if new:
            cid = self._cid
            k = max(map(len, new)) + 2
            ids = np.zeros((len(new), k), np.int64)  # one pad either side: the conv's padding
            for row, x in enumerate(new):
                ids[row, 1 : len(x) + 1] = [cid.get(ch, 1) for ch in x]
            emb = w["ce.weight"][ids]  # words, k, 30
            windows = np.concatenate([emb[:, j : k - 2 + j] for j in range(3)], -1)
            kernel = w["conv.weight"].transpose(2, 1, 0).reshape(-1, w["conv.weight"].shape[0])
            conv = np.maximum(windows @ kernel + w["conv.bias"], 0.0)
            conv[ids[:, 1:-1] == 0] = -1e4  # positions past the word's end: not in the max
            for x, row in zip(new, conv.max(axis=1), strict=True):
                cache[x] = row
        return np.stack([cache[x] for x in lowered])

    def _layer(self, x, layer):
        """Both directions of one LSTM layer at once: ``[n, t, in]`` to ``[n, t, 2H]``."""
        w = self.w
        n, t, _ = x.shape
        names = [f"l{layer}", f"l{layer}_reverse"]
        w_ih = np.concatenate([w[f"lstm.weight_ih_{m}"] for m in names]).T  # in, 8H
        bias = np.concatenate([w[f"lstm.bias_ih_{m}"] + w[f"lstm.bias_hh_{m}"] for m in names])
        hidden = w[f"lstm.weight_hh_{names[0]}"].shape[1]
        proj = (x.reshape(n * t, -1) @ w_ih + bias).reshape(n, t, 2, 4 * hidden)
        proj = np.stack([proj[:, :, 0], proj[:, ::-1, 1]])  # 2, n, t, 4H; reverse in time
        w_hh = np.stack([w[f"lstm.weight_hh_{m}"].T for m in names])  # 2, H, 4H
        h = c = np.zeros((2, n, hidden), np.float32)
        out = np.empty((2, n, t, hidden), np.float32)
        for j in range(t):
            gates = proj[:, :, j] + h @ w_hh  # torch's gate order: i, f, g, o
            sig = _sigmoid(gates)
            c = sig[..., hidden : 2 * hidden] * c + sig[..., :hidden] * np.tanh(
                gates[..., 2 * hidden : 3 * hidden]
            )
            h = sig[..., 3 * hidden :] * np.tanh(c)
            out[:, :, j] = h
        return np.concatenate([out[0], out[1][:, ::-1]], -1)

    def _group(self, sentences):
        """Sentences of one length: no padding in time."""
        w = self.w
        n, t = len(sentences), len(sentences[0])
        lowered = [x.lower() for s in sentences for x in s]
        ids = np.array([self._wid.get(x, 1) for x in lowered]).reshape(n, t)
        shapes = np.array([word_shape(x) for s in sentences for x in s]).reshape(n, t)
        chars = self._char_features(lowered).reshape(n, t, -1)
        x = np.concatenate([w["we.weight"][ids], chars, w["se.weight"][shapes]], -1)
        layer = 0
        while f"lstm.weight_ih_l{layer}" in w:
            x = self._layer(x, layer)
            layer += 1
        em = x @ w["out.weight"].T + w["out.bias"]
        scores = np.concatenate([x.max(1), x.mean(1)], -1) @ w["intent.weight"].T
        scores += w["intent.bias"]
        scores -= scores.max(1, keepdims=True)
        return em, scores - np.log(np.exp(scores).sum(1, keepdims=True))

    def __call__(self, sentences):
        from speechtext.decode import group_by_length

        ems, intents = [None] * len(sentences), [None] * len(sentences)
        for group in group_by_length([len(s) for s in sentences]):
            em, lp = self._group([sentences[i] for i in group])
            for row, i in enumerate(group):
                ems[i], intents[i] = em[row].astype(float), lp[row].astype(float)
        return ems, np.array(intents)


# ---------------------------------------------------------------------- the product


def combine(args):
    import warnings

    from seqeval.metrics import f1_score

    from speechtext.decode import iob_constraints, viterbi_batch
    from speechtext.tagging import SlotTagger

    warnings.simplefilter("ignore")
    crf = SlotTagger.load(args.tagger)
    nets = [NumpyNet.load(p) for p in args.networks]
    labels, intents = nets[0].labels, nets[0].intents
    cols = np.array([crf.labels_.index(x) if x in crf.labels_ else -1 for x in labels])
    known = cols >= 0
    icols = [list(crf.intent_classifier_.classes_).index(x) for x in intents]
    allowed = iob_constraints(labels)
    data = {name: _read(name) for name in ("valid", "test")}
    outputs, seconds = {}, {}
    for name, sentences in data.items():
        x = [s.tokens for s in sentences]
        start = time.perf_counter()
        runs = [net(x) for net in nets]
        seconds[name] = time.perf_counter() - start
        ems = [np.mean([r[0][i] for r in runs], axis=0) for i in range(len(x))]
        lp = np.log(np.mean([np.exp(r[1]) for r in runs], axis=0))
        crf_ems, crf_trans = crf.lattices(x)
        outputs[name] = (ems, lp, crf_ems, crf_trans, np.log(crf._intent_proba(x)[:, icols]))
    trans = np.mean([n.trans for n in nets], axis=0)
    start_scores = np.mean([n.start for n in nets], axis=0)

    def score(name, w, wi):
        ems, lp, crf_ems, crf_trans, crf_lp = outputs[name]
        cross = np.where(known[:, None] & known, crf_trans[np.ix_(cols, cols)], -1e4)
        lattices = [
            np.where(known, e[:, cols], -1e4) + w * n for e, n in zip(crf_ems, ems, strict=True)
        ]
        found = viterbi_batch(lattices, cross + w * trans, allowed=allowed, start=w * start_scores)
        pred = [[labels[j] for j in p] for p, _ in found]
        best = [intents[j] for j in (crf_lp + wi * lp).argmax(1)]
        gold = data[name]
        f1 = 100 * f1_score([s.tags for s in gold], pred)
        acc = 100 * np.mean([b == s.intent for b, s in zip(best, gold, strict=True)])
        sent = 100 * np.mean(
            [p == s.tags and b == s.intent for p, b, s in zip(pred, best, gold, strict=True)]
        )
        return f1, acc, sent

    grid = [0.0, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 1.0]
    on_valid = {w: score("valid", w, 0.0) for w in grid}
    for w, figures in on_valid.items():
        print(f"valid, w {w}: slot F1 {figures[0]:.2f}, intent {figures[1]:.2f} %")
    w = max(grid, key=lambda v: on_valid[v][0])
    wi = max([0.0, 0.1, 0.25, 0.5, 1.0], key=lambda v: score("valid", w, v)[1])
    tokens = sum(len(s.tokens) for s in data["test"])
    print(f"{len(nets)} network(s), w {w}, intent weight {wi} chosen on valid")
    for what, (a, b) in {
        "CRF alone": (0.0, 0.0),
        "network alone": (1e3, 1e3),
        "product": (w, wi),
    }.items():
        f1, acc, sent = score("test", a, b)
        print(f"test, {what}: slot F1 {f1:.2f}, intent {acc:.2f} %, sentence {sent:.2f} %")
    print(
        f"network forward pass in numpy: {tokens / seconds['test']:,.0f} tokens/s "
        f"({len(nets)} network(s), first call included)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train one network (torch) on SNIPS train")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--epochs", type=int, default=20)
    t.add_argument("--hidden", type=int, default=150)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("-o", "--output", required=True)
    c = sub.add_parser("combine", help="the CRF tagger times the networks, on valid then test")
    c.add_argument("tagger")
    c.add_argument("networks", nargs="+")
    args = parser.parse_args()
    train(args) if args.command == "train" else combine(args)


if __name__ == "__main__":
    main()
