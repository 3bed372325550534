"""speechtext.tags: the one reading of tag schemes, spans, repair and checks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speechtext.errors import FormatError, ParameterError
from speechtext.tags import (
    SCHEMES,
    allowed_prefixes,
    check_iob2,
    check_tags,
    iob2_parts,
    repair_iob2,
    spans,
    split_tag,
)
from speechtext.types import Sentence

IOB2 = st.lists(st.sampled_from(["O", "B-a", "I-a", "B-b", "I-b"]), max_size=12)


def test_scheme_table_is_seqevals():
    import seqeval.scheme

    for scheme in SCHEMES:
        allowed = getattr(seqeval.scheme, scheme).allowed_prefix
        names = {p.name for p in seqeval.scheme.Prefix if p.name != "ANY" and p in allowed}
        assert allowed_prefixes(scheme) == names, scheme


def test_split_tag_names_the_place_and_what_would_work():
    assert split_tag("S-city", scheme="IOBES") == ("S", "city")
    with pytest.raises(FormatError, match=r"^a.conll:4: invalid tag 'S-city' for the IOB2"):
        split_tag("S-city", where="a.conll:4")
    for bad in ("B-", "-x", "B", "", None, 3):
        with pytest.raises(FormatError):
            split_tag(bad)
    with pytest.raises(ParameterError, match="scheme='IOB3'"):
        split_tag("O", scheme="IOB3")


def test_check_tags_names_file_and_line_of_the_first_bad_tag():
    sentences = [
        Sentence(["a", "b"], ["O", "B-x"], line=1, source="g.conll"),
        Sentence(["c", "d"], ["O", "E-x"], line=4, source="g.conll"),
    ]
    with pytest.raises(FormatError, match=r"^g.conll:5: invalid tag 'E-x'"):
        check_tags(sentences)
    assert check_tags(sentences, scheme="IOBES")["E-x"] == ("E", "x")


def test_iob2_parts_for_decoders():
    assert iob2_parts(["O", "B-a", "I-a"]) == (["O", "B", "I"], [None, "a", "a"])
    with pytest.raises(ParameterError, match=r"label 1 \('E-a'\) is not IOB2"):
        iob2_parts(["O", "E-a"])


def test_check_iob2_is_strict_and_names_the_place():
    check_iob2(["B-a", "I-a", "O", "B-b"])
    with pytest.raises(ParameterError, match=r"^token 1: tag 'I-b' after 'B-a' does not continue"):
        check_iob2(["B-a", "I-b"], where=lambda k: f"token {k}", error=ParameterError)
    with pytest.raises(FormatError, match="cannot be a placeholder"):
        check_iob2(["B-a]"])


@given(IOB2)
def test_repair_keeps_the_entities_conlleval_reads(tags):
    repaired, changed = repair_iob2(tags)
    assert spans(repaired) == spans(tags)
    assert repair_iob2(repaired)[1] == []
    check_iob2(repaired)
    assert all(tags[k].startswith("I-") and repaired[k] == "B-" + tags[k][2:] for k in changed)


@given(IOB2)
def test_spans_tile_the_entity_tokens(tags):
    found = spans(tags)
    covered = sorted(k for start, end, _ in found for k in range(start, end))
    assert covered == [k for k, t in enumerate(tags) if t != "O"]
    for start, end, kind in found:
        assert all(t[2:] == kind for t in tags[start:end])
