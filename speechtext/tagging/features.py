"""Slot-tagger features: crfsuite attributes of tokenised utterances, learned cue words and an
out-of-fold gazetteer.

Features (measured on SNIPS; the gazetteer is worth about 1.2 F1, the rest a few tenths each):

- the word, its prefixes and suffixes (1-4 characters), its shape (``dd:dd``, ``a'a``), digit
  patterns (number and length of digit runs);
- the words at -3..+3 and the bigrams around the word;
- the two nearest *cue words* to the left and to the right (cue words: the 60 words most often
  tagged ``O`` in the training data, such as "to", "the", "my", "playlist", "by"), which carry the
  long-range context that decides a slot's type;
- the first word of the utterance and the bag of its cue words, on every token (a cheap stand-in
  for the intent: "add ... to my playlist", "book ... restaurant");
- a gazetteer of slot values seen in training: an n-gram of the utterance that matches a value of
  slot ``x`` marks its tokens ``B-x``/``I-x``; and the slot type of words seen mostly inside one
  slot type. In training both are built *out of fold* (each fold's marks come from the other
  folds' values), so the model learns how far to trust a match on a value it has not seen, as
  it must at test time; a gazetteer built from the same sentences leaks (79.4 F1 on SNIPS test);
- optionally (``clusters``, off by default: no gain on SNIPS valid), the word's cluster at three
  sizes and its neighbours', k-means of co-occurrence vectors of the training text.

:class:`FeatureIds` gives the same features as attribute ids of a trained model, for tagging.

Examples
--------
>>> featurizer = Featurizer(DEFAULT_FEATURES, cues=["to"])
>>> featurizer.features(["fly", "to", "Paris"])[2][:4]
['bias', 'w=paris', 'sh=a', 'upper']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from typing import Any

from ..errors import ParameterError
from ..tags import spans

__all__ = ["DEFAULT_FEATURES", "LATER_FEATURES", "FeatureIds", "Featurizer"]

DEFAULT_FEATURES = {
    "window": 3,  # neighbouring words at -window..+window
    "affixes": 4,  # prefixes and suffixes of 1..affixes characters
    "bigrams": True,
    "cues": 60,  # size of the cue-word list (0: no cue features)
    "cue_depth": 2,  # nearest cue words used on each side
    "first_word": True,
    "bag_of_cues": True,  # every cue word of the utterance, on every token
    "first_cue": False,  # the nearest cues conjoined with the first word
    "gazetteer": True,
    "gazetteer_folds": 4,
    "gazetteer_max_len": 6,
    "gazetteer_min_rate": 0.0,  # keep values tagged as a slot at least this often
    "word_slots": True,  # words seen mostly inside one slot type (out of fold in training)
    "intent_features": 5,  # conditioning on the intent: 0 none, 1 + intent, 2 + intent|word,
    # 3 + intent|nearest cues, 4 + intent|gazetteer marks, 5 + intent|neighbours (add_intent)
    "clusters": 0,  # word clusters learned from the training text: finest level's size (0: off)
}

# Settings added after model files were first written: a file without them has them off.
LATER_FEATURES = {"intent_features": 0, "clusters": 0}
CLUSTER_LEVELS = (16, 4, 1)  # the cluster levels: the finest size divided by these
CLUSTER_WINDOW = 2  # context words at -2..+2 make a word's co-occurrence vector
CLUSTER_DIMS = 64

_DIGITS = re.compile(r"\d+")
_ALPHA = re.compile(r"[^\W\d_]+")


def _shape(word: str) -> str:
    return _ALPHA.sub("a", _DIGITS.sub("d", word))


class Featurizer:
    """Turns token lists into crfsuite attribute lists; holds the learned cue list and gazetteer.

    Parameters
    ----------
    settings : dict
        Feature settings, every key of :data:`DEFAULT_FEATURES`.
    cues : iterable of str
        Cue words (lower case), from :meth:`learn_cues`.
    gazetteer : dict, optional
        ``{value: sorted slot types}`` from :meth:`learn_gazetteer`.
    word_slots : dict, optional
        ``{word: slot type}`` from :meth:`learn_word_slots`.
    """

    def __init__(
        self,
        settings: Mapping[str, Any],
        cues: Iterable[str] = (),
        gazetteer: dict[str, list[str]] | None = None,
        word_slots: dict[str, str] | None = None,
        clusters: dict[str, list[int]] | None = None,
    ):
        self.settings = settings
        self.cues = frozenset(cues)
        self.gazetteer = gazetteer or {}
        self.word_slots = word_slots or {}
        self.clusters = clusters or {}
        self._cluster_features = {
            w: [f"c{level}={c}" for level, c in enumerate(ids)] for w, ids in self.clusters.items()
        }
        self._word_cache = {}
        self._prefix_cache = {}

    @classmethod
    def learn(
        cls,
        settings: Mapping[str, Any],
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]],
        unlabeled: Sequence[Sequence[str]] = (),
    ) -> Featurizer:
        """A featurizer with the cue words, gazetteer and word slots of the training data; the
        word clusters (learned without tags) come from ``unlabeled`` text as well."""
        lowered = [[w.lower() for w in words] for words in sentences]
        gazetteer = settings["gazetteer"]
        return cls(
            settings,
            cues=cls.learn_cues(lowered, tags, settings["cues"]),
            gazetteer=(
                cls.learn_gazetteer(
                    lowered,
                    tags,
                    settings["gazetteer_max_len"],
                    settings.get("gazetteer_min_rate", 0.0),
                )
                if gazetteer
                else {}
            ),
            word_slots=(
                cls.learn_word_slots(lowered, tags)
                if gazetteer and settings.get("word_slots")
                else {}
            ),
            clusters=cls.learn_clusters(
                lowered + [[w.lower() for w in words] for words in unlabeled],
                settings.get("clusters", 0),
            ),
        )

    @staticmethod
    def learn_clusters(sentences: Sequence[Sequence[str]], size: int) -> dict[str, list[int]]:
        """``{word: [cluster id per level]}``: k-means of the words' co-occurrence vectors.

        Unsupervised, from the (lower-cased) training text alone, so no tag leaks: each word's
        counts of the words at -2..+2 (by position), positive PMI, a 64-dimensional truncated
        SVD, unit length, then k-means at the sizes ``size // 16``, ``size // 4`` and ``size``.
        Rare words share a cluster with frequent words used alike (an artist seen once with
        the artists), which the CRF's word features cannot give them.
        """
        if not size:
            return {}
        import numpy as np
        import scipy.sparse
        from scipy.sparse.linalg import svds

        try:
            from sklearn.cluster import KMeans
        except ImportError:  # pragma: no cover - the train extra
            raise ParameterError(
                "learning word clusters needs scikit-learn: pip install 'speechtext[train]'"
            ) from None
        vocab: dict[str, int] = {}
        for words in sentences:
            for w in words:
                vocab.setdefault(w, len(vocab))
        n = len(vocab)
        win = CLUSTER_WINDOW
        rows, cols = [], []
        for words in sentences:
            ids = [vocab[w] for w in words]
            for k, i in enumerate(ids):
                for d in range(1, win + 1):
                    offset = 2 * (d - 1) * n
                    if k - d >= 0:
                        rows.append(i)
                        cols.append(offset + ids[k - d])
                    if k + d < len(ids):
                        rows.append(i)
                        cols.append(offset + n + ids[k + d])
        counts = scipy.sparse.coo_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(n, 2 * win * n)
        ).tocsr()
        counts.sum_duplicates()
        total = counts.sum()
        row_sums = np.asarray(counts.sum(axis=1)).ravel()
        col_sums = np.asarray(counts.sum(axis=0)).ravel()
        coo = counts.tocoo()
        pmi = np.log(coo.data * total / (row_sums[coo.row] * col_sums[coo.col]))
        keep = pmi > 0
        ppmi = scipy.sparse.csr_matrix(
            (pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape
        )
        dims = min(CLUSTER_DIMS, n - 1)
        u, sv, _ = svds(ppmi, k=dims, random_state=0)
        vectors = u * np.sqrt(sv)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        levels = []
        for div in CLUSTER_LEVELS:
            k = max(2, min(size // div, n))
            levels.append(KMeans(k, n_init=1, random_state=0).fit_predict(vectors))
        words = sorted(vocab, key=vocab.get)
        return {w: [int(level[i]) for level in levels] for i, w in enumerate(words)}

    @staticmethod
    def learn_cues(
        sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], n: int
    ) -> list[str]:
        """The ``n`` words most often tagged ``O``, most frequent first."""
        counts = Counter(
            w
            for words, labels in zip(sentences, tags, strict=True)
            for w, t in zip(words, labels, strict=True)
            if t == "O"
        )
        return [w for w, _ in counts.most_common(n)]

    @staticmethod
    def learn_gazetteer(
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]],
        max_len: int,
        min_rate: float = 0.0,
    ) -> dict[str, list[str]]:
        """``{value words joined by space: sorted slot types}`` from tagged sentences.

        With ``min_rate``, a value is kept only if at least that share of its occurrences in
        the sentences are tagged as a slot (so "the" or "me" do not mark every utterance).
        """
        gaz = {}
        for words, labels in zip(sentences, tags, strict=True):
            for start, end, kind in spans(labels):
                if end - start <= max_len:
                    gaz.setdefault(" ".join(words[start:end]).lower(), Counter())[kind] += 1
        if min_rate > 0:
            prefixes = {" ".join(v.split(" ")[:i]) for v in gaz for i in range(1, v.count(" ") + 1)}
            seen = Counter()
            for words in sentences:
                lower = [w.lower() for w in words]
                for start in range(len(lower)):
                    key = lower[start]
                    for end in range(start + 1, min(len(lower), start + max_len) + 1):
                        if end > start + 1:
                            key = key + " " + lower[end - 1]
                        if key in gaz:
                            seen[key] += 1
                        if key not in prefixes:
                            break
            gaz = {
                v: kinds for v, kinds in gaz.items() if sum(kinds.values()) >= min_rate * seen[v]
            }
        return {value: sorted(kinds) for value, kinds in gaz.items()}

    def _word_features(self, word):
        feats = self._word_cache.get(word)
        if feats is not None:
            return feats
        lower = word.lower()
        feats = [f"w={lower}", f"sh={_shape(word)}", *self._cluster_features.get(lower, ())]
        if word != lower:
            feats.append("upper")
        for n in range(1, self.settings["affixes"] + 1):
            if len(lower) > n:
                feats.append(f"p{n}={lower[:n]}")
                feats.append(f"s{n}={lower[-n:]}")
        if any(ch.isdigit() for ch in word):
            digits = _DIGITS.findall(word)
            feats.append(f"dg={len(digits)}:{len(max(digits, key=len))}")
        if len(self._word_cache) < 200_000:
            self._word_cache[word] = feats
        return feats

    def _prefixes(self, gazetteer):
        """Every word prefix of the gazetteer's values, to stop extending an n-gram early."""
        cached = self._prefix_cache.get(id(gazetteer))
        if cached is None or cached[0] is not gazetteer:
            prefixes = set()
            for value in gazetteer:
                parts = value.split(" ")
                for i in range(1, len(parts)):
                    prefixes.add(" ".join(parts[:i]))
            cached = self._prefix_cache[id(gazetteer)] = (gazetteer, prefixes)
        return cached[1]

    def gazetteer_marks(
        self, words: Sequence[str], gazetteer: Mapping[str, Sequence[str]]
    ) -> list[list[str]]:
        """Per token, the ``B-x``/``I-x`` marks of the gazetteer values the utterance holds."""
        marks = [[] for _ in words]
        if not gazetteer:
            return marks
        prefixes = self._prefixes(gazetteer)
        n = len(words)
        max_len = self.settings["gazetteer_max_len"]
        for start in range(n):
            key = words[start]
            for end in range(start + 1, min(n, start + max_len) + 1):
                if end > start + 1:
                    key = key + " " + words[end - 1]
                kinds = gazetteer.get(key)
                if kinds:
                    for kind in kinds:
                        marks[start].append(f"g=B-{kind}")
                        for k in range(start + 1, end):
                            marks[k].append(f"g=I-{kind}")
                if key not in prefixes:
                    break
        return marks

    @staticmethod
    def learn_word_slots(
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]],
        min_count: int = 2,
        min_rate: float = 0.5,
    ) -> dict[str, str]:
        """``{word: slot type}`` for words seen inside one slot type in most of their uses."""
        uses, inside = Counter(), {}
        for words, labels in zip(sentences, tags, strict=True):
            for w, t in zip(words, labels, strict=True):
                w = w.lower()
                uses[w] += 1
                if t != "O":
                    inside.setdefault(w, Counter())[t[2:]] += 1
        out = {}
        for w, kinds in inside.items():
            kind, count = kinds.most_common(1)[0]
            if count >= min_count and count >= min_rate * uses[w]:
                out[w] = kind
        return out

    def features(
        self,
        words: Sequence[str],
        gazetteer: Mapping[str, Sequence[str]] | None = None,
        word_slots: Mapping[str, str] | None = None,
        intent: str | None = None,
    ) -> list[list[str]]:
        """crfsuite attributes (lists of str) of one tokenised utterance.

        With ``intent`` and the ``intent_features`` setting, features conjoined with the
        utterance's intent are added, so that the same words can mean another slot type under
        another intent (SNIPS slot types are intent-specific).
        """
        rows, conjoinable, _ = self.parts(words, gazetteer, word_slots)
        return self.add_intent(rows, [w.lower() for w in words], intent, conjoinable)

    def parts(
        self,
        words: Sequence[str],
        gazetteer: Mapping[str, Sequence[str]] | None = None,
        word_slots: Mapping[str, str] | None = None,
    ) -> tuple[list[list[str]], list[list[str]], list[str]]:
        """The features of :meth:`features` before the intent is known, and what the intent
        needs: per token the features to conjoin with it, and the utterance's slot hints
        (:meth:`slot_hints`)."""
        s = self.settings
        lower = [w.lower() for w in words]
        n = len(words)
        if not n:
            return [], [], []
        level = s.get("intent_features", 0)
        win = s["window"]
        padded = ["<s>"] * win + lower + ["</s>"] * win
        # Context features are built a column at a time (one comprehension per kind), which is
        # several times faster than formatting them token by token.
        cols = []
        for d in range(1, win + 1):
            cols.append([f"w-{d}={w}" for w in padded[win - d : win - d + n]])
            cols.append([f"w+{d}={w}" for w in padded[win + d : win + d + n]])
        if s["bigrams"]:
            pairs = [f"{a}|{b}" for a, b in zip(padded[win - 1 :], padded[win:], strict=False)]
            cols.append(["b-=" + p for p in pairs[:n]])
            cols.append(["b+=" + p for p in pairs[1 : n + 1]])
        if self.clusters:
            # The neighbours' middle-level clusters: "by <an artist-like word>"
            clusters = self.clusters
            mid = [str(clusters[w][1]) if w in clusters else "-" for w in lower]
            padded_c = ["<s>"] + mid + ["</s>"]
            cols.append(["c-1=" + c for c in padded_c[:n]])
            cols.append(["c+1=" + c for c in padded_c[2:]])
        conjoinable = [[] for _ in range(n)]
        if level >= 5:
            conjoinable = [list(pair) for pair in zip(cols[0], cols[1], strict=True)]
        if s["cues"]:
            # The nearest `cue_depth` cue words on each side, nearest first.
            depth = s.get("cue_depth", 1)
            cues = self.cues
            for side, seq, pad in (("lc", lower, "<s>"), ("rc", lower[::-1], "</s>")):
                seen = [pad] * depth
                per_depth = [[] for _ in range(depth)]
                for w in seq:
                    for d in range(depth):
                        per_depth[d].append(seen[-1 - d])
                    if w in cues:
                        seen.append(w)
                for d in range(depth):
                    values = per_depth[d] if side == "lc" else per_depth[d][::-1]
                    cols.append([f"{side}{d}={w}" for w in values])
                    if d == 0 and level >= 3:
                        for c, f in zip(conjoinable, cols[-1], strict=True):
                            c.append(f)
                    if d == 0 and s.get("first_cue"):
                        # The cue read in the light of the utterance's first word ("add ... to"
                        # is a playlist, "play ... by" an artist).
                        cols.append([f"f{side}={lower[0]}|{w}" for w in values])
        rows = list(zip(*cols, strict=True)) if cols else [()] * n
        shared = [f"first={lower[0]}"] if s["first_word"] else []
        if s.get("bag_of_cues"):
            shared.extend(sorted({f"has={w}" for w in lower if w in self.cues}))
        marks = self.gazetteer_marks(lower, self.gazetteer if gazetteer is None else gazetteer)
        slots = self.word_slots if word_slots is None else word_slots
        if slots:
            for k, w in enumerate(lower):
                kind = slots.get(w)
                if kind:
                    marks[k] = [*marks[k], "ws=" + kind]
        if level >= 4:
            for c, mark in zip(conjoinable, marks, strict=True):
                c.extend(mark)
        hints = sorted({m for mark in marks for m in mark if m[0] == "w" or m[2] == "B"})
        word_features = self._word_features
        out = [
            ["bias", *word_features(word), *row, *shared, *mark]
            for word, row, mark in zip(words, rows, marks, strict=True)
        ]
        out[0].append("BOS")
        out[-1].append("EOS")
        return out, conjoinable, hints

    def add_intent(
        self,
        rows: list[list[str]],
        lower: Sequence[str],
        intent: str | None,
        conjoinable: list[list[str]],
    ) -> list[list[str]]:
        """``rows`` (one utterance's features from :meth:`parts`, lower-cased words ``lower``)
        with the features conjoined with ``intent`` appended, in place, as the
        ``intent_features`` setting asks.

        Level 1 adds the intent, 2 the intent with the word, 3 with the nearest cue words,
        4 with the gazetteer and slot-word marks, 5 with the neighbouring words.
        """
        level = self.settings.get("intent_features", 0)
        if not level or intent is None:
            return rows
        for row, w, conj in zip(rows, lower, conjoinable, strict=True):
            row.append(f"int={intent}")
            if level >= 2:
                row.append(f"iw={intent}|{w}")
            row.extend([f"i{f}|{intent}" for f in conj])
        return rows

    def training_features(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]],
        intents: Sequence[str] | None = None,
    ) -> list[list[list[str]]]:
        """Features of the training sentences, gazetteer marks out of fold.

        Sentence ``i`` is in fold ``i % gazetteer_folds``; its gazetteer and word-slot marks
        come from the values of the other folds only. ``intents``: each sentence's (gold)
        intent, for the intent features.
        """
        if intents is None:
            intents = [None] * len(sentences)
        if not self.settings["gazetteer"]:
            return [
                self.features(w, gazetteer={}, word_slots={}, intent=i)
                for w, i in zip(sentences, intents, strict=True)
            ]
        out = [None] * len(sentences)
        for fold, gaz, slots in self._fold_lexicons(sentences, tags):
            for i in fold:
                out[i] = self.features(
                    sentences[i], gazetteer=gaz, word_slots=slots, intent=intents[i]
                )
        return out

    def _fold_lexicons(self, sentences, tags):
        """Per fold: its sentence indices, and the gazetteer and word slots of the others."""
        folds = self.settings["gazetteer_folds"]
        n = len(sentences)
        max_len = self.settings["gazetteer_max_len"]
        for f in range(folds):
            others = [i for i in range(n) if i % folds != f]
            gaz = self.learn_gazetteer(
                [sentences[i] for i in others],
                [tags[i] for i in others],
                max_len,
                self.settings.get("gazetteer_min_rate", 0.0),
            )
            slots = (
                self.learn_word_slots([sentences[i] for i in others], [tags[i] for i in others])
                if self.settings.get("word_slots")
                else {}
            )
            yield range(f, n, folds), gaz, slots

    def slot_hints(
        self,
        words: Sequence[str],
        gazetteer: Mapping[str, Sequence[str]] | None = None,
        word_slots: Mapping[str, str] | None = None,
    ) -> list[str]:
        """The slot types the utterance's gazetteer matches and slot words point to, as
        features of the intent classifier (``g=B-x``, ``ws=x``; a playlist name says
        AddToPlaylist, a movie name SearchScreeningEvent)."""
        lower = [w.lower() for w in words]
        gaz = self.gazetteer if gazetteer is None else gazetteer
        slots = self.word_slots if word_slots is None else word_slots
        out = {m for marks in self.gazetteer_marks(lower, gaz) for m in marks if m[2] == "B"}
        out.update("ws=" + slots[w] for w in lower if w in slots)
        return sorted(out)

    def training_slot_hints(
        self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]
    ) -> list[list[str]]:
        """:meth:`slot_hints` of the training sentences, out of fold (as the gazetteer marks)."""
        if not self.settings["gazetteer"]:
            return [[] for _ in sentences]
        out = [None] * len(sentences)
        for fold, gaz, slots in self._fold_lexicons(sentences, tags):
            for i in fold:
                out[i] = self.slot_hints(sentences[i], gaz, slots)
        return out


class FeatureIds:
    """:meth:`Featurizer.parts` and :meth:`Featurizer.add_intent` as rows of attribute ids.

    Tagging needs the ids of the features in the model's attribute table, not their strings:
    this builds the same features in the same order as the featurizer (so the same emissions,
    to the last digit: tested), but looks up
    each word's own features, its features as a neighbour and each bigram once per word (or
    pair) and keeps the ids, so most tokens format no string at all. A feature the model has
    not seen gets the id ``len(attrs)`` (the tagger's all-zero row).

    Parameters
    ----------
    featurizer : Featurizer
    attrs : dict
        ``{attribute string: id}`` of the model.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, featurizer: Featurizer, attrs: Mapping[str, int]):
        self.featurizer = featurizer
        self.attrs = attrs
        self.unknown = len(attrs)
        self._words = {}  # word -> ids of its own features (bias included)
        self._context = {}  # lower-case word -> (ids as neighbour per role, w-1 and w+1 strings)
        self._bigrams = {}  # (a, b) -> (id of b-=a|b, id of b+=a|b)
        self._strings = {}  # any other feature string -> id
        self._cues = {}  # (side, depth) -> {cue word: (feature, id)}
        self._intent = {}  # intent -> ids of its conjunctions, by word and by feature

    def _id(self, feature):
        found = self._strings.get(feature)
        if found is None:
            found = self.attrs.get(feature, self.unknown)
            if len(self._strings) < self._CACHE_LIMIT:
                self._strings[feature] = found
        return found

    def _word_ids(self, word):
        found = self._words.get(word)
        if found is None:
            attrs = self.attrs
            feats = ("bias", *self.featurizer._word_features(word))
            found = [attrs[f] for f in feats if f in attrs]
            if len(self._words) < self._CACHE_LIMIT:
                self._words[word] = found
        return found

    def _context_ids(self, lower):
        found = self._context.get(lower)
        if found is None:
            get, unknown = self.attrs.get, self.unknown
            win = self.featurizer.settings["window"]
            roles = [f"w{sign}{d}={lower}" for d in range(1, win + 1) for sign in "-+"]
            found = ([get(f, unknown) for f in roles], roles[0], roles[1])
            if len(self._context) < self._CACHE_LIMIT:
                self._context[lower] = found
        return found

    def _bigram_ids(self, a, b):
        found = self._bigrams.get((a, b))
        if found is None:
            pair = f"{a}|{b}"
            get, unknown = self.attrs.get, self.unknown
            found = (get("b-=" + pair, unknown), get("b+=" + pair, unknown))
            if len(self._bigrams) < self._CACHE_LIMIT:
                self._bigrams[a, b] = found
        return found

    def parts(self, words: Sequence[str]) -> tuple[list[list[int]], list[list[str]], list[str]]:
        """Per token the attribute ids of :meth:`Featurizer.parts`' features, the features to
        conjoin with the intent (strings) and the slot hints."""
        fz = self.featurizer
        s = fz.settings
        lower = [w.lower() for w in words]
        n = len(words)
        if not n:
            return [], [], []
        level = s.get("intent_features", 0)
        win = s["window"]
        context, known = self._context_ids, self._context
        padded = [context("<s>")] * win
        padded += [known.get(w) or context(w) for w in lower]
        padded += [context("</s>")] * win
        # Column by column, as Featurizer.parts
        cols = []
        for d in range(1, win + 1):
            r = 2 * (d - 1)
            cols.append([c[0][r] for c in padded[win - d : win - d + n]])
            cols.append([c[0][r + 1] for c in padded[win + d : win + d + n]])
        if s["bigrams"]:
            words_p = ["<s>", *lower, "</s>"]
            bigram = self._bigram_ids
            pairs = [bigram(a, b) for a, b in zip(words_p, words_p[1:], strict=False)]
            cols.append([p[0] for p in pairs[:n]])
            cols.append([p[1] for p in pairs[1:]])
        if fz.clusters:
            clusters = fz.clusters
            mid = [str(clusters[w][1]) if w in clusters else "-" for w in lower]
            padded_c = ["<s>", *mid, "</s>"]
            cols.append([self._id("c-1=" + c) for c in padded_c[:n]])
            cols.append([self._id("c+1=" + c) for c in padded_c[2:]])
        conjoinable = [[] for _ in range(n)]
        if level >= 5:
            left, right = padded[win - 1 : win - 1 + n], padded[win + 1 : win + 1 + n]
            conjoinable = [[a[1], b[2]] for a, b in zip(left, right, strict=True)]
        if s["cues"]:
            depth = s.get("cue_depth", 1)
            cues = fz.cues
            for side, seq, pad in (("lc", lower, "<s>"), ("rc", lower[::-1], "</s>")):
                # As Featurizer.parts, by counting: token p's d-th nearest cue on this side is
                # the (cues before p - d)-th cue of the sequence, or the pad
                is_cue = [w in cues for w in seq]
                seen = [pad] * depth + [w for w, c in zip(seq, is_cue, strict=True) if c]
                counts = list(accumulate(is_cue, initial=depth - 1))[:n]
                for d in range(depth):
                    values = [seen[c - d] for c in counts]
                    if side == "rc":
                        values.reverse()
                    # The cue features by cue word: few words, each formatted once
                    by_cue = self._cues.setdefault((side, d), {})
                    for w in set(values) - by_cue.keys():
                        by_cue[w] = (f := f"{side}{d}={w}", self.attrs.get(f, self.unknown))
                    found = [by_cue[w] for w in values]
                    cols.append([f[1] for f in found])
                    if d == 0 and level >= 3:
                        for c, f in zip(conjoinable, found, strict=True):
                            c.append(f[0])
                    if d == 0 and s.get("first_cue"):
                        cols.append([self._id(f"f{side}={lower[0]}|{w}") for w in values])
        shared = [f"first={lower[0]}"] if s["first_word"] else []
        if s.get("bag_of_cues"):
            shared.extend(sorted({f"has={w}" for w in lower if w in fz.cues}))
        shared_ids = [self._id(f) for f in shared]
        marks = fz.gazetteer_marks(lower, fz.gazetteer)
        if fz.word_slots:
            for k, w in enumerate(lower):
                kind = fz.word_slots.get(w)
                if kind:
                    marks[k] = [*marks[k], "ws=" + kind]
        if level >= 4:
            for c, mark in zip(conjoinable, marks, strict=True):
                c.extend(mark)
        hints = sorted({m for mark in marks for m in mark if m[0] == "w" or m[2] == "B"})
        own, known = self._word_ids, self._words
        rows = [
            [*(known.get(w) or own(w)), *row, *shared_ids]
            for w, row in zip(words, zip(*cols, strict=True), strict=True)
        ]
        for row, mark in zip(rows, marks, strict=True):
            if mark:
                row.extend([self._id(f) for f in mark])
        rows[0].append(self._id("BOS"))
        rows[-1].append(self._id("EOS"))
        return rows, conjoinable, hints

    def add_intent(
        self,
        rows: list[list[int]],
        lower: Sequence[str],
        intent: str | None,
        conjoinable: list[list[str]],
    ) -> list[list[int]]:
        """:meth:`Featurizer.add_intent` on rows of ids, in place."""
        level = self.featurizer.settings.get("intent_features", 0)
        if not level or intent is None:
            return rows
        caches = self._intent.get(intent)
        if caches is None or len(caches[0]) + len(caches[1]) > self._CACHE_LIMIT:
            caches = self._intent[intent] = ({}, {})  # by word, by conjoined feature
        by_word, by_feature = caches
        get, unknown = self.attrs.get, self.unknown
        own = self._id(f"int={intent}")
        for row, w, conj in zip(rows, lower, conjoinable, strict=True):
            row.append(own)
            if level >= 2:
                i = by_word.get(w)
                if i is None:
                    i = by_word[w] = get(f"iw={intent}|{w}", unknown)
                row.append(i)
            for f in conj:
                i = by_feature.get(f)
                if i is None:
                    i = by_feature[f] = get(f"i{f}|{intent}", unknown)
                row.append(i)
        return rows
