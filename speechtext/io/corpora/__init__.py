"""Corpus manifests: Kaldi data dirs, NeMo JSONL, lhotse recording/supervision manifests and
Hugging Face datasets, each read into and written from one neutral model (:class:`Corpus`
of :class:`Recording` and :class:`Utterance`).

Examples
--------
>>> corpus, fmt = read_corpus("data/train")  # doctest: +SKIP
>>> fmt, len(corpus.utterances)  # doctest: +SKIP
('kaldi', 1000)
>>> write_corpus(corpus, "train.nemo.jsonl", "nemo")  # doctest: +SKIP
[PosixPath('train.nemo.jsonl')]
"""

from .formats import FORMATS, detect_format, read_corpus, write_corpus
from .model import Corpus, Recording, Utterance

__all__ = [
    "FORMATS",
    "Corpus",
    "Recording",
    "Utterance",
    "detect_format",
    "read_corpus",
    "write_corpus",
]
