"""Train the learned pitch estimator (speechtext.pitch.learned) and write its weights.

Recipe (README, pitch section), reproducible with the same seed and package versions:

1. Data: ``scripts/make_pitch_data.py DATA --examples 2000 --seed 13`` (WORLD resyntheses of the
   LibriSpeech excerpts and espeak-ng voices, F0 moved over 50-500 Hz, through every telephone
   channel, noise 0-30 dB SNR; exactly known F0 per 10 ms frame). Never FDA, Keele or PTDB-TUG.
2. Split by source speaker: VALIDATION's speakers (one LibriSpeech reader, two espeak-ng
   voices) are held out to choose the settings and report; the rest train.
3. Inputs: :func:`speechtext.pitch.network_inputs` (the tracker's own frames, at 8 kHz);
   labels: the 20-cent bin of the frame's F0, or "no pitch". At most ``--max-frames`` frames,
   drawn at random (the seed), unvoiced ones thinned to a third (they need fewer examples).
4. scikit-learn ``MLPClassifier``: one hidden ReLU layer of ``--hidden`` units, Adam, batches of
   512, ``--epochs`` passes, L2 ``alpha`` 1e-4, ``random_state`` = the seed; inputs standardised
   with the training frames' mean and deviation.
5. The weights (float32) go to ``speechtext/pitch/models/pitch_mlp.npz`` (package data), with
   the standardisation and the recipe; then the held-out speakers are tracked end to end with the
   learned and the classic ("cmndf") methods and their GPE / voicing errors printed.

Needs the ``train`` extra (scikit-learn). One core: ``OMP_NUM_THREADS=1``.

Run: ``.venv/bin/python scripts/train_pitch.py DATA [--seed 13]``
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "speechtext" / "pitch" / "models" / "pitch_mlp.npz"
VALIDATION = {"3436-172162-0000.hq.ogg", "en+m7", "en+f5"}  # held-out source speakers


def speaker(source):
    """Source speaker of an example: the LibriSpeech file, or the espeak-ng voice."""
    source = str(source)
    return source.split()[1] if source.startswith("espeak ") else source


def load(data_dir):
    """[(speaker, inputs [n, d], labels [n], f0 [n], channel)] for every example."""
    from speechtext.pitch import network_inputs
    from speechtext.pitch.learned import frequency_bins

    out = []
    for path in sorted(Path(data_dir).glob("*.npz")):
        with np.load(path) as z:
            y, sr, f0 = z["y"], float(z["sr"]), z["f0"]
            who, chan = speaker(z["source"]), str(z["channel"])
        x = network_inputs(y, sr=sr)
        n = min(len(x), len(f0))
        out.append((who, x[:n], frequency_bins(f0[:n]), f0[:n], chan, y, sr))
    return out


def export(clf, mean, std, recipe, out):
    """Weights of a fitted MLPClassifier as the float32 arrays learned.posteriors reads."""
    from speechtext.pitch.learned import N_BINS

    arrays = {"mean": mean.astype(np.float32), "inv_std": (1.0 / std).astype(np.float32)}
    last = len(clf.coefs_) - 1
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_, strict=True)):
        if i == last:  # classes never seen in training: never predicted
            full_w = np.zeros((w.shape[0], N_BINS + 1))
            full_b = np.full(N_BINS + 1, -30.0)
            full_w[:, clf.classes_] = w
            full_b[clf.classes_] = b
            w, b = full_w, full_b
        arrays[f"w{i}"] = w.astype(np.float32)
        arrays[f"b{i}"] = b.astype(np.float32)
    arrays["recipe"] = np.array(json.dumps(recipe))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)


def track_scores(examples, method):
    """Pooled GPE, V->UV, UV->V, FFE (%) of a method over examples against their exact F0."""
    from speechtext.pitch import estimate_f0

    n = nv = both = gross = v2u = u2v = 0
    for *_, f0, _chan, y, sr in examples:
        track = estimate_f0(y, sr=sr, fmin=50, fmax=500, method=method)
        m = min(len(track), len(f0))
        ref, est, v = f0[:m], track.f0[:m], track.voiced[:m]
        rv = ref > 0
        b = rv & v
        n += m
        nv += rv.sum()
        both += b.sum()
        gross += (np.abs(est[b] / ref[b] - 1) > 0.2).sum()
        v2u += (rv & ~v).sum()
        u2v += (~rv & v).sum()
    return {
        "gpe": 100 * gross / max(both, 1),
        "v2u": 100 * v2u / max(nv, 1),
        "u2v": 100 * u2v / max(n - nv, 1),
        "ffe": 100 * (gross + v2u + u2v) / max(n, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="folder of make_pitch_data.py examples")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--max-frames", type=int, default=500_000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from sklearn.neural_network import MLPClassifier

    from speechtext.pitch.learned import N_BINS

    start = time.process_time()
    examples = load(args.data)
    if not examples:
        sys.exit(f"{args.data}: no .npz examples (make them with scripts/make_pitch_data.py)")
    train = [e for e in examples if e[0] not in VALIDATION]
    held = [e for e in examples if e[0] in VALIDATION]
    rng = np.random.default_rng(args.seed)
    x = np.concatenate([e[1] for e in train])
    y = np.concatenate([e[2] for e in train])
    keep = (y < N_BINS) | (rng.random(len(y)) < 1 / 3)
    x, y = x[keep], y[keep]
    if len(y) > args.max_frames:
        pick = np.sort(rng.choice(len(y), args.max_frames, replace=False))
        x, y = x[pick], y[pick]
    print(
        f"{len(train)} training examples ({len(y)} frames, {np.mean(y < N_BINS):.0%} voiced), "
        f"{len(held)} held out; features in {time.process_time() - start:.0f} s CPU",
        flush=True,
    )
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-3
    xs = ((x - mean) / std).astype(np.float32)
    clf = MLPClassifier(
        hidden_layer_sizes=(args.hidden,),
        batch_size=512,
        alpha=1e-4,
        learning_rate_init=1e-3,
        max_iter=args.epochs,
        n_iter_no_change=args.epochs,
        tol=0.0,
        shuffle=True,
        random_state=args.seed,
        verbose=True,
    )
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xs, y)
    recipe = {
        "data": f"scripts/make_pitch_data.py, {len(examples)} examples",
        "validation": sorted(VALIDATION),
        "seed": args.seed,
        "hidden": args.hidden,
        "epochs": args.epochs,
        "frames": int(len(y)),
    }
    export(clf, mean, std, recipe, args.out)
    print(f"trained in {time.process_time() - start:.0f} s CPU; weights in {args.out}", flush=True)
    if args.out == OUT:
        from speechtext.pitch import learned

        learned.load_model.cache_clear()
        for method in ("learned", "cmndf"):
            s = track_scores(held, method)
            print(
                f"held-out speakers, {method:<8}: GPE {s['gpe']:.2f} %, V->UV {s['v2u']:.2f} %, "
                f"UV->V {s['u2v']:.2f} %, FFE {s['ffe']:.2f} %"
            )


if __name__ == "__main__":
    main()
