"""Slot tagging: a linear-chain CRF (python-crfsuite) with N-best, confidences and active learning.

:class:`SlotTagger` learns IOB2 slot tags from tokenised utterances. crfsuite trains the
weights (SGD or L-BFGS); decoding reads the learned weights back (``Tagger.info()``) and runs in
numpy through :mod:`speechtext.decode`, so 1-best, N-best, marginals and entity confidences all
come from one lattice and all respect the IOB2 constraints (``I-x`` only after ``B-x`` or ``I-x``).

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
  it must at test time; a gazetteer built from the same sentences leaks (79.4 F1 on SNIPS test).

Entity confidence is the posterior probability of the entity (same span, same type) under the
CRF, from constrained forward-backward: ``P(y_s = B-x, y_s+1..e-1 = I-x, y_e != I-x)``, exact, not
from a truncated N-best list.
"""

import io
import json
import re
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from .errors import FormatError, NotFittedError, ParameterError
from .tags import IOB2_PREFIXES, repair_iob2, spans, split_tag

__all__ = [
    "ALGORITHMS",
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "SELECT_STRATEGIES",
    "SlotTagger",
]

MODEL_FORMAT = "speechtext-slot-tagger"
MODEL_VERSION = 1
SELECT_STRATEGIES = ("least-confidence", "margin", "entropy")
ALGORITHMS = ("lbfgs", "l2sgd")
_META = "tagger.json"
_CRF = "model.crfsuite"

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
}

_DIGITS = re.compile(r"\d+")
_ALPHA = re.compile(r"[^\W\d_]+")


def _shape(word):
    return _ALPHA.sub("a", _DIGITS.sub("d", word))


class _Featurizer:
    """Turns token lists into crfsuite attribute lists; holds the learned cue list and gazetteer."""

    def __init__(self, settings, cues=(), gazetteer=None, word_slots=None):
        self.settings = settings
        self.cues = frozenset(cues)
        self.gazetteer = gazetteer or {}
        self.word_slots = word_slots or {}
        self._word_cache = {}
        self._prefix_cache = {}

    @staticmethod
    def learn_cues(sentences, tags, n):
        counts = Counter(
            w
            for words, labels in zip(sentences, tags, strict=True)
            for w, t in zip(words, labels, strict=True)
            if t == "O"
        )
        return [w for w, _ in counts.most_common(n)]

    @staticmethod
    def learn_gazetteer(sentences, tags, max_len, min_rate=0.0):
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
        feats = [f"w={lower}", f"sh={_shape(word)}"]
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

    def gazetteer_marks(self, words, gazetteer):
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
    def learn_word_slots(sentences, tags, min_count=2, min_rate=0.5):
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

    def features(self, words, gazetteer=None, word_slots=None):
        """crfsuite attributes (lists of str) of one tokenised utterance."""
        s = self.settings
        lower = [w.lower() for w in words]
        n = len(words)
        if not n:
            return []
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
        word_features = self._word_features
        out = [
            ["bias", *word_features(word), *row, *shared, *mark]
            for word, row, mark in zip(words, rows, marks, strict=True)
        ]
        out[0].append("BOS")
        out[-1].append("EOS")
        return out

    def training_features(self, sentences, tags):
        """Features of the training sentences, gazetteer marks out of fold."""
        if not self.settings["gazetteer"]:
            return [self.features(w, gazetteer={}, word_slots={}) for w in sentences]
        folds = self.settings["gazetteer_folds"]
        fold_of = np.arange(len(sentences)) % folds
        out = [None] * len(sentences)
        max_len = self.settings["gazetteer_max_len"]
        for f in range(folds):
            others = np.flatnonzero(fold_of != f)
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
            for i in np.flatnonzero(fold_of == f):
                out[i] = self.features(sentences[i], gazetteer=gaz, word_slots=slots)
        return out


def _check_tokens(sentences, what="sentences"):
    if isinstance(sentences, str) or not hasattr(sentences, "__len__"):
        raise ParameterError(
            f"{what} must be a list of token lists, got {type(sentences).__name__}"
        )
    out = []
    for i, words in enumerate(sentences):
        if isinstance(words, str):
            raise ParameterError(
                f"{what}[{i}] is a string; give a list of tokens (e.g. text.split())"
            )
        words = list(words)
        for k, w in enumerate(words):
            if not isinstance(w, str) or not w or any(ch.isspace() for ch in w):
                raise ParameterError(
                    f"{what}[{i}], token {k}: {w!r} is not a non-empty token without white space"
                )
        out.append(words)
    return out


def _check_tagged(sentences, tags, what):
    """Validate a labelled set; repair stray I- tags (with one warning); return lists."""
    sentences = _check_tokens(sentences, what)
    if tags is None or len(tags) != len(sentences):
        raise ParameterError(
            f"{what}: {len(sentences)} sentences but "
            f"{'no' if tags is None else len(tags)} tag sequences"
        )
    out_tags, repaired = [], []
    for i, (words, labels) in enumerate(zip(sentences, tags, strict=True)):
        labels = list(labels)
        if not words:
            raise ParameterError(f"{what}[{i}] is empty; drop empty sentences before training")
        if len(labels) != len(words):
            raise ParameterError(
                f"{what}[{i}]: {len(words)} tokens but {len(labels)} tags; give one tag per token"
            )
        for k, tag in enumerate(labels):
            split_tag(tag, allowed=IOB2_PREFIXES, where=f"{what}[{i}], token {k}")
        labels, changed = repair_iob2(labels)
        if changed:
            repaired.append((i, changed[0]))
        out_tags.append(labels)
    if repaired:
        i, k = repaired[0]
        warnings.warn(
            f"{what}: {len(repaired)} sentences have an I- tag that does not continue an entity "
            f"(first: sentence {i}, token {k}); read as conlleval does, as the start of a new "
            "entity (B-)",
            stacklevel=3,
        )
    return sentences, out_tags


class SlotTagger:
    """IOB2 slot tagger: a linear-chain CRF trained by python-crfsuite, decoded in numpy.

    Parameters
    ----------
    algorithm : {"l2sgd", "lbfgs"}
        crfsuite's trainer: stochastic gradient descent with L2 regularisation (default: on
        SNIPS, 10 epochs already match 40 L-BFGS iterations in F1 in a quarter of the time), or
        L-BFGS with L1 and L2 regularisation.
    c1 : float or None
        L1 regularisation, L-BFGS only (None: 0.05 with L-BFGS).
    c2 : float
        L2 regularisation.
    iterations : int
        SGD epochs, or most L-BFGS iterations.
    min_freq : int
        Features seen fewer times in training are dropped (crfsuite ``feature.minfreq``).
    features : dict, optional
        Overrides of the feature settings (``DEFAULT_FEATURES``): ``window``, ``affixes``,
        ``bigrams``, ``cues``, ``cue_depth``, ``first_word``, ``first_cue``, ``bag_of_cues``,
        ``gazetteer``, ``gazetteer_folds``, ``gazetteer_max_len``, ``gazetteer_min_rate``.
    calibrate : bool
        With ``dev`` data, fit a temperature on it so that sequence and entity probabilities are
        calibrated (the tags themselves do not change).

    Attributes
    ----------
    labels_ : list of str
        The tags, in the column order of :meth:`marginals`.
    temperature_ : float
        The temperature scores are divided by (1.0 without calibration).
    dev_f1_ : float or None
        Entity F1 (seqeval, default mode) on ``dev`` after training.

    Examples
    --------
    >>> tagger = SlotTagger().fit(train_tokens, train_tags)  # doctest: +SKIP
    >>> tagger.predict([["fly", "to", "denver"]])  # doctest: +SKIP
    [['O', 'O', 'B-toloc.city_name']]
    """

    def __init__(
        self,
        *,
        algorithm="l2sgd",
        c1=None,
        c2=0.1,
        iterations=20,
        min_freq=0,
        features=None,
        calibrate=True,
    ):
        self.algorithm = algorithm
        self.c1 = c1
        self.c2 = c2
        self.iterations = iterations
        self.min_freq = min_freq
        self.features = features
        self.calibrate = calibrate

    # ------------------------------------------------------------------ training

    def _settings(self):
        settings = dict(DEFAULT_FEATURES)
        unknown = set(self.features or ()) - set(settings)
        if unknown:
            raise ParameterError(
                f"unknown feature settings {sorted(unknown)}; known: {sorted(settings)}"
            )
        settings.update(self.features or {})
        return settings

    def _check_params(self):
        if self.algorithm not in ALGORITHMS:
            raise ParameterError(
                f"algorithm={self.algorithm!r}; choose one of {', '.join(ALGORITHMS)}"
            )
        if self.c1 is not None and self.algorithm != "lbfgs":
            raise ParameterError(f"c1={self.c1!r} (L1) needs algorithm='lbfgs'")
        for name in ("c1", "c2"):
            value = getattr(self, name)
            if name == "c1" and value is None:
                continue
            if not isinstance(value, (int, float)) or not value >= 0:
                raise ParameterError(f"{name}={value!r} must be a number >= 0")
        for name, low in (("iterations", 1), ("min_freq", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ParameterError(f"{name}={value!r} must be a whole number >= {low}")

    def fit(self, sentences, tags, *, dev=None):
        """Train on tokenised, IOB2-tagged sentences.

        Parameters
        ----------
        sentences : list of list of str
        tags : list of list of str
            One IOB2 tag per token. An ``I-x`` that does not continue an ``x`` entity is read as
            conlleval reads it (the start of a new entity) and repaired, with a warning.
        dev : (sentences, tags), optional
            Held-out data: the temperature is fitted on it (if ``calibrate``) and ``dev_f1_``
            reports its F1.

        Returns
        -------
        self

        Raises
        ------
        ParameterError
            Mismatched lengths, an empty sentence, bad parameters.
        FormatError
            A tag that is not ``O``, ``B-x`` or ``I-x``.
        """
        import tempfile

        import pycrfsuite

        self._check_params()
        settings = self._settings()
        sentences, tags = _check_tagged(sentences, tags, "sentences")
        if dev is not None:
            if not isinstance(dev, (tuple, list)) or len(dev) != 2:
                raise ParameterError("dev must be a pair (sentences, tags)")
            dev_x, dev_y = _check_tagged(dev[0], dev[1], "dev")

        lowered = [[w.lower() for w in words] for words in sentences]
        featurizer = _Featurizer(
            settings,
            cues=_Featurizer.learn_cues(lowered, tags, settings["cues"]),
            gazetteer=(
                _Featurizer.learn_gazetteer(
                    lowered,
                    tags,
                    settings["gazetteer_max_len"],
                    settings.get("gazetteer_min_rate", 0.0),
                )
                if settings["gazetteer"]
                else {}
            ),
            word_slots=(
                _Featurizer.learn_word_slots(lowered, tags)
                if settings["gazetteer"] and settings.get("word_slots")
                else {}
            ),
        )
        trainer = pycrfsuite.Trainer(verbose=False)
        for feats, labels in zip(featurizer.training_features(sentences, tags), tags, strict=True):
            trainer.append(feats, labels)
        trainer.select(self.algorithm)
        params = {
            "c2": float(self.c2),
            "max_iterations": self.iterations,
            "feature.minfreq": float(self.min_freq),
            "feature.possible_transitions": True,
        }
        if self.algorithm == "lbfgs":
            params["c1"] = 0.05 if self.c1 is None else float(self.c1)
        trainer.set_params(params)
        with tempfile.TemporaryDirectory(prefix="speechtext-crf-") as tmp:
            model_path = str(Path(tmp) / "model.crfsuite")
            trainer.train(model_path)
            crf_bytes = Path(model_path).read_bytes()
        self._set_model(
            crf_bytes, settings, featurizer.cues, featurizer.gazetteer, featurizer.word_slots, 1.0
        )
        self.dev_f1_ = None
        if dev is not None:
            if self.calibrate:
                self.temperature_ = self._fit_temperature(dev_x, dev_y)
            from seqeval.metrics import f1_score

            self.dev_f1_ = float(f1_score(dev_y, self.predict(dev_x)))
        return self

    def _set_model(self, crf_bytes, settings, cues, gazetteer, word_slots, temperature):
        """Read crfsuite's learned weights into numpy arrays."""
        import pycrfsuite
        import scipy.sparse

        tagger = pycrfsuite.Tagger()
        try:
            tagger.open_inmemory(crf_bytes)
        except (ValueError, OSError) as exc:
            raise FormatError(f"the CRF model inside is not a crfsuite model ({exc})") from None
        info = tagger.info()
        labels = tagger.labels()
        tagger.close()
        label_id = {label: j for j, label in enumerate(labels)}
        attrs = {}
        rows, cols, vals = [], [], []
        for (attr, label), weight in info.state_features.items():
            rows.append(attrs.setdefault(attr, len(attrs)))
            cols.append(label_id[label])
            vals.append(weight)
        # One extra, all-zero row for attributes the model has not seen (see _emissions).
        self.state_weights_ = scipy.sparse.csr_matrix(
            (vals, (rows, cols)), shape=(len(attrs) + 1, len(labels))
        )
        trans = np.zeros((len(labels), len(labels)))
        for (a, b), weight in info.transitions.items():
            trans[label_id[a], label_id[b]] = weight
        self.transitions_ = trans
        self.attributes_ = attrs
        self.labels_ = list(labels)
        from .decode import iob_constraints

        self.allowed_ = iob_constraints(self.labels_)
        self.settings_ = settings
        self.featurizer_ = _Featurizer(
            settings, cues=cues, gazetteer=gazetteer, word_slots=word_slots
        )
        self.temperature_ = float(temperature)
        self.crf_ = crf_bytes

    def _fit_temperature(self, sentences, tags):
        """The temperature minimising the negative log-likelihood of the dev gold sequences."""
        from scipy.optimize import minimize_scalar

        from .decode import _as_lattice, _groups, _log_partition

        label_id = {label: j for j, label in enumerate(self.labels_)}
        keep = [i for i, t in enumerate(tags) if all(x in label_id for x in t)]
        if not keep:
            return 1.0
        ems = self._emissions([sentences[i] for i in keep], temperature=1.0)
        gold = [np.array([label_id[x] for x in tags[i]]) for i in keep]
        _, trans, start, end = _as_lattice(
            ems, self.transitions_, self.allowed_, None, None, batch=True
        )
        raw = np.array(
            [
                e[np.arange(len(g)), g].sum() + trans[g[:-1], g[1:]].sum()
                for e, g in zip(ems, gold, strict=True)
            ]
        )
        groups = list(_groups([len(e) for e in ems]))

        def nll(log_t):
            inv = np.exp(-log_t)
            total = -(raw * inv).sum()
            for group in groups:
                em = np.stack([ems[i] for i in group]) * inv
                total += _log_partition(em, trans * inv, start, end).sum()
            return total / len(ems)

        result = minimize_scalar(nll, bounds=(np.log(0.25), np.log(4.0)), method="bounded")
        return float(np.exp(result.x))

    # ------------------------------------------------------------------ scoring

    def _check_fitted(self):
        if not hasattr(self, "labels_"):
            raise NotFittedError("this SlotTagger is not trained; call fit() or SlotTagger.load()")

    def _emissions(self, sentences, *, temperature=None):
        """Per sentence, ``[T, L]`` state scores (divided by the temperature)."""
        from itertools import repeat

        import scipy.sparse

        attrs = self.attributes_
        flat, row_lengths, lengths = [], [], []
        features = self.featurizer_.features
        for words in sentences:
            feats = features(words)
            lengths.append(len(feats))
            for token in feats:
                row_lengths.append(len(token))
                flat.extend(token)
        # Attributes the model never saw map to its last row, which is all zeros.
        unknown = len(attrs)
        ids = np.fromiter(map(attrs.get, flat, repeat(unknown)), dtype=np.int64, count=len(flat))
        indptr = np.zeros(len(row_lengths) + 1, dtype=np.int64)
        np.cumsum(row_lengths, out=indptr[1:])
        x = scipy.sparse.csr_matrix(
            (np.ones(len(flat)), ids, indptr), shape=(len(row_lengths), unknown + 1)
        )
        scores = (x @ self.state_weights_).toarray()
        t = self.temperature_ if temperature is None else temperature
        if t != 1.0:
            scores /= t
        return np.split(scores, np.cumsum(lengths)[:-1]) if sentences else []

    def _lattices(self, sentences):
        sentences = _check_tokens(sentences)
        self._check_fitted()
        return self._emissions(sentences), self.transitions_ / self.temperature_

    def predict(self, sentences):
        """The best IOB2 tag sequence of each sentence (Viterbi under IOB2 constraints).

        Parameters
        ----------
        sentences : list of list of str

        Returns
        -------
        list of list of str

        Examples
        --------
        >>> tagger.predict([["play", "jazz"]])  # doctest: +SKIP
        [['O', 'B-genre']]
        """
        from .decode import viterbi_batch

        ems, trans = self._lattices(sentences)
        best = viterbi_batch(ems, trans, allowed=self.allowed_, normalize=False)
        return [[self.labels_[j] for j in labels] for labels, _ in best]

    def predict_nbest(self, sentences, k=4, *, beam=8):
        """The ``k`` best tag sequences of each sentence with their log-probabilities.

        Log-probabilities are normalised over the IOB2-valid sequences (forward algorithm), so
        ``exp(logprob)`` is each sequence's probability under the model.

        Parameters
        ----------
        sentences : list of list of str
        k : int
            Sequences per sentence (fewer for very short sentences).
        beam : int
            Beam width, at least ``k``.

        Returns
        -------
        list of list of (list of str, float)
            Per sentence, ``(tags, logprob)`` best first.

        Examples
        --------
        >>> [(tags, round(float(np.exp(lp)), 2)) for tags, lp in
        ...  tagger.predict_nbest([["play", "jazz"]], k=2)[0]]  # doctest: +SKIP
        [(['O', 'B-genre'], 0.93), (['O', 'B-playlist'], 0.04)]
        """
        from .decode import beam_search_batch

        ems, trans = self._lattices(sentences)
        found = beam_search_batch(ems, trans, beam=beam, nbest=k, allowed=self.allowed_)
        return [
            [([self.labels_[j] for j in labels], logprob) for labels, logprob in nb] for nb in found
        ]

    def _forward_backward(self, sentences):
        """Per sentence: emissions, log alpha, log beta, log Z (constrained, batched)."""
        from .decode import _as_lattice, _backward, _forward, _groups

        ems, trans = self._lattices(sentences)
        _, trans, start, end = _as_lattice(ems, trans, self.allowed_, None, None, batch=True)
        out = [None] * len(ems)
        lengths = [len(e) for e in ems]
        for group in _groups(lengths):
            if lengths[group[0]] == 0:
                for i in group:
                    out[i] = (ems[i], ems[i], ems[i], 0.0)
                continue
            em = np.stack([ems[i] for i in group])
            alpha, log_z = _forward(em, trans, start, end)
            beta = _backward(em, trans, end)
            for row, i in enumerate(group):
                out[i] = (ems[i], alpha[row], beta[row], float(log_z[row]))
        return out, trans, end

    def marginals(self, sentences):
        """Posterior probability of every tag at every token (constrained forward-backward).

        Returns
        -------
        list of np.ndarray [shape=(T, L)]
            Rows sum to 1; columns follow ``labels_``.

        Examples
        --------
        >>> p = tagger.marginals([["play", "jazz"]])[0]  # doctest: +SKIP
        >>> tagger.labels_[p[1].argmax()]  # doctest: +SKIP
        'B-genre'
        """
        fb, _, _ = self._forward_backward(sentences)
        return [np.exp(alpha + beta - log_z) for _, alpha, beta, log_z in fb]

    def _entity_logprob(self, em, alpha, beta, log_z, trans, start, end, kind):
        """Log posterior of the entity ``kind`` spanning tokens ``[start, end)``."""
        b = self._label_id.get(f"B-{kind}")
        i = self._label_id.get(f"I-{kind}")
        if b is None:
            return -np.inf
        score, prev = alpha[start, b], b
        for t in range(start + 1, end):
            if i is None:
                return -np.inf
            score += trans[prev, i] + em[t, i]
            prev = i
        if end == len(em):
            return score + beta[end - 1, prev] - log_z
        # The entity ends at `end`: the next tag is anything but I-kind.
        nxt = trans[prev] + em[end] + beta[end]
        if i is not None:
            nxt = nxt.copy()
            nxt[i] = -np.inf
        m = nxt.max()
        if not np.isfinite(m):
            return -np.inf
        return score + m + np.log(np.exp(nxt - m).sum()) - log_z

    @property
    def _label_id(self):
        cached = getattr(self, "_label_id_cache", None)
        if cached is None or cached[0] is not self.labels_:
            cached = self._label_id_cache = (
                self.labels_,
                {label: j for j, label in enumerate(self.labels_)},
            )
        return cached[1]

    def entity_confidences(self, sentences, tags=None):
        """The posterior probability of each entity of the predicted (or given) tags.

        The probability that the model's tag sequence holds exactly this entity: same span, same
        type, from constrained forward-backward.

        Parameters
        ----------
        sentences : list of list of str
        tags : list of list of str, optional
            Tags whose entities to score; by default the Viterbi prediction.

        Returns
        -------
        list of list of (int, int, str, float)
            Per sentence, ``(start, end, type, probability)`` per entity, ``end`` exclusive.

        Examples
        --------
        >>> tagger.entity_confidences([["play", "jazz"]])  # doctest: +SKIP
        [[(1, 2, 'genre', 0.97)]]
        """
        return [
            [(s, e, kind, p) for s, e, kind, p in ents]
            for ents, _ in self._confidences(sentences, tags)
        ]

    def _confidences(self, sentences, tags=None):
        """Per sentence: entity confidences and token marginals."""
        sentences = _check_tokens(sentences)
        if tags is None:
            tags = self.predict(sentences)
        fb, trans, _ = self._forward_backward(sentences)
        out = []
        for (em, alpha, beta, log_z), labels in zip(fb, tags, strict=True):
            if len(labels) != len(em):
                raise ParameterError(f"{len(em)} tokens but {len(labels)} tags")
            ents = []
            for s, e, kind in spans(labels):
                lp = self._entity_logprob(em, alpha, beta, log_z, trans, s, e, kind)
                ents.append((s, e, kind, float(np.exp(lp))))
            out.append((ents, np.exp(alpha + beta - log_z)))
        return out

    def token_scores(self, sentences, tags=None):
        """Per token, the confidence of the entity it belongs to, or its marginal of ``O``.

        This is the score column ``speechtext tag predict`` writes.

        Returns
        -------
        tags : list of list of str
        scores : list of list of float
        """
        sentences = _check_tokens(sentences)
        self._check_fitted()
        if tags is None:
            tags = self.predict(sentences)
        o = self._label_id.get("O")
        scores = []
        for (ents, marg), labels in zip(self._confidences(sentences, tags), tags, strict=True):
            row = [float(marg[k, o]) if o is not None else 0.0 for k in range(len(labels))]
            for s, e, _, p in ents:
                row[s:e] = [p] * (e - s)
            scores.append(row)
        return tags, scores

    # ------------------------------------------------------------------ active learning

    def uncertainty(self, sentences, *, by="least-confidence"):
        """How unsure the model is of each sentence (higher: more unsure).

        Parameters
        ----------
        by : {"least-confidence", "margin", "entropy"}
            ``least-confidence``: 1 - P(best sequence). ``margin``: 1 - (P(best) - P(second
            best)). ``entropy``: the sum over tokens of the entropy of the tag marginals (nats).

        Returns
        -------
        np.ndarray [shape=(n,)]
        """
        if by not in SELECT_STRATEGIES:
            raise ParameterError(f"by={by!r}; choose one of {', '.join(SELECT_STRATEGIES)}")
        sentences = _check_tokens(sentences)
        self._check_fitted()
        if by == "entropy":
            out = []
            for p in self.marginals(sentences):
                with np.errstate(divide="ignore", invalid="ignore"):
                    out.append(float(-np.nansum(p * np.log(p))))
            return np.array(out)
        nbest = self.predict_nbest(sentences, k=2, beam=4)
        first = np.array([np.exp(nb[0][1]) for nb in nbest])
        if by == "least-confidence":
            return 1.0 - first
        second = np.array([np.exp(nb[1][1]) if len(nb) > 1 else 0.0 for nb in nbest])
        return 1.0 - (first - second)

    def select(self, sentences, n, *, by="least-confidence"):
        """Indices of the ``n`` sentences the model is least sure of, most uncertain first.

        Examples
        --------
        >>> tagger.select(pool, 2, by="margin")  # doctest: +SKIP
        [41, 7]
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"n={n!r} must be a whole number of at least 1")
        scores = self.uncertainty(sentences, by=by)
        order = np.argsort(-scores, kind="stable")
        return [int(i) for i in order[:n]]

    # ------------------------------------------------------------------ persistence

    def to_bytes(self):
        """The model file's content (see :meth:`save`)."""
        self._check_fitted()
        meta = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "labels": self.labels_,
            "settings": self.settings_,
            "cues": sorted(self.featurizer_.cues),
            "gazetteer": self.featurizer_.gazetteer,
            "word_slots": self.featurizer_.word_slots,
            "temperature": self.temperature_,
            "params": {
                "algorithm": self.algorithm,
                "c1": self.c1,
                "c2": self.c2,
                "iterations": self.iterations,
                "min_freq": self.min_freq,
                "features": self.features,
                "calibrate": self.calibrate,
            },
            "dev_f1": getattr(self, "dev_f1_", None),
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(_META, json.dumps(meta, ensure_ascii=False))
            z.writestr(_CRF, self.crf_)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data, *, source="model"):
        """A tagger from a model file's content; FormatError if it is not one."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                meta = json.loads(z.read(_META).decode("utf-8"))
                crf_bytes = z.read(_CRF)
        except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError):
            raise FormatError(
                f"{source}: not a speechtext slot-tagger model; make one with "
                "`speechtext tag train DATA -o MODEL`"
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            raise FormatError(f"{source}: not a speechtext slot-tagger model")
        if meta.get("version") != MODEL_VERSION:
            raise FormatError(
                f"{source}: slot-tagger model version {meta.get('version')!r}, but this "
                f"speechtext reads version {MODEL_VERSION}; retrain it with `speechtext tag train`"
            )
        try:
            tagger = cls(**meta["params"])
            tagger._set_model(
                crf_bytes,
                meta["settings"],
                meta["cues"],
                meta["gazetteer"],
                meta.get("word_slots", {}),
                meta["temperature"],
            )
        except (KeyError, TypeError) as exc:
            raise FormatError(f"{source}: damaged slot-tagger model (missing {exc})") from None
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") from None
        tagger.dev_f1_ = meta.get("dev_f1")
        return tagger

    def save(self, path):
        """Write the model file, atomically: a zip holding ``tagger.json`` (format, version,
        labels, feature settings, cue words, gazetteer, temperature) and the crfsuite model.

        Examples
        --------
        >>> tagger.save("snips.tagger")  # doctest: +SKIP
        """
        from .io.atomic import write_bytes

        write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path):
        """Read a model file written by :meth:`save`.

        Raises
        ------
        FormatError
            The file is missing, not a slot-tagger model, or of another model version.

        Examples
        --------
        >>> tagger = SlotTagger.load("snips.tagger")  # doctest: +SKIP
        """
        from .io.text import read_bytes

        return cls.from_bytes(read_bytes(path, what="model"), source=str(path))
