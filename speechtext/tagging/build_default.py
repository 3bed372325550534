"""Rebuild the embedded default tagger (``speechtext/tagging/models/default.tagger``)::

    python -m speechtext.tagging.build_default ../shared/data/snips \\
        -o speechtext/tagging/models/default.tagger

See :func:`speechtext.tagging.default.build_default_tagger` for what it is trained on.
"""

from __future__ import annotations

from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Rebuild the shipped model from SNIPS and the template corpus."""
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(description="Rebuild the embedded default tagger.")
    parser.add_argument(
        "snips", help="SNIPS folder with train/ and valid/ (seq.in, seq.out, label)"
    )
    parser.add_argument("-o", "--output", required=True, help="model file to write")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from .default import build_default_tagger

    tagger = build_default_tagger(args.snips)
    tagger.save(args.output)
    print(
        f"default tagger: {len(tagger.intents_)} intents, {len(tagger.labels_)} labels, valid F1 "
        f"{100 * tagger.dev_f1_:.2f}, valid intent accuracy "
        f"{100 * tagger.dev_intent_accuracy_:.2f}, {time.perf_counter() - start:.0f} s; "
        f"written to {args.output} ({Path(args.output).stat().st_size / 1e6:.1f} MB)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
