"""No behaviour change: the demo spec and the CLI stages on data/samples give, byte for byte, the
outputs the code gave before the package was reorganised (tests/golden/digests.json)."""

import json
from pathlib import Path

from golden.produce import NEEDS_NLTK_TAGGER, produce

EXPECTED = Path(__file__).resolve().parent / "golden" / "digests.json"


def test_outputs_are_byte_identical_to_the_golden_run(tmp_path):
    from speechtext.g2p.resources import find_tagger

    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = produce(tmp_path)
    assert sorted(got) == sorted(expected), "different output files"
    compared = set(expected)
    if find_tagger() is None:  # homographs then get their first pronunciation, as documented
        compared -= NEEDS_NLTK_TAGGER
    changed = sorted(name for name in compared if got[name] != expected[name])
    assert not changed, f"outputs differ from the golden run: {changed}"
