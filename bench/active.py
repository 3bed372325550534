"""Benchmark: active learning and self-training of the joint tagger, simulated on SNIPS.

One run:

- SNIPS train is the pool, valid calibrates (temperature) and test scores; from 200 utterances
  drawn at random, 10 rounds each add 200 chosen by a strategy: random, least-confidence,
  entropy (one tagger), BALD/epistemic (a bootstrap ensemble of MEMBERS taggers); three seeds;
  slot F1 (seqeval) and intent accuracy on test after every round, averaged over the seeds;
- the learning curves as a PNG (``--plot``) and a table;
- self-training from 10 % of train (the rest unlabeled, pseudo-labels at sentence confidence
  >= THRESHOLD) against the 10 % tagger alone, three seeds, with the test entity ECE;
- the time to choose 200 of 10,000 utterances by epistemic uncertainty;
- the most epistemic and the most aleatoric utterance of the pool, with their figures;
- a PASS/FAIL line per goal of issue 16.

Lean, for a 2-core machine shared with other work: every tagger of the simulation trains for
SIM_ITERATIONS SGD epochs (the shipped default is 20), each round's uncertainty strategies score
CANDIDATES utterances drawn at random from the pool, and the ensemble has MEMBERS members
(the agreement of its choice with MORE_MEMBERS members is measured and printed). Seeds and
strategies run in a process pool of 2.

    .venv/bin/python bench/active.py [--plot out/active.png] [--seeds 3] [--rounds 10]
"""

import argparse
import json
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from tagging import entity_ece  # bench/tagging.py, beside this script

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "snips"
START, STEP = 200, 200
STRATEGIES = ("random", "least-confidence", "entropy", "bald")
UNCERTAIN = ("least-confidence", "entropy", "bald")
MEMBERS = 5  # measured below against 8 (overlap of the 200 chosen)
MORE_MEMBERS = 8
SIM_ITERATIONS = 5
CANDIDATES = 2000  # random candidates scored per round (the whole pool at the timing goal)
THRESHOLD = 0.9  # least sentence confidence of a pseudo-label
SELF_ROUNDS = 2
SELF_SHARE = 0.10


def _data():
    from speechtext.io.conll import read_sentences

    return tuple(read_sentences(DATA / name) for name in ("train", "valid", "test"))


def _dev(valid):
    return ([s.tokens for s in valid], [s.tags for s in valid], [s.intent for s in valid])


def _score(tagger, test, ece=False):
    from seqeval.metrics import f1_score

    x = [s.tokens for s in test]
    f1 = 100 * f1_score([s.tags for s in test], tagger.predict(x))
    best = [r[0][0] for r in tagger.predict_intent(x)]
    acc = 100 * np.mean([b == s.intent for b, s in zip(best, test, strict=True)])
    out = {"f1": float(f1), "intent": float(acc)}
    if ece:
        out["ece"] = float(entity_ece(tagger.entity_confidences(x), [s.tags for s in test]))
    return out


def run_curve(job):
    """One strategy, one seed: test figures after each round."""
    strategy, seed, rounds = job
    warnings.simplefilter("ignore")
    from speechtext.tagging import SlotTagger
    from speechtext.tagging.ensemble import TaggerEnsemble
    from speechtext.tagging.uncertainty import select

    train, valid, test = _data()
    dev = _dev(valid)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    labelled, pool = list(order[:START]), list(order[START:])
    curve, select_s = [], []
    for r in range(rounds + 1):
        x = [train[i].tokens for i in labelled]
        y = [train[i].tags for i in labelled]
        z = [train[i].intent for i in labelled]
        if strategy == "bald":
            model = TaggerEnsemble(MEMBERS, seed=seed, iterations=SIM_ITERATIONS)
            model.fit(x, y, intents=z, dev=dev)
            tagger = model.full_
        else:
            model = tagger = SlotTagger(iterations=SIM_ITERATIONS).fit(x, y, intents=z, dev=dev)
        curve.append({"round": r, "labelled": len(labelled), **_score(tagger, test)})
        if r == rounds:
            break
        start = time.perf_counter()
        candidates = rng.choice(len(pool), min(CANDIDATES, len(pool)), replace=False)
        if strategy == "random":
            picked = candidates[:STEP].tolist()
        else:
            by = "epistemic" if strategy == "bald" else strategy
            found = select(model, [train[pool[i]].tokens for i in candidates], STEP, by=by)
            picked = [int(candidates[i]) for i, _ in found]
        select_s.append(time.perf_counter() - start)
        chosen = set(picked)
        labelled += [pool[i] for i in picked]
        pool = [p for k, p in enumerate(pool) if k not in chosen]
    return strategy, seed, curve, select_s


def run_self_training(seed):
    """Self-training from SELF_SHARE of train against the tagger of that share alone."""
    warnings.simplefilter("ignore")
    from speechtext.tagging.selftrain import self_train

    train, valid, test = _data()
    rng = np.random.default_rng(100 + seed)
    order = rng.permutation(len(train))
    k = int(SELF_SHARE * len(train))
    x = [train[i].tokens for i in order[:k]]
    y = [train[i].tags for i in order[:k]]
    z = [train[i].intent for i in order[:k]]
    unlabeled = [train[i].tokens for i in order[k:]]
    start = time.perf_counter()
    tagger, history = self_train(
        {"iterations": SIM_ITERATIONS},
        x,
        y,
        z,
        unlabeled,
        dev=_dev(valid),
        threshold=THRESHOLD,
        rounds=SELF_ROUNDS,
    )
    seconds = time.perf_counter() - start
    from speechtext.tagging import SlotTagger

    base = SlotTagger(iterations=SIM_ITERATIONS).fit(x, y, intents=z, dev=_dev(valid))
    history = [list(h) for h in history]
    return seed, _score(base, test, ece=True), _score(tagger, test, ece=True), history, seconds


def examples_and_timing(train, valid, seed=0, labelled=600, pool_size=10_000):
    """An ensemble on `labelled` random utterances: the most epistemic and most aleatoric of
    the pool, and the time to choose 200 of `pool_size` by epistemic uncertainty."""
    warnings.simplefilter("ignore")
    from speechtext.tagging.ensemble import TaggerEnsemble
    from speechtext.tagging.uncertainty import select

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    lab = [train[i] for i in order[:labelled]]
    pool = [train[i] for i in order[labelled : labelled + pool_size]]
    more = TaggerEnsemble(MORE_MEMBERS, seed=seed, iterations=SIM_ITERATIONS).fit(
        [s.tokens for s in lab],
        [s.tags for s in lab],
        intents=[s.intent for s in lab],
        dev=_dev(valid),
    )
    ens = more.subset(MEMBERS)
    tokens = [s.tokens for s in pool]
    start = time.perf_counter()
    chosen = select(ens, tokens, 200, by="epistemic")
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    chosen_more = select(more, tokens, 200, by="epistemic")
    more_s = time.perf_counter() - start
    overlap = len({i for i, _ in chosen} & {i for i, _ in chosen_more}) / 200
    start = time.perf_counter()
    select(ens, tokens, 200, by="epistemic", diverse=True)
    diverse_s = time.perf_counter() - start
    analysis = ens.analyse(tokens)
    picks = {
        "most epistemic": int(np.argmax(analysis.epistemic)),
        "most aleatoric": int(np.argmax(analysis.aleatoric)),
    }
    lines = []
    for what, i in picks.items():
        s = pool[i]
        ents = ens.entity_uncertainties([s.tokens])[0]
        intents = ens.full_.predict_intent([s.tokens], k=2)[0]
        pred = ens.full_.predict([s.tokens])[0]
        lines.append(
            f'{what}: "{" ".join(s.tokens)}" (gold intent {s.intent}; '
            f"epistemic {analysis.epistemic[i]:.3f}, aleatoric {analysis.aleatoric[i]:.3f}, "
            f"total {analysis.total[i]:.3f} nats; intent total {analysis.intent_total[i]:.3f}, "
            f"aleatoric {analysis.intent_aleatoric[i]:.3f})"
        )
        lines.append(
            "    full tagger: intents "
            + ", ".join(f"{n} {p:.2f}" for n, p in intents)
            + "; tags "
            + " ".join(f"{w}/{t}" for w, t in zip(s.tokens, pred, strict=True))
        )
        lines.append(
            "    gold tags: " + " ".join(f"{w}/{t}" for w, t in zip(s.tokens, s.tags, strict=True))
        )
        for e in ents:
            lines.append(
                f"    entity {' '.join(s.tokens[e.start : e.end])!r} {e.kind}: "
                f"p {e.probability:.2f}"
                f", total {e.total:.3f}, aleatoric {e.aleatoric:.3f}, epistemic {e.epistemic:.3f}"
            )
    return seconds, diverse_s, (more_s, overlap), lines


def plot(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for strategy, rows in curves.items():
        n = [r["labelled"] for r in rows]
        for ax, key in zip(axes, ("f1", "intent"), strict=True):
            mean = np.array([r[key] for r in rows])
            sd = np.array([r[key + "_sd"] for r in rows])
            ax.plot(n, mean, marker="o", ms=3, label=strategy)
            ax.fill_between(n, mean - sd, mean + sd, alpha=0.15)
    axes[0].set_ylabel("slot F1 on SNIPS test (%)")
    axes[1].set_ylabel("intent accuracy on SNIPS test (%)")
    for ax in axes:
        ax.set_xlabel("labelled utterances")
        ax.grid(alpha=0.3)
        ax.legend(title="selection")
    fig.suptitle("Active learning on SNIPS (mean of seeds, band: one standard deviation)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="out/active.png", help="learning-curve PNG")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", help="JSON lines of finished jobs (read, then appended)")
    args = parser.parse_args()

    from speechtext.tagging.selftrain import Round

    train, valid, test = _data()
    print(
        f"SNIPS: pool (train) {len(train)}, valid {len(valid)}, test {len(test)}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
        f"{SIM_ITERATIONS} SGD epochs per tagger, {MEMBERS} ensemble members"
    )
    started = time.perf_counter()
    seeds = range(args.seeds)
    # seed after seed (a run cut short still has whole seeds), the longest job of each first
    jobs = [
        (s, seed, args.rounds)
        for seed in seeds
        for s in ("bald", "entropy", "least-confidence", "random")
    ]
    # --cache: each finished job's figures, one JSON line, so that a run cut short (a busy
    # machine) goes on where it stopped with the same code and settings
    done = {}
    if args.cache and Path(args.cache).exists():
        for line in Path(args.cache).read_text().splitlines():
            item = json.loads(line)
            done[tuple(item["job"])] = item["result"]

    def finished(job, result):
        if args.cache:
            with open(args.cache, "a") as f:
                f.write(json.dumps({"job": list(job), "result": result}) + "\n")
        return result

    # first, alone on the machine's share: the timing goal and the examples
    job = ("examples", MEMBERS, MORE_MEMBERS)
    got = done[job] if job in done else finished(job, examples_and_timing(train, valid))
    pick_s, diverse_s, (more_s, overlap), lines = got

    results, selfs = {}, []
    with ProcessPoolExecutor(args.workers) as pool:
        futures = {}
        for seed in seeds:
            for job in jobs:
                if job[1] == seed and job not in done:
                    futures[pool.submit(run_curve, job)] = job
            if ("self", seed, SELF_ROUNDS) not in done:
                futures[pool.submit(run_self_training, seed)] = ("self", seed, SELF_ROUNDS)
        for future in as_completed(futures):
            job = futures[future]
            done[job] = finished(job, future.result())
            print(
                f"  {' '.join(map(str, job))} done ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    for job in jobs:
        strategy, seed, curve, select_s = done[job]
        results.setdefault(strategy, {})[seed] = (curve, select_s)
    for seed in seeds:
        seed_, base, best, history, seconds = done[("self", seed, SELF_ROUNDS)]
        selfs.append((seed_, base, best, [Round(*h) for h in history], seconds))

    curves = {}
    for strategy in STRATEGIES:
        per_seed = [results[strategy][seed][0] for seed in seeds]
        rows = []
        for r in range(args.rounds + 1):
            row = {"round": r, "labelled": per_seed[0][r]["labelled"]}
            for key in ("f1", "intent"):
                values = [c[r][key] for c in per_seed]
                row[key], row[key + "_sd"] = float(np.mean(values)), float(np.std(values))
            rows.append(row)
        curves[strategy] = rows
    plot(curves, args.plot)

    print()
    print(f"learning curves (test, mean of {args.seeds} seeds; slot F1 | intent accuracy, %):")
    names = {
        "random": "random",
        "least-confidence": "least-conf.",
        "entropy": "entropy",
        "bald": "BALD",
    }
    head = (
        "| round | labelled | "
        + " | ".join(f"{names[s] + ' F1':>14s} | {'intent':>6s}" for s in STRATEGIES)
        + " |"
    )
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|")
    for r in range(args.rounds + 1):
        cells = [f"{curves[s][r]['f1']:14.2f} | {curves[s][r]['intent']:6.2f}" for s in STRATEGIES]
        print(f"| {r:5d} | {curves['random'][r]['labelled']:8d} | " + " | ".join(cells) + " |")
    sel = {s: np.mean([t for seed in seeds for t in results[s][seed][1]]) for s in UNCERTAIN}
    print(
        f"selection time per round, {CANDIDATES:,} candidates (s, this loaded machine): "
        + ", ".join(f"{s} {t:.1f}" for s, t in sel.items())
    )

    print()
    print(
        f"self-training from {SELF_SHARE:.0%} of train ({int(SELF_SHARE * len(train))} "
        f"labelled, the rest unlabeled; threshold {THRESHOLD}, {SELF_ROUNDS} rounds):"
    )
    print(
        "| seed | 10 % F1 | self-trained F1 | gain | 10 % ECE | self ECE | added per round "
        "| valid F1 per round | seconds |"
    )
    print(
        "|------|---------|-----------------|------|----------|----------|-----------------"
        "|--------------------|---------|"
    )
    for seed, base, best, history, seconds in selfs:
        print(
            f"| {seed:4d} | {base['f1']:7.2f} | {best['f1']:15.2f} | "
            f"{best['f1'] - base['f1']:+4.2f} | {base['ece']:8.3f} | {best['ece']:8.3f} | "
            f"{'/'.join(str(h.added) for h in history[1:]):>15s} | "
            f"{'/'.join(f'{100 * h.dev_f1:.1f}' for h in history):>18s} | {seconds:7.0f} |"
        )
    gain = float(np.mean([b["f1"] - a["f1"] for _, a, b, _, _ in selfs]))
    self_ece = float(np.mean([b["ece"] for _, _, b, _, _ in selfs]))

    print()
    print(
        f"{MEMBERS} members choose {overlap:.0%} of the 200 that {MORE_MEMBERS} members choose "
        f"({MORE_MEMBERS} members: {more_s:.1f} s)"
    )
    print(
        f"choosing 200 of 10,000 by epistemic uncertainty ({MEMBERS} members): {pick_s:.1f} s"
        f" ({diverse_s:.1f} s with --diverse; loaded machine)"
    )
    for line in lines:
        print(line)

    print()
    target = curves["random"][args.rounds]["f1"]
    reach = {}
    for s in UNCERTAIN:
        hits = [r for r in range(args.rounds + 1) if curves[s][r]["f1"] >= target]
        reach[s] = hits[0] if hits else None
    found = {s: r for s, r in reach.items() if r is not None}
    best = min(found, key=found.get) if found else None
    ok = best is not None and found[best] <= 6
    shown = f"{best} in {found[best]} rounds" if best else "none reaches it"
    print(
        f"{'PASS' if ok else 'FAIL'}  best uncertainty strategy reaches random's round-"
        f"{args.rounds} F1 ({target:.2f}) within 6 rounds: {shown} "
        f"(rounds: {', '.join(f'{s} {r}' for s, r in reach.items())})"
    )
    worst = min(
        range(3, args.rounds + 1),
        key=lambda r: curves["bald"][r]["f1"] - curves["least-confidence"][r]["f1"],
    )
    diff = curves["bald"][worst]["f1"] - curves["least-confidence"][worst]["f1"]
    print(
        f"{'PASS' if diff >= 0 else 'FAIL'}  epistemic >= least-confidence at every round from 3"
        f": smallest difference {diff:+.2f} F1 (round {worst})"
    )
    ok = gain >= 1.0 and self_ece <= 0.03
    print(
        f"{'PASS' if ok else 'FAIL'}  self-training gains >= 1.0 slot F1 with entity ECE <= 0.03"
        f": gain {gain:+.2f}, ECE {self_ece:.3f}"
    )
    print(f"{'PASS' if pick_s <= 10 else 'FAIL'}  choosing 200 of 10,000 <= 10 s: {pick_s:.1f} s")
    print(
        f"plot: {args.plot}; load average at end {os.getloadavg()[0]:.2f}; "
        f"{time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    main()
