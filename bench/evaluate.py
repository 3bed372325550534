"""Benchmark of speechtext.evaluate against seqeval (and scikit-learn for AP), in one run.

A generated corpus of 750,000 tokens (50,000 sentences, 40 slot types) with deterministically
corrupted predictions and per-token confidences is scored by

* seqeval's ``classification_report`` (default mode = conlleval's chunking; strict mode, IOB2),
* ``speechtext.evaluate`` in both modes, with confidences (so it also computes AP, mAP and ECE),
* and, on SNIPS test tagged by the default tagger (``../shared/data/snips``), nervaluate's
  ``Evaluator`` against speechtext's SemEval-2013 match modes (strict, exact, partial, type),
  and the size of its HTML report (``render_html``),

and every figure (per type and the three averages) is compared for exact equality. Micro and
per-type AP are checked against ``sklearn.metrics.average_precision_score`` scaled by the share of
gold entities that some prediction matches. Cold-start costs (a fresh interpreter importing each
tool) and the CoNLL reader are measured too. Given conlleval.pl (``--conlleval-pl``, or the
``CONLLEVAL_PL`` environment variable; seqeval keeps a copy as tests/conlleval.pl) and perl, the
corpus is also written in conlleval's format and scored by the script and by speechtext
(``read_conlleval``, ``evaluate``, ``Report.to_conlleval``): the two reports must be identical.

    .venv/bin/python bench/evaluate.py [--conlleval-pl PATH]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TOKENS = 750_000
SENTENCES = 50_000
TYPES = 40
SEED = 20261129


def generate(rng):
    """Gold IOB2 sentences, corrupted predictions and confidences (all plain lists)."""
    types = [f"slot{k:02d}" for k in range(TYPES)]
    lengths = rng.integers(5, 26, SENTENCES)  # mean 15
    diff = TOKENS - int(lengths.sum())  # a few thousand at most: spread +-1 to make it exact
    lengths[: abs(diff)] += int(np.sign(diff))
    gold, pred, scores = [], [], []
    for n in lengths:
        g = ["O"] * n
        k = 0
        while k < n:
            if rng.random() < 0.22:
                t = types[rng.integers(TYPES)]
                span = min(int(rng.integers(1, 5)), n - k)
                g[k : k + span] = [f"B-{t}"] + [f"I-{t}"] * (span - 1)
                k += span + 1
            else:
                k += 1
        p = list(g)
        r = rng.random(n)
        for k in np.flatnonzero(r < 0.08):
            u = r[k]
            if u < 0.03:
                p[k] = "O"
            elif u < 0.05:
                p[k] = f"{'BI'[int(rng.integers(2))]}-{types[rng.integers(TYPES)]}"
            elif u < 0.065 and p[k].startswith("B-"):
                p[k] = "I-" + p[k][2:]  # an I- after O: conlleval and strict disagree
            elif p[k] != "O":
                p[k] = p[k][:2] + types[rng.integers(TYPES)]  # retyped
        conf = np.where(
            np.array(p) == np.array(g), 0.45 + 0.55 * rng.random(n), rng.random(n)
        ).round(3)
        gold.append(g)
        pred.append(p)
        scores.append(conf.tolist())
    return gold, pred, scores


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def compare(report, ref):
    """Count figures that differ between a speechtext Report and seqeval's dict report."""
    names = [k for k in ref if not k.endswith(" avg")]
    if list(report.per_type) != names:
        return None, 0
    rows = [(report.per_type[n], ref[n]) for n in names]
    rows += [(getattr(report, a), ref[f"{a} avg"]) for a in ("micro", "macro", "weighted")]
    differ = 0
    for s, r in rows:
        mine = (s.precision, s.recall, s.f1, s.support)
        theirs = (r["precision"], r["recall"], r["f1-score"], r["support"])
        differ += sum(a != b for a, b in zip(mine, theirs, strict=True))
    return differ, 4 * len(rows)


def cold_import(statement):
    """Seconds for a fresh interpreter to run ``statement`` (best of 3)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", statement], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        best = min(best, time.perf_counter() - start)
    return best


def sklearn_ap(gold, pred, scores):
    """Micro AP from seqeval's entities and scikit-learn, scaled by the share of gold found."""
    from seqeval.metrics.sequence_labeling import get_entities
    from sklearn.metrics import average_precision_score

    gold_ents, pred_ents, conf = set(), [], []
    for i, (g, p, s) in enumerate(zip(gold, pred, scores, strict=True)):
        gold_ents.update((i, *e) for e in get_entities(g))
        for e in get_entities(p):
            pred_ents.append((i, *e))
            conf.append(min(s[e[1] : e[2] + 1]))  # speechtext's default entity_score="min"
    hits = np.array([e in gold_ents for e in pred_ents])
    return average_precision_score(hits, np.array(conf)) * hits.sum() / len(gold_ents)


def against_conlleval_pl(script, gold, pred):
    """Seconds of conlleval.pl and of speechtext on one conlleval file, and both reports."""
    from speechtext.evaluation import evaluate
    from speechtext.io import read_conlleval

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "output.txt"
        with open(path, "w", encoding="utf-8") as f:
            for g, p in zip(gold, pred, strict=True):
                f.writelines(f"w{k} {a} {b}\n" for k, (a, b) in enumerate(zip(g, p, strict=True)))
                f.write("\n")
        start = time.perf_counter()
        with open(path, "rb") as f:
            perl = subprocess.run(["perl", str(script)], stdin=f, capture_output=True, check=True)
        t_perl = time.perf_counter() - start
        start = time.perf_counter()
        ours = evaluate(*read_conlleval(path)).to_conlleval()
        t_ours = time.perf_counter() - start
    return t_perl, t_ours, perl.stdout.decode(), ours


SNIPS = ROOT.parent / "shared" / "data" / "snips"
NERVALUATE_NAMES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
MODE_FIELDS = ("correct", "incorrect", "partial", "missed", "spurious", "precision", "recall", "f1")


def snips_predictions():
    """SNIPS test gold and the default tagger's predictions with their confidences."""
    from speechtext import default_tagger
    from speechtext.io import Sentence, read_sentences

    gold = read_sentences(SNIPS / "test")
    tags, scores = default_tagger().token_scores([s.tokens for s in gold])
    pred = [Sentence(s.tokens, t, c) for s, t, c in zip(gold, tags, scores, strict=True)]
    return gold, pred


def against_nervaluate(gold, pred):
    """Seconds of nervaluate and of speechtext, and the figures of the four modes that differ."""
    from nervaluate import Evaluator

    from speechtext.evaluation import MATCH_MODES, evaluate

    g, p = [s.tags for s in gold], [s.tags for s in pred]
    types = sorted({t[2:] for s in (*g, *p) for t in s if t != "O"})
    ref, t_ref = timed(lambda: Evaluator(g, p, tags=types, loader="list").evaluate())
    report, t_ours = timed(evaluate, gold, pred)
    differ = figures = 0
    rows = [(report.match_modes, ref["overall"])]
    rows += [(report.match_modes_by_type[n], ref["entities"][n]) for n in ref["entities"]]
    if sorted(report.match_modes_by_type) != sorted(ref["entities"]):
        return t_ref, t_ours, report, ref, None, 0
    for mine, theirs in rows:
        for mode in MATCH_MODES:
            a, b = mine[mode], theirs[NERVALUATE_NAMES[mode]]
            differ += sum(getattr(a, f) != getattr(b, f) for f in MODE_FIELDS)
            figures += len(MODE_FIELDS)
    return t_ref, t_ours, report, ref, differ, figures


def main():
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    from speechtext.evaluation import evaluate
    from speechtext.io import Sentence, read_sentences, write_conll

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--conlleval-pl",
        default=os.environ.get("CONLLEVAL_PL"),
        metavar="PATH",
        help="conlleval.pl, to compare reports with (needs perl)",
    )
    args = parser.parse_args()

    load = os.getloadavg()[0]
    (gold, pred, scores), t_gen = timed(generate, np.random.default_rng(SEED))
    n_tokens = sum(map(len, gold))
    print(f"corpus: {len(gold)} sentences, {n_tokens} tokens, {TYPES} types ({t_gen:.1f} s)")
    print(f"load average at start: {load:.2f} on {os.cpu_count()} cores")

    evaluate([["B-x"]], [["B-x"]], mode="strict")  # warm the rule tables; imports are done
    rows, targets = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mode in ("default", "strict"):
            kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
            ref, t_ref = timed(classification_report, gold, pred, output_dict=True, **kwargs)
            report, t_st = timed(evaluate, gold, pred, mode=mode, scores=scores)
            plain, t_plain = timed(evaluate, gold, pred, mode=mode)
            differ, figures = compare(report, ref)
            same = differ == 0
            rows.append(
                (
                    f"seqeval classification_report ({mode})",
                    t_ref,
                    1.0,
                    ref["micro avg"]["f1-score"],
                    "-",
                )
            )
            rows.append(
                (
                    f"speechtext evaluate ({mode}, +AP/ECE)",
                    t_st,
                    t_ref / t_st,
                    report.micro.f1,
                    f"{report.average_precision['micro']:.4f}",
                )
            )
            rows.append(
                (
                    f"speechtext evaluate ({mode}, no scores)",
                    t_plain,
                    t_ref / t_plain,
                    plain.micro.f1,
                    "n/a",
                )
            )
            targets.append(
                (
                    f"{mode}: numbers identical to seqeval",
                    f"{figures - (differ or 0)}/{figures} figures equal"
                    if differ is not None
                    else "type lists differ",
                    same,
                )
            )
            targets.append(
                (
                    f"{mode}: speechtext no slower than seqeval",
                    f"{t_st:.2f} s vs {t_ref:.2f} s",
                    t_st <= t_ref,
                )
            )
            if mode == "default":
                default_report = report

    ap_ref, t_ap = timed(sklearn_ap, gold, pred, scores)
    ap = default_report.average_precision["micro"]
    targets.append(
        (
            "micro AP equals scikit-learn's (scaled)",
            f"{ap:.12f} vs {ap_ref:.12f}",
            abs(ap - ap_ref) <= 1e-12 * ap_ref,
        )
    )

    sents = [
        Sentence([f"w{k}" for k in range(len(p))], p, s) for p, s in zip(pred, scores, strict=True)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pred.conll"
        _, t_write = timed(write_conll, path, sents)
        back, t_read = timed(read_sentences, path)
    roundtrip = [s.tags for s in back] == pred and [s.scores for s in back] == scores

    conlleval = None
    if args.conlleval_pl and shutil.which("perl"):
        conlleval = against_conlleval_pl(args.conlleval_pl, gold, pred)
        t_perl, t_conll, perl_report, our_report = conlleval
        targets.append(
            (
                "conlleval.pl's report, character for character",
                "identical" if perl_report == our_report else "differs",
                perl_report == our_report,
            )
        )

    semeval = None
    if (SNIPS / "test").is_dir():
        snips_gold, snips_pred = snips_predictions()
        semeval = against_nervaluate(snips_gold, snips_pred)
        t_nerv, t_modes, snips_report, nerv, differ, figures = semeval
        targets.append(
            (
                "SemEval modes on SNIPS test equal nervaluate's (4 modes, overall and per type)",
                f"{figures - differ}/{figures} figures equal"
                if differ is not None
                else "type lists differ",
                differ == 0,
            )
        )
        from speechtext.evaluation import render_html

        page, t_html = timed(render_html, snips_report, title="SNIPS test, default tagger")
        html_bytes = len(page.encode("utf-8"))
        targets.append(
            (
                "HTML report of SNIPS test under 2 MB with its figures",
                f"{html_bytes / 1e6:.2f} MB, {page.count('<svg')} figures, {t_html:.1f} s",
                html_bytes < 2_000_000 and page.count("<svg") == 3,
            )
        )
    else:
        print(f"SNIPS not found at {SNIPS}: the nervaluate comparison is left out")

    t_imp_seqeval = cold_import("import seqeval.metrics")
    t_imp_st = cold_import("from speechtext.evaluation import evaluate")
    t_cli = cold_import(
        "import sys; from speechtext.cli import main; sys.argv=['x','--help']; main()"
    )

    print()
    head = ("what", "seconds", "Mtok/s", "speed-up", "micro F1", "micro AP")
    print("{:46s} {:>8s} {:>7s} {:>8s} {:>9s} {:>9s}".format(*head))
    for name, t, ratio, f1, ap_text in rows:
        print(
            f"{name:46s} {t:8.3f} {n_tokens / t / 1e6:7.2f} {ratio:7.1f}x {f1:9.4f} {ap_text:>9s}"
        )
    name = "scikit-learn AP (entities by seqeval)"
    print(f"{name:46s} {t_ap:8.3f} {'':7s} {'':8s} {'':9s} {ap_ref:9.4f}")
    name = "write_conll, 750k tokens with scores"
    print(f"{name:46s} {t_write:8.3f} {n_tokens / t_write / 1e6:7.2f}")
    print(f"{'read_sentences, same file':46s} {t_read:8.3f} {n_tokens / t_read / 1e6:7.2f}")
    if conlleval is not None:
        name = "conlleval.pl on the conlleval file"
        print(f"{name:46s} {t_perl:8.3f} {n_tokens / t_perl / 1e6:7.2f}")
        name = "speechtext: read_conlleval + evaluate"
        print(f"{name:46s} {t_conll:8.3f} {n_tokens / t_conll / 1e6:7.2f} {t_perl / t_conll:7.1f}x")
    print(f"{'cold start: import seqeval.metrics':46s} {t_imp_seqeval:8.3f}")
    print(f"{'cold start: speechtext.evaluation.evaluate':46s} {t_imp_st:8.3f}")
    print(f"{'cold start: speechtext --help':46s} {t_cli:8.3f}")
    print()
    print(
        f"token accuracy {default_report.token_accuracy:.4f}, sentence accuracy "
        f"{default_report.sentence_accuracy:.4f}, "
        f"mAP {default_report.average_precision['mean']:.4f}, "
        f"ECE {default_report.calibration['ece']:.4f}; CoNLL round trip exact: {roundtrip}"
    )
    if semeval is not None:
        print()
        print(
            f"SNIPS test, default tagger: {len(snips_gold)} sentences; nervaluate "
            f"{t_nerv:.3f} s, speechtext evaluate (everything) {t_modes:.3f} s"
        )
        print(
            f"{'mode':8s} {'':11s} {'correct':>8s} {'incorr.':>8s} {'partial':>8s} "
            f"{'missed':>8s} {'spurious':>8s} {'P':>8s} {'R':>8s} {'F1':>8s}"
        )
        for mode in NERVALUATE_NAMES:
            for who, m in (
                ("speechtext", snips_report.match_modes[mode]),
                ("nervaluate", nerv["overall"][NERVALUATE_NAMES[mode]]),
            ):
                print(
                    f"{mode:8s} {who:11s} {m.correct:8d} {m.incorrect:8d} {m.partial:8d} "
                    f"{m.missed:8d} {m.spurious:8d} {m.precision:8.4f} {m.recall:8.4f} "
                    f"{m.f1:8.4f}"
                )
    print()
    print("targets")
    for name, figure, ok in targets:
        print(f"  {'PASS' if ok else 'MISS'}  {name}: {figure}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0 if all(ok for _, _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
