"""Delexicalization: round trips (SNIPS, hypothesis), patterns, lexicons, generation, CLI."""

import json
import subprocess
import sys

import pytest
from clitools import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import speechtext
from speechtext.cli import main
from speechtext.delex import (
    PATTERN_KINDS,
    Delexed,
    Lexicon,
    Slot,
    check_template_values,
    count_templates,
    delexicalize,
    delexicalize_sentences,
    delexicalize_text,
    fill_template,
    find_values,
    generate,
    load_lexicon,
    parse_template,
    read_template_records,
    relexicalize,
    to_iob,
)
from speechtext.errors import FormatError, ParameterError
from speechtext.io.conll import Sentence, check_tags, read_sentences, write_conll

run = run_cli  # (exit status, stdout, stderr); never a traceback


def roundtrips(d):
    """relexicalize gives the text back, from the objects and from the JSON record."""
    assert relexicalize(d.template, d.slots) == d.text
    record = json.loads(json.dumps(d.to_record(0), ensure_ascii=False))
    assert relexicalize(record["template"], record["slots"]) == d.text
    for s in d.slots:
        assert d.text[s.start : s.end] == s.value
    return True


# ------------------------------------------------------------------------------ round trips


@pytest.fixture(scope="module")
def snips(snips_dir):
    return [s for split in ("train", "valid", "test") for s in read_sentences(snips_dir / split)]


def test_every_snips_utterance_round_trips_text_and_tags(snips):
    assert len(snips) == 14484
    templates = set()
    for s in snips:
        d = delexicalize(s.tokens, s.tags)
        assert relexicalize(d.template, d.slots) == d.text == " ".join(s.tokens)
        assert d.iob() == (s.tokens, s.tags)
        assert len(d.slots) == sum(t.startswith("B-") for t in s.tags)
        templates.add(d.template)
    assert len(templates) == 7776  # templates collapse the 14,484 utterances


def test_snips_records_round_trip_through_json(snips):
    for i, s in enumerate(snips[:2000]):
        d = delexicalize(s.tokens, s.tags)
        record = json.loads(json.dumps(d.to_record(i), ensure_ascii=False))
        assert set(record) == {"id", "text", "template", "slots"}
        assert relexicalize(record["template"], record["slots"]) == record["text"]
        assert to_iob(record["text"], record["slots"]) == (s.tokens, s.tags)


# Tokens: any non-space characters, with the troublemakers over-represented: brackets and
# backslashes (escaped in templates), Hangul, accents, emoji, combining marks.
_CHARS = st.one_of(
    st.sampled_from(list("[]\\ab3:,.$%원시에é한😀") + ["e\u0301", "👍🏽", "\u200d"]),
    st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
)
_TOKEN = st.lists(_CHARS, min_size=1, max_size=6).map("".join).filter(lambda t: t.split() == [t])
_NAME = st.from_regex(r"[A-Za-z_가-힣][A-Za-z0-9_.가-힣]{0,8}", fullmatch=True)


@st.composite
def tagged(draw):
    tokens = draw(st.lists(_TOKEN, min_size=0, max_size=12))
    names = draw(st.lists(_NAME, min_size=1, max_size=3))
    tags, previous = [], "O"
    for _ in tokens:
        choices = ["O", "B"] + (["I"] if previous != "O" else [])
        kind = draw(st.sampled_from(choices))
        if kind == "O":
            tags.append("O")
        elif kind == "B":
            tags.append("B-" + draw(st.sampled_from(names)))
        else:
            tags.append("I-" + previous[2:])
        previous = tags[-1]
    return tokens, tags


@settings(max_examples=300, deadline=None)
@given(tagged())
def test_any_iob2_tagged_tokens_round_trip_text_and_tags(example):
    tokens, tags = example
    d = delexicalize(tokens, tags)
    assert d.text == " ".join(tokens)
    assert roundtrips(d)
    back = fill_template(d.template, d.slots)
    assert back == d
    assert to_iob(relexicalize(d.template, d.slots), d.slots) == (tokens, tags)


_RAW = st.lists(
    st.one_of(
        st.sampled_from(list(" \t[]\\0123456789:,.$%원시에분오후반한 amp") + ["e\u0301", "😀"]),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_RAW)
def test_any_raw_text_round_trips_and_its_tags_cover_the_slots(text):
    lexicon = Lexicon([("thing", "a b"), ("thing", "원"), ("place", "시에")])
    d = delexicalize_text(text, lexicon=lexicon)
    assert d.text == text
    assert roundtrips(d)
    tokens, tags = d.iob()
    assert "".join(tokens) == "".join(text.split())
    assert sum(t.startswith("B-") for t in tags) == len(d.slots)
    # the silver tags delexicalize back to the same slots
    again = delexicalize(tokens, tags)
    assert [(s.name, s.value.replace(" ", "")) for s in again.slots] == [
        (s.name, "".join(s.value.split())) for s in d.slots
    ]


def test_unicode_offsets_are_code_points_and_survive():
    tokens = ["play", "Beyoncé", "e\u0301", "😀", "서울", "[live]", "a\\b"]
    tags = ["O", "B-artist", "I-artist", "O", "B-city", "B-x", "O"]
    d = delexicalize(tokens, tags)
    assert d.slots[0] == Slot("artist", "Beyoncé e\u0301", 5, 15)
    assert d.slots[1] == Slot("city", "서울", 18, 20)
    assert d.template == "play [artist] 😀 [city] [x] a\\\\b"
    assert d.slots[2].value == "[live]"  # brackets inside values need no escape
    assert roundtrips(d)
    assert d.iob() == (tokens, tags)


def test_literal_brackets_in_text_are_escaped_and_come_back():
    d = delexicalize(["say", "[hi]", "to", "bob", "\\o/"], ["O", "O", "O", "B-name", "O"])
    assert d.template == "say \\[hi\\] to [name] \\\\o/"
    assert parse_template(d.template) == [("say [hi] to ", False), ("name", True), (" \\o/", False)]
    assert relexicalize(d.template, [("name", "ann")]) == "say [hi] to ann \\o/"


# ----------------------------------------------------------------------------------- patterns

PATTERN_CASES = [
    # time, English
    ("wake me at 3:15 pm please", "time", "3:15 pm"),
    ("the train leaves at 15:30", "time", "15:30"),
    ("meet at 3 o'clock", "time", "3 o'clock"),
    ("meet at three o'clock", "time", "three o'clock"),
    ("call me at quarter past three", "time", "quarter past three"),
    ("call me at half past 2", "time", "half past 2"),
    ("lunch at noon today", "time", "noon"),
    ("stop at midnight", "time", "midnight"),
    ("at 7am sharp", "time", "7am"),
    ("at 11 p.m. sharp", "time", "11 p.m."),
    ("at seven thirty pm", "time", "seven thirty pm"),
    ("it is ten to six", "time", "ten to six"),
    ("at 6:45:10 am", "time", "6:45:10 am"),
    ("at 9 o'clock in the morning", "time", "9 o'clock in the morning"),
    ("at 20 minutes past 4", "time", "20 minutes past 4"),
    ("at twenty one o clock", "time", "twenty one o clock"),
    ("at 10:37 p m", "time", "10:37 p m"),
    # time, Korean
    ("3시15분에 깨워줘", "time", "3시15분"),
    ("3시 15분에 만나", "time", "3시 15분"),
    ("오후 3시 회의", "time", "오후 3시"),
    ("새벽 2시 반에 알람", "time", "새벽 2시 반"),
    ("3시에 전화해", "time", "3시"),
    ("오전 10시 30분까지", "time", "오전 10시 30분"),
    ("세 시 반에 보자", "time", "세 시 반"),
    ("저녁 7시쯤 도착", "time", "저녁 7시"),
    ("정오에 점심", "time", "정오"),
    ("15시 30분 기차", "time", "15시 30분"),
    ("열두시에 자자", "time", "열두시"),
    # date, English
    ("born on march 5th", "date", "march 5th"),
    ("due 5 march 2026 at the latest", "date", "5 march 2026"),
    ("released 2026-11-29", "date", "2026-11-29"),
    ("on 11/29 we fly", "date", "11/29"),
    ("remind me tomorrow", "date", "tomorrow"),
    ("book it for next friday", "date", "next friday"),
    ("on the 5th of march", "date", "the 5th of march"),
    ("on march 5, 2026", "date", "march 5, 2026"),
    ("since march 2026", "date", "march 2026"),
    ("by 29.11.2026", "date", "29.11.2026"),
    ("the day after tomorrow is free", "date", "the day after tomorrow"),
    ("on sunday", "date", "sunday"),
    ("on june the twenty-first", "date", "june the twenty-first"),
    ("on Sept. 3rd", "date", "Sept. 3rd"),
    ("free this week-end", "date", "this week-end"),
    ("on the 5th of may", "date", "the 5th of may"),
    ("due 5 may 2026", "date", "5 may 2026"),
    # date, Korean
    ("2026년 11월 29일에 출발", "date", "2026년 11월 29일"),
    ("11월 29일 일정", "date", "11월 29일"),
    ("내일 비 와?", "date", "내일"),
    ("모레까지 끝내", "date", "모레"),
    ("다음 주 금요일에 보자", "date", "다음 주 금요일"),
    ("금요일에 만나", "date", "금요일"),
    # money
    ("it costs $25 now", "money", "$25"),
    ("it costs 25 dollars now", "money", "25 dollars"),
    ("커피 3,000원이에요", "money", "3,000원"),
    ("pay $1,000.50 today", "money", "$1,000.50"),
    ("only €5 left", "money", "€5"),
    ("twenty five dollars and fifty cents", "money", "twenty five dollars and fifty cents"),
    ("50 cents each", "money", "50 cents"),
    ("USD 25 total", "money", "USD 25"),
    ("3만 5천원 입니다", "money", "3만 5천원"),
    ("만 원만 빌려줘", "money", "만 원"),
    ("₩3,000 only", "money", "₩3,000"),
    ("3000 원 주세요", "money", "3000 원"),
    # percent
    ("battery at 25%", "percent", "25%"),
    ("a 3.5 percent raise", "percent", "3.5 percent"),
    ("twenty per cent off", "percent", "twenty per cent"),
    ("배터리 30퍼센트 남았어", "percent", "30퍼센트"),
    ("볼륨 50프로로 해줘", "percent", "50프로"),
    # number
    ("rate it 4 stars", "number", "4"),
    ("add 3,000 points", "number", "3,000"),
    ("a table for twenty five", "number", "twenty five"),
    ("one hundred and five people", "number", "one hundred and five"),
    ("the 21st century", "number", "21st"),
    ("three thousand feet", "number", "three thousand"),
    ("minus -2.5 degrees", "number", "-2.5"),
    ("사과 3개와 배 5를", "number", "5"),
]


@pytest.mark.parametrize(("text", "kind", "value"), PATTERN_CASES)
def test_pattern_finds_the_value(text, kind, value):
    found = [(s.name, s.value) for s in find_values(text, patterns=[kind])]
    assert found == [(kind, value)]
    d = delexicalize_text(text, patterns=[kind])
    assert d.template == text.replace(value, f"[{kind}]", 1)
    assert roundtrips(d)


def test_there_are_at_least_60_pattern_cases_in_both_languages():
    korean = [c for c in PATTERN_CASES if any("\uac00" <= ch <= "\ud7a3" for ch in c[0])]
    assert len(PATTERN_CASES) >= 60 and len(korean) >= 20
    assert {c[1] for c in PATTERN_CASES} == set(PATTERN_KINDS)


@pytest.mark.parametrize(
    "text",
    [
        "3시간 걸려",  # 3 hours: a duration, 시 is inside the word 시간
        "version v3.5 beta",  # digits inside a word
        "cafe\u0301 at 3pmx",  # a combining mark continues the word; 3pmx is one word
        "the 3,000abc code",
        "hello world",
        "may i come",
        "the first may be the best",
        "",
    ],
)
def test_no_value_inside_a_longer_word(text):
    assert find_values(text) == []


def test_long_adversarial_inputs_finish():
    # "이나" is "이"+"나" too: an unbounded particle run would backtrack exponentially here
    lexicon = Lexicon([("city", "서울")])
    assert find_values("3" + "이나" * 1000 + "가", lexicon=lexicon) == []
    assert find_values("서울" + "이나" * 1000, lexicon=lexicon) == []
    assert len(find_values("3 " * 5000 + "o clock")) == 5000  # many candidates


def test_longest_match_wins_across_kinds_and_particles_stay_in_the_template():
    d = delexicalize_text("내일 오후 3시에 3,000원 보내고 25% 할인, $25 at 3:15 pm")
    assert d.template == "[date] [time]에 [money] 보내고 [percent] 할인, [money] at [time]"
    tokens, tags = d.iob()
    assert tokens[:5] == ["내일", "오후", "3시", "에", "3,000원"]
    assert tags[:5] == ["B-date", "B-time", "I-time", "O", "B-money"]


def test_unknown_pattern_kind_is_a_parameter_error():
    with pytest.raises(ParameterError, match="unknown pattern kind 'clock'"):
        find_values("at 3 pm", patterns=["clock"])


# ---------------------------------------------------------------------------------- lexicons


def test_lexicon_multiword_case_insensitive_longest_first_never_inside_a_word():
    lexicon = Lexicon(
        [("city", "new york"), ("city", "york"), ("band", "AC/DC"), ("city", "서울"), ("x", "in")]
    )
    d = delexicalize_text(
        "Fly to New  York, not Yorkshire; play ac/dc in 서울에서는", lexicon=lexicon
    )
    assert d.template == "Fly to [city], not Yorkshire; play [band] [x] [city]에서는"
    assert [s.value for s in d.slots] == ["New  York", "ac/dc", "in", "서울"]
    assert find_values("indie 서울대 newyork", patterns=(), lexicon=lexicon) == []


def test_lexicon_bootstraps_silver_iob2_tags():
    lexicon = {"city": ["boston", "new york"], "airline": ["delta"]}
    d = delexicalize_text("delta flights from boston to new york at 7 pm", lexicon=lexicon)
    tokens, tags = d.iob()
    assert tags == [
        "B-airline",
        "O",
        "O",
        "B-city",
        "O",
        "B-city",
        "I-city",
        "O",
        "B-time",
        "I-time",
    ]
    assert tokens == ["delta", "flights", "from", "boston", "to", "new", "york", "at", "7", "pm"]


def test_tags_win_over_patterns_and_lexicon():
    d = delexicalize(["at", "3", "pm", "in", "boston"], ["O", "B-hour", "O", "O", "O"])
    d2 = delexicalize_text(d.text, lexicon={"city": ["boston"]}, keep=d.slots)
    assert [(s.name, s.value) for s in d2.slots] == [("hour", "3"), ("city", "boston")]


def test_lexicon_file_reader(tmp_path):
    path = tmp_path / "lex.tsv"
    path.write_text("# cities\ncity\tNew York\n\ncity\tseoul \nartist\tthe rolling stones\n")
    lexicon = load_lexicon(path)
    assert lexicon.values("city") == ["New York", "seoul"]
    assert lexicon.slots == ["city", "artist"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty lexicon"),
        ("# only a comment\n\n", "empty lexicon"),
        ("city\tboston\ncity boston\n", r"lex.tsv:2: no tab"),
        ("city\tboston\tusa\n", r"lex.tsv:1: 2 tabs"),
        ("city\t \n", r"lex.tsv:1: empty value"),
        ("ci[ty\tboston\n", r"lex.tsv:1: slot name 'ci\[ty'"),
    ],
)
def test_bad_lexicon_files_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "lex.tsv"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        load_lexicon(path)


# -------------------------------------------------------------------------------- generation


def test_generation_is_reproducible_and_tags_multiword_values():
    templates = ["fly to [city] at [time]", "weather in [city]", "fly to [city] at [time]"]
    values = Lexicon([("city", "new york"), ("city", "paris"), ("time", "7 pm"), ("city", "서울")])
    a = generate(templates, values, n=6, seed=7)
    assert a == generate(templates, values, n=6, seed=7)
    assert len(a) == 6 and len({d.text for d in a}) == 6  # all 3*1 + 3 combinations
    assert generate(templates, values, n=6, seed=8) != a  # another order
    for d in a:
        assert roundtrips(d)
        tokens, tags = d.iob()
        if "new york" in d.text:
            k = tokens.index("new")
            assert tags[k : k + 2] == ["B-city", "I-city"]
    assert len(generate(templates, values, n=50, seed=1)) == 6  # no more distinct ones exist


def test_generation_needs_values_for_every_slot():
    with pytest.raises(ParameterError, match=r"\[time\]"):
        generate(["at [time]"], {"city": ["paris"]}, n=1)


def test_fill_template_errors():
    with pytest.raises(ParameterError, match="2 placeholders but 1 slots"):
        fill_template("[a] [b]", [("a", "x")])
    with pytest.raises(ParameterError, match="named 'b' but placeholder 0 is \\[a\\]"):
        fill_template("[a]", [("b", "x")])
    with pytest.raises(ParameterError, match="lone"):
        parse_template("a ] b")
    with pytest.raises(ParameterError, match="empty placeholder"):
        parse_template("a [] b")
    with pytest.raises(ParameterError, match="unknown escape"):
        parse_template("a \\n b")


# ------------------------------------------------------------------------------- bad input


def test_bad_tokens_and_tags_are_clear_errors():
    with pytest.raises(ParameterError, match="2 tokens but 1 tags"):
        delexicalize(["a", "b"], ["O"])
    with pytest.raises(ParameterError, match="does not continue"):
        delexicalize(["a", "b"], ["O", "I-city"])
    with pytest.raises(ParameterError, match="does not continue"):
        delexicalize(["a", "b"], ["B-x", "I-city"])
    with pytest.raises(ParameterError, match="invalid tag 'X-city'"):
        delexicalize(["a"], ["X-city"])
    with pytest.raises(ParameterError, match="token 1 .* white space"):
        delexicalize(["a", "new york"], ["O", "B-city"])
    with pytest.raises(ParameterError, match="slot name"):
        delexicalize(["a"], ["B-ci]ty"])


def test_tokens_with_spaces_or_tabs_are_a_clear_error_in_conll_output(tmp_path):
    with pytest.raises(FormatError, match="white space"):
        write_conll(tmp_path / "x.conll", [Sentence(["new\tyork"], ["B-city"])])
    assert not (tmp_path / "x.conll").exists()


# ------------------------------------------------------------------------------------- CLI


def test_sentences_of_a_file_are_delexicalized_by_tags_or_by_patterns():
    tagged = [Sentence(["at", "7", "am", "to", "rome"], ["O", "B-time", "I-time", "O", "O"])]
    assert [d.template for d in delexicalize_sentences(tagged)] == ["at [time] to rome"]
    found = delexicalize_sentences(tagged, lexicon={"city": ["rome"]})
    assert found[0].template == "at [time] to [city]"
    plain = [Sentence(["at", "7", "am", "tomorrow"])]
    assert delexicalize_sentences(plain)[0].template == "at [time] [date]"
    assert delexicalize_sentences(plain, patterns=())[0].template == "at 7 am tomorrow"
    with pytest.raises(FormatError, match=r"^seq\.out: holds tags only"):
        delexicalize_sentences([Sentence(None, ["O"])], source="seq.out")
    broken = [Sentence(["to", "rome"], ["O", "I-city"], line=4, source="a.conll")]
    with pytest.raises(FormatError, match=r"^a\.conll:5: tag 'I-city' after 'O'"):
        delexicalize_sentences(broken)


def test_templates_and_values_are_counted():
    made = [delexicalize(["to", c], ["O", "B-city"]) for c in ("rome", "oslo", "rome")]
    counts = count_templates(made + [delexicalize(["hi"], ["O"])])
    assert counts.utterances == 4 and counts.slot_values == 3
    assert counts.templates.most_common() == [("to [city]", 3), ("hi", 1)]
    assert counts.values == {"city": {"rome": 2, "oslo": 1}}


def test_template_records_are_checked_naming_file_and_line():
    good = {"template": "to [city]", "slots": [{"name": "city", "value": "rome"}]}
    templates, seen = read_template_records([(1, good), (3, {"template": "hi"})], path="t.jsonl")
    assert [(t.template, t.names, t.where) for t in templates] == [
        ("to [city]", ("city",), "t.jsonl:1"),
        ("hi", (), "t.jsonl:3"),
    ]
    assert seen.items() == [("city", "rome")]
    for record, message in [
        ({"template": "to [city]", "slots": []}, "do not match the placeholders"),
        ({"template": "to [city", "slots": []}, "a lone '['"),
        ({"template": "to [city]", "slots": [{"name": "city", "value": " "}]}, "empty value"),
    ]:
        with pytest.raises(FormatError, match=r"^t\.jsonl:7: ") as info:
            read_template_records([(7, record)], path="t.jsonl")
        assert message in str(info.value)
    check_template_values(templates, seen, source="seen")
    with pytest.raises(FormatError) as info:
        check_template_values(templates, Lexicon(), source="x.tsv", hint=lambda n: f"add {n}")
    assert str(info.value) == (
        "t.jsonl:1: template 'to [city]' names the slot [city], which x.tsv lacks; add city"
    )


def test_cli_delex_snips_then_relex_end_to_end(snips_dir, tmp_path):
    out = tmp_path / "t.jsonl"
    assert main(["delex", str(snips_dir / "test"), "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    gold = read_sentences(snips_dir / "test")
    assert len(records) == len(gold) == 700
    for i, (record, s) in enumerate(zip(records, gold, strict=True)):
        assert record["id"] == i
        assert relexicalize(record["template"], record["slots"]) == record["text"]
        assert to_iob(record["text"], record["slots"]) == (s.tokens, s.tags)

    conll = tmp_path / "gen.conll"
    # every template draws from the values seen in the data (no lexicon)
    code, _, err = run("relex", out, "-n", 50, "--seed", 3, "-o", conll)
    assert code == 0, err
    generated = read_sentences(conll)
    assert len(generated) == 50
    check_tags(generated, scheme="IOB2")
    again = tmp_path / "again.conll"
    assert main(["relex", str(out), "-n", "50", "--seed", "3", "-o", str(again)]) == 0
    assert again.read_text() == conll.read_text()


def test_cli_relex_with_a_lexicon(tmp_path):
    templates = tmp_path / "t.jsonl"
    records = [
        fill_template("play [artist] on [service]", [("artist", "adele"), ("service", "x")]),
        fill_template("오후 [time]에 깨워줘", [("time", "3시")]),
        # line separators inside JSON strings are not line ends of the JSONL file
        fill_template("say\u2028\x85[artist]", [("artist", "x")]),
    ]
    templates.write_text(
        "".join(
            json.dumps(d.to_record(i), ensure_ascii=False) + "\n" for i, d in enumerate(records)
        ),
        encoding="utf-8",
    )
    lex = tmp_path / "lex.tsv"
    lex.write_text(
        "artist\tthe rolling stones\nservice\tspotify\ntime\t7시 30분\n", encoding="utf-8"
    )
    out = tmp_path / "gen.conll"
    assert main(["relex", str(templates), "--lexicon", str(lex), "-n", "5", "-o", str(out)]) == 0
    generated = {" ".join(s.tokens): s.tags for s in read_sentences(out)}
    assert generated == {
        "play the rolling stones on spotify": [
            "O",
            "B-artist",
            "I-artist",
            "I-artist",
            "O",
            "B-service",
        ],
        "오후 7시 30분 에 깨워줘": ["O", "B-time", "I-time", "O", "O"],
        "say the rolling stones": ["O", "B-artist", "I-artist", "I-artist"],
    }


def test_cli_relex_bad_inputs_name_file_and_line(tmp_path):
    templates = tmp_path / "t.jsonl"
    templates.write_text(
        json.dumps({"template": "hi", "slots": []})
        + "\n\n"
        + json.dumps({"template": "at [time]", "slots": [{"name": "time", "value": "3 pm"}]})
        + "\n"
    )
    lex = tmp_path / "lex.tsv"
    lex.write_text("city\tparis\n")
    out = tmp_path / "o.conll"
    code, _, err = run("relex", templates, "--lexicon", lex, "-n", 3, "-o", out)
    assert code == 1 and f"{templates}:3:" in err and "[time]" in err and "lacks" in err
    assert not out.exists()
    # --seen-values fills the gap from the data
    assert main(["relex", str(templates), "--lexicon", str(lex), "--seen-values", "-n", "3",
                 "-o", str(out)]) == 0  # fmt: skip

    empty = tmp_path / "empty.tsv"
    empty.write_text("\n")
    code, _, err = run("relex", templates, "--lexicon", empty, "-n", 3, "-o", out)
    assert code == 1 and "empty lexicon" in err and str(empty) in err

    notab = tmp_path / "notab.tsv"
    notab.write_text("time\t3 pm\ntime 4 pm\n")
    code, _, err = run("relex", templates, "--lexicon", notab, "-n", 3, "-o", out)
    assert code == 1 and f"{notab}:2: no tab" in err

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"template": "at [time]", "slots": []}\n{"template": \n')
    code, _, err = run("relex", broken, "-n", 3, "-o", out)
    assert code == 1 and f"{broken}:2: not valid JSON" in err
    broken.write_text('{"template": "at [time]", "slots": []}\n')
    code, _, err = run("relex", broken, "-n", 3, "-o", out)
    assert code == 1 and f"{broken}:1:" in err and "do not match the placeholders" in err


def test_cli_delex_bad_tags_name_file_and_line(tmp_path):
    conll = tmp_path / "x.conll"
    conll.write_text("fly\tO\nto\tO\nyork\tI-city\n\n")
    code, _, err = run("delex", conll, "-o", tmp_path / "o.jsonl")
    assert code == 1 and f"{conll}:3: tag 'I-city' after 'O'" in err
    conll.write_text("fly\tO\nto\tX-city\n")
    code, _, err = run("delex", conll, "-o", tmp_path / "o.jsonl")
    assert code == 1 and f"{conll}:2: invalid tag 'X-city'" in err
    folder = tmp_path / "seq"
    folder.mkdir()
    (folder / "seq.in").write_text("fly to york\n")
    (folder / "seq.out").write_text("O O\n")
    code, _, err = run("delex", folder, "-o", tmp_path / "o.jsonl")
    assert code == 1 and "3 tokens" in err and "2 tags" in err and "seq.in:1" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_delex_raw_text_with_patterns_lexicon_and_stats(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "wake me at 7 am tomorrow\nwake me at 6:30 am tomorrow\n오후 3시에 서울에서 만나 [sic]\n",
        encoding="utf-8",
    )
    lex = tmp_path / "lex.tsv"
    lex.write_text("city\t서울\n", encoding="utf-8")
    out = tmp_path / "t.jsonl"
    code, stdout, err = run("delex", raw, "-o", out, "--lexicon", lex, "--stats")
    assert code == 0, err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["template"] for r in records] == [
        "wake me at [time] [date]",
        "wake me at [time] [date]",
        "[time]에 [city]에서 만나 \\[sic\\]",
    ]
    assert "2\twake me at [time] [date]" in stdout
    assert "[time]: 3 values, 3 distinct" in stdout and "2\ttomorrow" in stdout
    # only the kinds asked for
    assert main(["delex", str(raw), "-o", str(out), "--patterns", "date"]) == 0
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert first["template"] == "wake me at 7 am [date]"
    code, _, err = run("delex", raw, "-o", out, "--patterns", "clock")
    assert code == 2 and "unknown pattern kind 'clock'" in err
    code, stdout, err = run("delex", raw, "--stats", "--top", 1)
    assert code == 0 and "2 distinct templates in 3 utterances" in stdout and "... 1 more" in stdout
    code, _, err = run("delex", raw)
    assert code == 2 and "give -o OUT.jsonl, --stats, or both" in err


def test_cli_lists_the_commands_and_stays_light():
    code, stdout, _ = run("--help")
    assert code == 0 and "delex" in stdout and "relex" in stdout
    code = (
        "import sys; from speechtext.cli import main\n"
        "for argv in (['delex', '--help'], ['relex', '--help']):\n"
        "    try: main(argv)\n    except SystemExit: pass\n"
        "print(sorted({'numpy', 'seqeval', 'speechtext.delex.patterns'} & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().endswith("[]")
    from speechtext.cli import delex as cli_delex

    assert cli_delex.PATTERN_KINDS == PATTERN_KINDS


def test_public_names_are_exported():
    assert speechtext.delexicalize is delexicalize
    assert speechtext.relexicalize is relexicalize
    assert speechtext.Delexed is Delexed
    assert speechtext.Lexicon is Lexicon
