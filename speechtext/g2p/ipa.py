"""ARPAbet (CMUdict's phone set) to IPA, with stress marks placed at syllable onsets.

Syllables are split by the maximal-onset principle over English onsets, so the stress mark of
"hello" (``HH AH0 L OW1``) comes before the /l/: ``h ə ˈl oʊ``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["ARPABET_TO_IPA", "strip_stress", "to_ipa"]

# fmt: off
ARPABET_TO_IPA = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "ER": "ɝ",
    "EY": "eɪ", "IH": "ɪ", "IY": "i", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "u",
    "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "dʒ",
    "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ",
    "T": "t", "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
# fmt: on
_UNSTRESSED = {"AH": "ə", "ER": "ɚ"}  # reduced vowels have their own symbols
_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
_MARKS = {"1": "ˈ", "2": "ˌ"}
# Consonant clusters that can begin an English syllable (any single consonant but NG can too).
# fmt: off
_ONSETS = {tuple(o.split()) for o in [
    "P R", "P L", "B R", "B L", "T R", "D R", "K R", "K L", "G R", "G L", "F R", "F L", "TH R",
    "SH R", "S P", "S T", "S K", "S M", "S N", "S L", "S W", "S F", "T W", "D W", "K W", "G W",
    "TH W", "P Y", "B Y", "F Y", "V Y", "K Y", "G Y", "M Y", "N Y", "HH Y", "L Y", "HH W",
    "S P R", "S P L", "S T R", "S K R", "S K W", "S K L", "S P Y", "S K Y", "S M Y",
]}
# fmt: on


def strip_stress(phones: Iterable[str]) -> list[str]:
    """ARPAbet phones without stress digits: ``["HH", "AH", "L", "OW"]``."""
    return [p.rstrip("012") for p in phones]


def _onset_length(consonants):
    """How many of the consonants before a vowel start its syllable (maximal onset)."""
    for n in range(min(3, len(consonants)), 1, -1):
        if tuple(consonants[-n:]) in _ONSETS:
            return n
    return 1 if consonants and consonants[-1] != "NG" else 0


def to_ipa(phones: Sequence[str], *, stress: bool = True) -> list[str]:
    """IPA segments of an ARPAbet pronunciation.

    Parameters
    ----------
    phones : sequence of str
        ARPAbet phones, with or without stress digits.
    stress : bool
        Put ``ˈ`` (primary) and ``ˌ`` (secondary) before the first segment of stressed syllables.

    Returns
    -------
    list of str
        One IPA segment per phone (a stress mark joins the segment it precedes); unknown phones
        are kept as they are.

    Examples
    --------
    >>> to_ipa(["HH", "AH0", "L", "OW1"])
    ['h', 'ə', 'ˈl', 'oʊ']
    >>> "".join(to_ipa(["K", "AH0", "N", "T", "R", "IH1", "B", "Y", "UW0", "T"]))
    'kənˈtɹɪbjut'
    """
    base = [p.rstrip("012") for p in phones]
    out = []
    for p, b in zip(phones, base, strict=True):
        digit = p[len(b) :]
        if digit == "0" and b in _UNSTRESSED:
            out.append(_UNSTRESSED[b])
        else:
            out.append(ARPABET_TO_IPA.get(b, p))
    if not stress:
        return out
    prev_vowel = -1
    for i, (p, b) in enumerate(zip(phones, base, strict=True)):
        if b not in _VOWELS:
            continue
        mark = _MARKS.get(p[len(b) :])
        if mark:
            consonants = base[prev_vowel + 1 : i]
            start = prev_vowel + 1 if prev_vowel < 0 else i - _onset_length(consonants)
            out[start] = mark + out[start]
        prev_vowel = i
    return out
