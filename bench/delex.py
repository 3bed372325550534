"""Benchmark: delexicalization over SNIPS, against the naive string-replacement scripts.

One run, printed as a table: utterances per second and round-trip failures for

- ``delexicalize`` (IOB2 tags -> template) over all 14,484 SNIPS utterances;
- the value patterns (``find_values`` with all five kinds) over the same texts;
- ``delexicalize_text`` with a lexicon of the slot values seen in SNIPS train, over SNIPS test
  (silver tags from a lexicon; how many templates equal the gold ones);
- the anchors, the value-list scripts MultiWOZ's ``delexicalize.py`` and its copies use: every
  value of a slot-value list (all SNIPS slot values, longest first) replaced in the text, either
  as a plain substring (``str.replace``) or, as MultiWOZ does, only between spaces. Their cost
  grows with the list, so they run on a sample (SNIPS valid + test), beside
  ``delexicalize_text`` with the same value list.

A round-trip failure: for speechtext, ``relexicalize(template, slots)`` (and for tags,
``Delexed.iob()``) does not give back the text (the tags); the anchors record no values, so for
them: filling the template's placeholders, in order, with the utterance's gold values does not
give back the text. "template != gold": the template differs from the one the gold tags give.

Run: ``.venv/bin/python bench/delex.py``; needs ../shared/data/snips.
"""

import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

from speechtext.delex import (
    Lexicon,
    delexicalize,
    delexicalize_text,
    find_values,
    relexicalize,
)
from speechtext.io.conll import read_sentences

SNIPS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "snips"
ANCHOR_SAMPLE = 700  # utterances the naive anchors run on (their cost grows with the value list)


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def refill(template, values):
    """The naive template's placeholders filled in order with ``values``; None on a count mismatch.

    The naive templates are not escaped, so placeholders are found with a plain regex.
    """
    holes = re.findall(r"\[[^\[\]\s]+\]", template)
    if len(holes) != len(values):
        return None
    it = iter(values)
    return re.sub(r"\[[^\[\]\s]+\]", lambda m: next(it), template)


def naive_plain(text, value_list):
    for value, slot in value_list:
        if value in text:
            text = text.replace(value, f"[{slot}]")
    return text


def naive_multiwoz(text, value_list):
    text = f" {text} "
    for value, slot in value_list:
        key = f" {value} "
        if key in text:
            text = text.replace(key, f" [{slot}] ")
    return text[1:-1]


def main():
    if not SNIPS.is_dir():
        sys.exit(f"{SNIPS} is absent: the shared data is not beside this checkout")
    load = os.getloadavg()
    sentences = {s: read_sentences(SNIPS / s) for s in ("train", "valid", "test")}
    everything = [x for split in sentences.values() for x in split]
    texts = [" ".join(s.tokens) for s in everything]
    n = len(everything)

    rows = []

    seconds, delexed = best_of(lambda: [delexicalize(s.tokens, s.tags) for s in everything])
    failures = sum(
        relexicalize(d.template, d.slots) != d.text or d.iob() != (s.tokens, s.tags)
        for d, s in zip(delexed, everything, strict=True)
    )
    rows.append(("delexicalize (IOB2 tags)", n, n / seconds, failures, 0))

    seconds, found = best_of(lambda: [find_values(t) for t in texts])
    nfound = sum(map(len, found))
    per_kind = {}  # kind -> [found, same span as a gold slot, Counter of those gold names]
    for values, d in zip(found, delexed, strict=True):
        gold = {(s.start, s.end): s.name for s in d.slots}
        for v in values:
            entry = per_kind.setdefault(v.name, [0, 0, Counter()])
            entry[0] += 1
            if (v.start, v.end) in gold:
                entry[1] += 1
                entry[2][gold[v.start, v.end]] += 1
    failures = sum(relexicalize((d := delexicalize_text(t)).template, d.slots) != t for t in texts)
    rows.append((f"patterns, all 5 kinds ({nfound} values found)", n, n / seconds, failures, None))

    train_lexicon = Lexicon(
        (slot.name, slot.value)
        for s in sentences["train"]
        for slot in delexicalize(s.tokens, s.tags).slots
    )
    test = sentences["test"]
    gold_test = [delexicalize(s.tokens, s.tags) for s in test]
    seconds, silver = best_of(
        lambda: [delexicalize_text(d.text, patterns=(), lexicon=train_lexicon) for d in gold_test]
    )
    wrong = sum(a.template != b.template for a, b in zip(silver, gold_test, strict=True))
    scores = [("lexicon of train values on test", *precision_recall(silver, gold_test))]
    rows.append(
        (f"lexicon of train values ({len(train_lexicon)}) on test", len(test), len(test) / seconds,
         0, wrong)
    )  # fmt: skip

    # The anchors: every SNIPS value (all splits), longest first, as the scripts do.
    value_list = sorted(
        {(slot.value, slot.name) for d in delexed for slot in d.slots},
        key=lambda vs: (-len(vs[0]), vs),
    )
    sample = delexed[-ANCHOR_SAMPLE:]  # valid + test
    for name, fn in (
        (f"anchor: str.replace, {len(value_list)} values", naive_plain),
        (f"anchor: MultiWOZ spaced replace, {len(value_list)} values", naive_multiwoz),
    ):
        seconds, templates = best_of(lambda fn=fn: [fn(d.text, value_list) for d in sample], 1)
        failures = sum(
            refill(t, [s.value for s in d.slots]) != d.text
            for t, d in zip(templates, sample, strict=True)
        )
        wrong = sum(t != d.template for t, d in zip(templates, sample, strict=True))
        rows.append((name, len(sample), len(sample) / seconds, failures, wrong))
    # ours with the same value list on the same sample
    lexicon = Lexicon((slot, value) for value, slot in value_list)
    seconds, ours = best_of(
        lambda: [delexicalize_text(d.text, patterns=(), lexicon=lexicon) for d in sample]
    )
    failures = sum(relexicalize(o.template, o.slots) != o.text for o in ours)
    wrong = sum(o.template != d.template for o, d in zip(ours, sample, strict=True))
    scores.append(("the same values on valid+test", *precision_recall(ours, sample)))
    rows.append(
        (f"delexicalize_text, the same {len(value_list)} values", len(sample),
         len(sample) / seconds, failures, wrong)
    )  # fmt: skip

    print(f"SNIPS train+valid+test: {n} utterances; load average at start {load[0]:.2f}")
    header = ("method", "utterances", "utt/s", "round-trip failures", "template != gold")
    widths = [58, 10, 10, 19, 16]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for name, count, rate, fails, wrong in rows:
        cells = (
            name,
            str(count),
            f"{rate:,.0f}",
            str(fails),
            "-" if wrong is None else str(wrong),
        )
        print("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |")
    print()
    print("| silver slots from a value list | precision | recall |")
    print("|---|---|---|")
    for name, precision, recall in scores:
        print(f"| {name} | {precision:.3f} | {recall:.3f} |")
    print()
    print("| pattern kind | values found | same span as a gold slot | those gold slots |")
    print("|---|---|---|---|")
    for kind, (count, same, names) in sorted(per_kind.items()):
        common = ", ".join(f"{k} {v}" for k, v in names.most_common(3))
        print(f"| {kind} | {count} | {same} | {common} |")


def precision_recall(predicted, gold):
    """Slot-level precision and recall: same name, same span."""
    p = {(i, s.name, s.start, s.end) for i, d in enumerate(predicted) for s in d.slots}
    g = {(i, s.name, s.start, s.end) for i, d in enumerate(gold) for s in d.slots}
    return len(p & g) / max(len(p), 1), len(p & g) / max(len(g), 1)


if __name__ == "__main__":
    main()
