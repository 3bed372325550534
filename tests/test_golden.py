"""No behaviour change: the demo spec and the CLI stages on data/samples give the outputs the code
gave before the package was reorganised (tests/golden/outputs.json.gz): text word for word and
number for number (to float rounding, which differs between CPUs), other files byte for byte."""

import re

from golden.produce import NEEDS_NLTK_TAGGER, produce, read_expected

NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
RELATIVE = 1e-6  # float32 rounding, summed in another order, is about 1e-7


def _numbers_agree(got, expected):
    if got == expected:
        return True
    if not re.search(r"[.eE]", expected):  # integers (counts, labels' digits, PCM) are exact
        return False
    a, b = float(got), float(expected)
    tolerance = RELATIVE * max(abs(a), abs(b))
    mantissa = re.split(r"[eE]", expected)[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if decimals <= 4:  # a value printed to a few places may round the other way
        tolerance = max(tolerance, 1.01 * 10.0**-decimals)
    return abs(a - b) <= tolerance


def first_difference(got, expected):
    """The first line where two texts differ beyond float rounding (None: they agree)."""
    got_lines, expected_lines = got.splitlines(), expected.splitlines()
    if len(got_lines) != len(expected_lines):
        return f"{len(got_lines)} lines, expected {len(expected_lines)}"
    for number, (g, e) in enumerate(zip(got_lines, expected_lines, strict=True), 1):
        if g == e:
            continue
        same_words = NUMBER.sub("#", g) == NUMBER.sub("#", e)  # (so as many numbers)
        pairs = zip(NUMBER.findall(g), NUMBER.findall(e), strict=True)
        if not same_words or not all(_numbers_agree(x, y) for x, y in pairs):
            return f"line {number}: {g[:200]!r}, expected {e[:200]!r}"
    return None


def test_number_agreement_is_float_rounding_only():
    assert first_difference("p 0.9999145630743816\n", "p 0.9999145630743811\n") is None
    assert first_difference("f0 201.24\n", "f0 201.23\n") is None  # printed to 2 places
    assert first_difference("f0 201.26\n", "f0 201.23\n") is not None
    assert first_difference("p 0.95\n", "p 0.9999145630743816\n") is not None
    assert first_difference("count 3\n", "count 4\n") is not None
    assert first_difference("B-city 0.5\n", "B-date 0.5\n") is not None
    assert first_difference("a\n", "a\nb\n") is not None


def test_outputs_are_the_golden_runs(tmp_path):
    from speechtext.g2p.resources import find_tagger

    expected = read_expected()
    got = produce(tmp_path)
    assert sorted(got) == sorted(expected), "different output files"
    compared = set(expected)
    if find_tagger() is None:  # homographs then get their first pronunciation, as documented
        compared -= NEEDS_NLTK_TAGGER
    changed = {}
    for name in sorted(compared):
        if "text" in expected[name]:
            difference = first_difference(got[name]["text"], expected[name]["text"])
        else:
            difference = None if got[name] == expected[name] else "bytes differ"
        if difference:
            changed[name] = difference
    assert not changed, f"outputs differ from the golden run: {changed}"
