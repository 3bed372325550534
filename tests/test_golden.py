"""No behaviour change: the demo spec and the CLI stages on data/samples give, byte for byte, the
outputs the code gave before the package was reorganised (tests/golden/digests.json)."""

import json
from pathlib import Path

from golden.produce import produce

EXPECTED = Path(__file__).resolve().parent / "golden" / "digests.json"


def test_outputs_are_byte_identical_to_the_golden_run(tmp_path):
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = produce(tmp_path)
    assert sorted(got) == sorted(expected), "different output files"
    changed = [name for name in expected if got[name] != expected[name]]
    assert not changed, f"outputs differ from the golden run: {changed}"
