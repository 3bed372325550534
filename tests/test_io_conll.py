"""speechtext.io.conll: CoNLL, seq.in/seq.out and conlleval files, tag schemes."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.errors import FormatError, ParameterError
from speechtext.io import (
    Sentence,
    check_tags,
    read_conlleval,
    read_sentences,
    split_tag,
    write_conll,
    write_seq,
)


def test_snips_folder_reads_tokens_and_tags(snips_dir):
    sents = read_sentences(snips_dir / "test")
    assert len(sents) == 700
    first = sents[0]
    assert first.tokens[:3] == ["add", "sabrina", "salerno"]
    assert first.tags[:3] == ["O", "B-artist", "I-artist"]
    assert first.line == 1 and first.scores is None
    assert all(len(s.tokens) == len(s.tags) for s in sents)
    # seq.out lines end with a trailing space: no empty tag may come of it
    assert all(t for s in sents for t in s.tags)


def test_snips_seq_out_alone_and_seq_in_alone(snips_dir):
    tags_only = read_sentences(snips_dir / "test" / "seq.out")
    assert tags_only[0].tokens is None and tags_only[0].tags[1] == "B-artist"
    unlabeled = read_sentences(snips_dir / "test" / "seq.in")
    assert unlabeled[0].tags is None and unlabeled[0].tokens[0] == "add"
    paired = read_sentences(snips_dir / "test")
    assert [s.tags for s in tags_only] == [s.tags for s in paired]


def test_conll_roundtrip_with_scores(tmp_path):
    sents = [
        Sentence(["play", "miles", "davis"], ["O", "B-artist", "I-artist"], [0.9, 0.5, 0.25]),
        Sentence(["hi"], ["O"], [1.0]),
    ]
    path = tmp_path / "out" / "pred.conll"
    write_conll(path, sents)
    back = read_sentences(path)
    assert [(s.tokens, s.tags, s.scores) for s in back] == [
        (s.tokens, s.tags, s.scores) for s in sents
    ]
    assert [s.line for s in back] == [1, 5]
    assert back[0].token_line(2) == 3 and back[0].where(2) == f"{path}:3"


def test_conll_tolerates_windows_line_ends_trailing_space_and_docstart(tmp_path):
    path = tmp_path / "gold.txt"
    path.write_bytes(b"-DOCSTART-\tO\r\n\r\nplay\tO  \r\njazz\tB-genre\r\n\r\n\r\nnow\tO\r\n")
    sents = read_sentences(path)
    assert [s.tokens for s in sents] == [["play", "jazz"], ["now"]]
    assert [s.tags for s in sents] == [["O", "B-genre"], ["O"]]
    assert [s.line for s in sents] == [3, 7]


def test_seq_folder_roundtrip(tmp_path):
    sents = [Sentence(["a", "b"], ["O", "B-x"]), Sentence(["c"], ["I-y"])]
    write_seq(tmp_path / "f", sents)
    back = read_sentences(tmp_path / "f")
    assert [(s.tokens, s.tags) for s in back] == [(s.tokens, s.tags) for s in sents]


def test_plain_text_and_unnamed_tag_file_are_detected(tmp_path):
    text = tmp_path / "utts.txt"
    text.write_text("play some jazz\n\nwake me up\n")
    sents = read_sentences(text)
    assert [s.tokens for s in sents] == [["play", "some", "jazz"], ["wake", "me", "up"]]
    assert sents[1].line == 3 and sents[0].tags is None
    tags = tmp_path / "pred.txt"
    tags.write_text("O B-genre \nO O B-x I-x \n")
    assert read_sentences(tags)[1].tags == ["O", "O", "B-x", "I-x"]
    assert read_sentences(tags, format="text")[1].tokens[2] == "B-x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\n  \n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\0\0\0", "binary"),
        (b"a\tO\n\xff\xfe\tO\n", ":2: not UTF-8"),
        (b"a\tO\nb\tO\t0.5\n", ":2: 3 tab-separated columns, but line 1 has 2"),
        (b"a\tO\n\tO\n", ":2: malformed line"),
        (b"a\tO\nb\t\n", ":2: 1 tab-separated columns"),
        (b"new york\tB-city\n", ":1: malformed line"),
        (b"a\tO\t0.5\nb\tO\thigh\n", ":2: score 'high'"),
        (b"a\tO\t0.5\t1\tx\n", ":1: 5 tab-separated columns"),
    ],
)
def test_conll_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.conll"
    path.write_bytes(content)
    with pytest.raises(FormatError, match="bad.conll") as info:
        read_sentences(path, format="conll")
    assert message in str(info.value)


def test_seq_pair_count_mismatch_names_line(tmp_path):
    (tmp_path / "seq.in").write_text("a b\nc d e\n")
    (tmp_path / "seq.out").write_text("O O \nO O \n")
    with pytest.raises(FormatError, match=r"seq.in:2: 3 tokens but .*seq.out:2 has 2 tags"):
        read_sentences(tmp_path)
    (tmp_path / "seq.out").write_text("O O \n")
    with pytest.raises(FormatError, match="seq.in has 2 lines but seq.out has 1"):
        read_sentences(tmp_path)


def test_missing_paths_and_bad_folders(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        read_sentences(tmp_path / "nope.conll")
    with pytest.raises(FormatError, match="without seq.in or seq.out"):
        read_sentences(tmp_path)
    with pytest.raises(ParameterError, match="format="):
        read_sentences(tmp_path, format="xml")


@pytest.mark.parametrize(
    ("tokens", "tags", "message"),
    [
        (["to", "new york"], ["O", "B-city"], "token 1: 'new york'"),
        (["a\nb", "c"], ["O", "O"], "token 0: 'a\\nb'"),
        (["a\tb"], ["O"], "token 0: 'a\\tb'"),
        (["", "b"], ["O", "O"], "token 0: ''"),
        (["a"], ["B-x y"], "tag 0: 'B-x y'"),
        (["a", 7], ["O", "O"], "token 1: 7"),
    ],
)
def test_writers_reject_what_would_break_the_columns(tmp_path, tokens, tags, message):
    with pytest.raises(FormatError, match="sentence 1 .*" + re.escape(message)):
        write_conll(tmp_path / "x.conll", [Sentence(["ok"], ["O"]), Sentence(tokens, tags)])
    assert not (tmp_path / "x.conll").exists()
    with pytest.raises(FormatError, match=re.escape(message)):
        write_seq(tmp_path / "seq", [Sentence(tokens, tags)])
    assert not (tmp_path / "seq").exists()


def test_read_conlleval(tmp_path):
    path = tmp_path / "out.txt"
    # (-DOCSTART- and -X- lines, read as conlleval.pl reads them: tests/test_conlleval.py)
    path.write_text("John NNP B-PER B-PER\nlives VBZ O O\n\nRome NNP B-LOC I-LOC\n")
    gold, pred = read_conlleval(path)
    assert [s.tokens for s in gold] == [["John", "lives"], ["Rome"]]
    assert [s.tags for s in gold] == [["B-PER", "O"], ["B-LOC"]]
    assert [s.tags for s in pred] == [["B-PER", "O"], ["I-LOC"]]
    assert gold[1].line == 4
    path.write_text("John B-PER B-PER\nlives O\n")
    with pytest.raises(FormatError, match="out.txt:2: 2 columns"):
        read_conlleval(path)


def test_split_tag_and_check_tags():
    assert split_tag("B-city") == ("B", "city")
    assert split_tag("I-a-b") == ("I", "a-b")
    assert split_tag("O") == ("O", None)
    assert split_tag("S-x", scheme="IOBES") == ("S", "x")
    with pytest.raises(FormatError, match="'S-x' for the IOB2 scheme"):
        split_tag("S-x")
    for bad in ["X-PER", "B-", "B", "b-PER", ""]:
        with pytest.raises(FormatError, match="invalid tag"):
            split_tag(bad)
    with pytest.raises(ParameterError, match="scheme="):
        split_tag("O", scheme="IOB9")
    sents = [
        Sentence(["a", "b"], ["O", "B-x"], line=1, source="g.conll"),
        Sentence(["c", "d"], ["I-x", "X-PER"], line=4, source="g.conll"),
    ]
    with pytest.raises(FormatError, match=r"^g.conll:5: invalid tag 'X-PER'"):
        check_tags(sents)
    assert check_tags(sents[:1]) == {"O": ("O", None), "B-x": ("B", "x")}


_word = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=6
).filter(lambda w: not any(ch.isspace() for ch in w) and w != "-DOCSTART-")


@settings(max_examples=60, deadline=None)
@given(
    sents=st.lists(
        st.integers(1, 6).flatmap(
            lambda n: st.tuples(
                st.lists(_word, min_size=n, max_size=n),
                st.lists(
                    st.sampled_from(["O", "B-x", "I-x", "B-long_type"]), min_size=n, max_size=n
                ),
                st.lists(st.floats(0, 1), min_size=n, max_size=n),
            )
        ),
        min_size=1,
        max_size=5,
    )
)
def test_conll_and_seq_roundtrip_any_tokens(tmp_path_factory, sents):
    folder = tmp_path_factory.mktemp("rt")
    sentences = [Sentence(t, g, s) for t, g, s in sents]
    write_conll(folder / "x.conll", sentences)
    back = read_sentences(folder / "x.conll")
    assert [(s.tokens, s.tags, s.scores) for s in back] == [tuple(x) for x in sents]
    write_seq(folder / "seq", sentences)
    back = read_sentences(folder / "seq")
    assert [(s.tokens, s.tags) for s in back] == [(t, g) for t, g, _ in sents]


def test_clean_and_untidy_conll_read_alike(snips_dir, tmp_path):
    # A clean file takes the block-at-a-time path; CRLF and trailing blanks the line-by-line one.
    sents = read_sentences(snips_dir / "test")
    scored = [Sentence(s.tokens, s.tags, [0.5] * len(s.tokens)) for s in sents]
    clean = tmp_path / "clean.conll"
    write_conll(clean, scored)
    untidy = tmp_path / "untidy.conll"
    untidy.write_bytes(b"\n" + clean.read_bytes().replace(b"\n", b" \r\n"))
    a, b = read_sentences(clean), read_sentences(untidy)
    assert [(s.tokens, s.tags, s.scores) for s in a] == [(s.tokens, s.tags, s.scores) for s in b]
    assert [s.line + 1 for s in a] == [s.line for s in b]
    assert a[1].line == len(sents[0].tokens) + 2


# ---------------------------------------------------- CoNLL with spaces for TABs (issue 12, 8)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("add O\nthis O\nsong B-music_item\n\nplay O\n", 1, "'add O' looks like CoNLL"),
        ("# a comment\nplay O 0.98\njazz B-genre 0.5\n", 2, "'play O 0.98' looks like CoNLL"),
        ("-DOCSTART- -X- O\n\nplay O O\njazz B-genre I-genre\n", 3, "conlleval's format"),
        ("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n", 1, "conlleval's format"),
    ],
)
def test_space_separated_conll_is_an_error_naming_the_first_such_line(
    tmp_path, content, line, message
):
    path = tmp_path / "spaced.conll"
    path.write_text(content)
    with pytest.raises(FormatError, match=re.escape(f"{path}:{line}: ")) as info:
        read_sentences(path)
    assert message in str(info.value)
    # read as what it was said to be: plain text, one utterance a line
    assert read_sentences(path, format="text")[0].tags is None


def test_space_separated_conll_read_as_conll_names_the_separator(tmp_path):
    path = tmp_path / "spaced.conll"
    path.write_text("play O\njazz B-genre\n")
    with pytest.raises(FormatError, match=r"spaced.conll:1: .*CoNLL columns are TAB-separated"):
        read_sentences(path, format="conll")


def test_plain_text_with_some_tag_like_lines_is_text(tmp_path):
    # the ambiguous case: words that look like tags on a minority of the lines
    path = tmp_path / "requests.txt"
    path.write_text("call O\ndrive on I-95\nplay some jazz\nwake me up\nbook a table\n")
    assert [len(s.tokens) for s in read_sentences(path)] == [2, 3, 3, 3, 3]
    path.write_text("call O\ntext B-52\nplay some jazz\n")  # most lines look like CoNLL
    with pytest.raises(FormatError, match="requests.txt:1: 'call O' looks like CoNLL"):
        read_sentences(path)


def test_sentence_files_names_what_is_read(tmp_path):
    from speechtext.io.conll import sentence_files

    write_seq(tmp_path / "f", [Sentence(["a"], ["O"])])
    assert sentence_files(tmp_path / "f") == [tmp_path / "f" / "seq.in", tmp_path / "f" / "seq.out"]
    assert sentence_files(tmp_path / "x.conll") == [tmp_path / "x.conll"]
