"""Benchmark: slot tagging and lattice decoding on SNIPS, speechtext against a plain CRF.

One run: train speechtext's SlotTagger on SNIPS train under each candidate setting, choose the
setting by F1 on valid, report test; train the plain sklearn-crfsuite baseline (words +/-2,
suffixes, word shape, 200 L-BFGS iterations) on the same data; measure tagging and decoding
throughput: the exact 4-best (what ``predict_nbest`` and ``tag predict --nbest`` use) beside
beam search of width 8 (the former decoder), and how often that beam misses the exact list.
Prints one table with the targets marked PASS/MISS.

    .venv/bin/python bench/tagging.py [--baseline-iterations 200]
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "snips"

# Candidate settings, chosen between on SNIPS valid.
CANDIDATES = {
    "default (SGD 20 epochs, c2 0.1)": {},
    "min_freq 2": {"min_freq": 2},
}

TARGETS = {
    "f1": 94.5,
    "train_s": 120.0,
    "tag_tps": 20_000.0,
    "decode_tps": 50_000.0,
    "beam_tps": None,  # for comparison only
}


def baseline_features(words, i):
    """The plain CRF's features: word, suffixes, shape, digit flag, words at +/-1, +/-2."""
    w = words[i]
    feats = {
        "bias": 1.0,
        "w": w.lower(),
        "s3": w[-3:],
        "s2": w[-2:],
        "p3": w[:3],
        "digit": w.isdigit(),
        "shape": "".join("d" if c.isdigit() else "a" if c.isalpha() else c for c in w),
    }
    for d in (-2, -1, 1, 2):
        j = i + d
        if 0 <= j < len(words):
            feats[f"{d}:w"] = words[j].lower()
            feats[f"{d}:s3"] = words[j][-3:]
        else:
            feats[f"{d}:pad"] = True
    return feats


def run_baseline(train, test, iterations):
    import sklearn_crfsuite
    from seqeval.metrics import f1_score

    def featurize(sents):
        return [[baseline_features(s.tokens, i) for i in range(len(s.tokens))] for s in sents]

    start = time.perf_counter()
    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs",
        c1=0.1,
        c2=0.1,
        max_iterations=iterations,
        all_possible_transitions=True,
    )
    crf.fit(featurize(train), [s.tags for s in train])
    seconds = time.perf_counter() - start
    # Tagging time includes feature extraction, as speechtext's does.
    start = time.perf_counter()
    pred = crf.predict(featurize(test))
    tag_s = time.perf_counter() - start
    n_tokens = sum(len(s.tokens) for s in test)
    return {
        "f1": 100 * f1_score([s.tags for s in test], pred),
        "train_s": seconds,
        "tag_tps": n_tokens / tag_s,
    }


def time_best(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    from seqeval.metrics import f1_score

    from speechtext.decode import beam_search_batch, exact_nbest_batch, viterbi_batch
    from speechtext.io.conll import read_sentences
    from speechtext.tagging import SlotTagger
    from speechtext.tags import spans

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-iterations", type=int, default=200)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    train = read_sentences(DATA / "train")
    valid = read_sentences(DATA / "valid")
    test = read_sentences(DATA / "test")
    print(
        f"SNIPS: train {len(train)}, valid {len(valid)}, test {len(test)} sentences; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )

    def tokens(sents):
        return [s.tokens for s in sents]

    def tags(sents):
        return [s.tags for s in sents]

    results = {}
    for name, params in CANDIDATES.items():
        tagger = SlotTagger(**params)
        start = time.perf_counter()
        tagger.fit(tokens(train), tags(train), dev=(tokens(valid), tags(valid)))
        seconds = time.perf_counter() - start
        results[name] = (tagger, seconds, 100 * tagger.dev_f1_)
        print(f"  candidate {name:32s} valid F1 {100 * tagger.dev_f1_:.2f}  train {seconds:.1f} s")
    chosen = max(results, key=lambda k: results[k][2])
    tagger, train_s, valid_f1 = results[chosen]

    x_test, y_test = tokens(test), tags(test)
    pred = tagger.predict(x_test)
    test_f1 = 100 * f1_score(y_test, pred)
    n_tokens = sum(len(x) for x in x_test)
    tag_s = time_best(lambda: tagger.predict(x_test))
    scores_s = time_best(lambda: tagger.token_scores(x_test), repeat=1)

    # Decoding: the tagger's own emissions on test (72 labels), 4-best, normalised: the exact
    # decoder and beam search of width 8, and where the beam's list falls short of the exact one.
    ems, trans = tagger.lattices(x_test)
    n_labels = len(tagger.labels_)
    allowed = tagger.allowed_
    decode_s = time_best(lambda: exact_nbest_batch(ems, trans, nbest=4, allowed=allowed))
    beam_s = time_best(lambda: beam_search_batch(ems, trans, beam=8, nbest=4, allowed=allowed))
    exact = exact_nbest_batch(ems, trans, nbest=4, allowed=allowed)
    by_beam = beam_search_batch(ems, trans, beam=8, nbest=4, allowed=allowed)
    vit = viterbi_batch(ems, trans, allowed=allowed)
    first_not_viterbi = sum(nb[0][0] != v[0] for nb, v in zip(by_beam, vit, strict=True))
    exact_not_viterbi = sum(nb[0][0] != v[0] for nb, v in zip(exact, vit, strict=True))
    beam_short = sum(
        any(b < e - 1e-9 for (_, b), (_, e) in zip(bb, ee, strict=True))
        for bb, ee in zip(by_beam, exact, strict=True)
    )

    # Calibration of the entity confidences on test: expected calibration error over 10 bins.
    gold_spans = [set(spans(t)) for t in y_test]
    conf, correct = [], []
    for ents, gold in zip(tagger.entity_confidences(x_test), gold_spans, strict=True):
        for start, end, kind, p in ents:
            conf.append(p)
            correct.append((start, end, kind) in gold)
    conf, correct = np.array(conf), np.array(correct, dtype=float)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(
        abs(conf[bins == b].mean() - correct[bins == b].mean()) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )

    ours = {
        "f1": test_f1,
        "train_s": train_s,
        "tag_tps": n_tokens / tag_s,
        "decode_tps": n_tokens / decode_s,
        "beam_tps": n_tokens / beam_s,
    }
    base = None
    if not args.skip_baseline:
        base = run_baseline(train, test, args.baseline_iterations)

    def fmt(value, key):
        if value is None:
            return "-"
        return {"f1": f"{value:.2f}", "train_s": f"{value:,.1f}"}.get(key, f"{value:,.0f}")

    rows = [
        ("test F1 (seqeval default)", "f1", ">="),
        ("training seconds", "train_s", "<="),
        ("tagging tokens/s", "tag_tps", ">="),
        (f"decode tokens/s ({n_labels} labels, exact 4-best)", "decode_tps", ">="),
        (f"decode tokens/s ({n_labels} labels, beam 8, 4-best)", "beam_tps", None),
    ]
    print()
    print(f"chosen setting: {chosen} (valid F1 {valid_f1:.2f})")
    print(f"confidences (token_scores) tokens/s: {n_tokens / scores_s:,.0f}")
    print(
        f"4-best on {len(x_test)} test sentences: beam 8 puts another sequence than Viterbi's "
        f"first in {first_not_viterbi} (the exact decoder in {exact_not_viterbi}); some entry of "
        f"the beam's list scores below the exact list's in {beam_short}"
    )
    print(
        f"entity confidences on test: {len(conf)} predicted entities, mean confidence "
        f"{conf.mean():.3f}, precision {correct.mean():.3f}, ECE (10 bins) {ece:.3f}, "
        f"temperature {tagger.temperature_:.2f}"
    )
    header = (
        f"| {'measure':48s} | {'speechtext':>10s} | {'baseline':>10s} | {'ratio':>6s} | "
        f"{'target':>10s} | result |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for label, key, op in rows:
        value = ours[key]
        ref = base.get(key) if base else None
        ratio = f"{value / ref:.2f}" if ref else "-"
        target = TARGETS[key]
        if target is None:
            goal, result = "-", "-"
        else:
            ok = value >= target if op == ">=" else value <= target
            goal, result = f"{op} {fmt(target, key):>7s}", "PASS" if ok else "MISS"
        print(
            f"| {label:48s} | {fmt(value, key):>10s} | {fmt(ref, key):>10s} | {ratio:>6s} | "
            f"{goal:>10s} | {result:6s} |"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
