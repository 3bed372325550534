"""The slot tagger: a linear-chain CRF (python-crfsuite), N-best, confidences, active learning;
with intents, joint (an intent classifier, and slots conditioned on the predicted intent).

:class:`SlotTagger` learns IOB2 slot tags from tokenised utterances. crfsuite trains the
weights (SGD or L-BFGS) on the features of :mod:`speechtext.tagging.features`; decoding reads the
learned weights back (in Python: :func:`~speechtext.tagging.model_file.read_crfsuite`) and runs
in numpy through :mod:`speechtext.decode`, so
1-best, N-best, marginals and entity confidences all come from one lattice and all respect the
IOB2 constraints (``I-x`` only after ``B-x`` or ``I-x``).

Entity confidence is the posterior probability of the entity (same span, same type) under the
CRF, from constrained forward-backward: ``P(y_s = B-x, y_s+1..e-1 = I-x, y_e != I-x)``, exact, not
from a truncated N-best list.

Trained with intents, the tagger first predicts the intent
(:class:`~speechtext.tagging.intent.IntentClassifier`, over the words and the slot types the
gazetteer finds) and conditions the slot features on it (``intent_features``); every lattice,
so N-best, marginals and confidences too, is the one of the predicted intent. The temperature is
fitted on dev with predicted intents, so that a wrong intent counts in the confidences.

Tagging looks the features up as attribute ids (:class:`~speechtext.tagging.features.FeatureIds`:
the featurizer's features, in its order, so the same scores to the last digit, each word's,
neighbour's and bigram's ids cached) and decodes a large batch with one compiled Viterbi
(:mod:`~speechtext.tagging.kernels`, numba); ``bench/tagging.py`` times it against the previous
path (feature strings, numpy Viterbi).

The module imports neither numpy nor crfsuite until a tagger trains or tags, so that reading its
constants and building a tagger stay light.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFittedError, ParameterError
from ..tags import IOB2_PREFIXES, repair_iob2, spans, split_tag
from .features import DEFAULT_FEATURES, LATER_FEATURES, Featurizer
from .model_file import (
    CRF_MEMBER,
    META_MEMBER,
    NETWORK_MEMBER,
    DamagedModelError,
    check_fields,
    pack_model,
    read_crfsuite,
    unpack_model,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ALGORITHMS",
    "MIN_SENTENCES_PER_SLOT",
    "SELECT_STRATEGIES",
    "SlotTagger",
    "TrainingDataError",
    "slot_counts",
]

SELECT_STRATEGIES = ("least-confidence", "margin", "entropy")
ALGORITHMS = ("lbfgs", "l2sgd")
MIN_SENTENCES_PER_SLOT = 5  # a slot type in fewer training sentences gets a warning
NUMBA_MIN_TOKENS = 2000  # predict decodes this many tokens or more with the numba Viterbi

Tokens = Sequence[Sequence[str]]


def _dev_f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    """Entity F1 of ``pred`` against ``gold``, micro average, as conlleval and seqeval count it."""
    from ..evaluation import evaluate  # numpy; here rather than seqeval, which loads sklearn

    return float(evaluate(gold, pred).micro.f1)


def _check_tokens(sentences: Tokens, what: str = "sentences") -> list[list[str]]:
    """The sentences as lists of tokens; ParameterError naming the first that is not one."""
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


def _check_intents(intents, n, what):
    """The intents as a list of names, one per sentence, or None."""
    if intents is None:
        return None
    if isinstance(intents, str) or not hasattr(intents, "__len__"):
        raise ParameterError(f"{what} must be a list of intent names, one per sentence")
    intents = list(intents)
    if len(intents) != n:
        raise ParameterError(f"{what}: {len(intents)} intents for {n} sentences; give one each")
    for i, name in enumerate(intents):
        if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
            raise ParameterError(f"{what}[{i}]: {name!r} is not a name without white space")
    return intents


def _repeat(items, counts):
    """Each item repeated its count of times (a bootstrap resample from its distinct items)."""
    return [x for x, c in zip(items, counts, strict=True) for _ in range(c)]


class TrainingDataError(ParameterError):
    """Training data a tagger cannot learn from (no slot tag at all; one sentence for SGD).

    The message is about the data, not an argument, so that a caller that read it from a file
    can put the file's name in front of it.
    """


def slot_counts(tags: Sequence[Sequence[str]]) -> dict[str, int]:
    """Slot type -> number of sentences holding at least one entity of that type (IOB2 tags).

    Examples
    --------
    >>> slot_counts([["B-city", "O", "B-city"], ["O", "B-date", "I-date"], ["O"]])
    {'city': 1, 'date': 1}
    """
    counts: dict[str, int] = {}
    for labels in tags:
        for kind in sorted({kind for _, _, kind in spans(labels)}):
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def _check_learnable(tags: list[list[str]], algorithm: str) -> None:
    """TrainingDataError for data no tagger learns from; a warning for rare slot types."""
    counts = slot_counts(tags)
    if not counts:
        raise TrainingDataError(
            f"no slot tags: all {sum(map(len, tags))} tokens of the {len(tags)} training "
            "sentences are tagged O, so there is no slot to learn; tag the slot values "
            "(B-type on the first token, I-type on the next ones)"
        )
    if algorithm == "l2sgd" and len(tags) == 1:
        # crfsuite's SGD rates each trial learning rate by the sentences' losses before their
        # own updates: with one sentence no rate looks better than none, and it learns nothing.
        raise TrainingDataError(
            "a single training sentence: SGD (algorithm 'l2sgd') learns nothing from one "
            "sentence (crfsuite picks its learning rate by the loss before each sentence's own "
            "update, so no rate looks better than none): its tags would be guesses; give more "
            "sentences, or train with L-BFGS (algorithm='lbfgs'; speechtext tag train "
            "--algorithm lbfgs)"
        )
    rare = sorted((n, kind) for kind, n in counts.items() if n < MIN_SENTENCES_PER_SLOT)
    if rare:
        names = ", ".join(f"{kind} ({n})" for n, kind in rare[:12])
        warnings.warn(
            f"{len(rare)} of {len(counts)} slot types occur in fewer than "
            f"{MIN_SENTENCES_PER_SLOT} training sentences, too few for the tagger to learn "
            f"them reliably: {names}{' ...' if len(rare) > 12 else ''}; add sentences with them",
            stacklevel=3,
        )


def _check_tagged(
    sentences: Tokens, tags: Tokens | None, what: str
) -> tuple[list[list[str]], list[list[str]]]:
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

    A scikit-learn estimator: the constructor only stores its keyword arguments,
    :meth:`get_params` and :meth:`set_params` read and change them (so ``sklearn.base.clone``
    and grid searches work), :meth:`fit` validates and learns, and learned state ends in ``_``.

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
        ``gazetteer``, ``gazetteer_folds``, ``gazetteer_max_len``, ``gazetteer_min_rate``,
        ``word_slots``, ``intent_features``, ``clusters`` (word clusters learned from the
        training text, the finest level's size; 0, off, by default: on SNIPS valid 512 gave
        94.91 F1 against 95.21 without).
    calibrate : bool
        With ``dev`` data, fit a temperature on it so that sequence and entity probabilities are
        calibrated (the tags themselves do not change).
    intent_c : float
        Inverse L2 regularisation of the intent classifier (trained only when :meth:`fit` is
        given intents).
    networks : int
        Also train this many convolutional networks (:mod:`~speechtext.tagging.network`; seeds
        0, 1, ...; needs torch, ``speechtext[neural]``) and add the mean of their label and
        transition scores, times a weight chosen on ``dev`` by slot F1, to the CRF's lattice;
        their intent probabilities are mixed in likewise, by intent accuracy on ``dev``.
        Tagging stays numpy. 0 (default): the CRF alone.
    network_settings : dict, optional
        Overrides of :class:`~speechtext.tagging.network.NetworkSettings` (``channels``,
        ``dilations``, ``epochs``, ``threads``, ...).

    Attributes
    ----------
    labels_ : list of str
        The tags, in the column order of :meth:`marginals`.
    temperature_ : float
        The temperature scores are divided by (1.0 without calibration).
    dev_f1_ : float or None
        Entity F1 (micro average, conlleval's default mode, as seqeval's) on ``dev`` after
        training.
    intents_ : list of str or None
        The intents learned (None if trained without intents).
    dev_intent_accuracy_ : float or None
        Intent accuracy on ``dev`` (given with intents) after training.
    network_ : Network or None
        The networks multiplied with the CRF (None without ``networks``).
    network_weight_, network_intent_weight_ : float
        Their weights in the slot lattice and in the intent distribution.

    Examples
    --------
    >>> tagger = SlotTagger(iterations=10)
    >>> tagger.get_params()["iterations"]
    10
    >>> tagger.set_params(c2=0.2).c2
    0.2
    >>> tagger = SlotTagger().fit(train_tokens, train_tags)  # doctest: +SKIP
    >>> tagger.predict([["fly", "to", "denver"]])  # doctest: +SKIP
    [['O', 'O', 'B-toloc.city_name']]
    """

    def __init__(
        self,
        *,
        algorithm: str = "l2sgd",
        c1: float | None = None,
        c2: float = 0.1,
        iterations: int = 20,
        min_freq: int = 0,
        features: dict[str, Any] | None = None,
        calibrate: bool = True,
        intent_c: float = 10.0,
        networks: int = 0,
        network_settings: dict[str, Any] | None = None,
    ):
        self.algorithm = algorithm
        self.c1 = c1
        self.c2 = c2
        self.iterations = iterations
        self.min_freq = min_freq
        self.features = features
        self.calibrate = calibrate
        self.intent_c = intent_c
        self.networks = networks
        self.network_settings = network_settings

    # ------------------------------------------------------------------ parameters

    @classmethod
    def _param_names(cls) -> list[str]:
        """The constructor's keyword arguments, in order (as scikit-learn reads them)."""
        import inspect

        return [
            p.name
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters and their values (scikit-learn's estimator interface).

        Parameters
        ----------
        deep : bool
            Accepted for scikit-learn; a tagger holds no other estimator.

        Examples
        --------
        >>> SlotTagger(algorithm="lbfgs", c1=0.1).get_params()
        {'algorithm': 'lbfgs', 'c1': 0.1, 'c2': 0.1, 'iterations': 20, 'min_freq': 0, 'features': None, 'calibrate': True, 'intent_c': 10.0, 'networks': 0, 'network_settings': None}
        """  # noqa: E501
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> SlotTagger:
        """Change parameters (scikit-learn's estimator interface); they apply at the next fit.

        Raises
        ------
        ParameterError
            A name that is not a parameter (nothing is changed then).

        Examples
        --------
        >>> SlotTagger().set_params(iterations=5, min_freq=2).get_params()["min_freq"]
        2
        """
        names = self._param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ParameterError(
                f"{', '.join(map(repr, unknown))}: not a SlotTagger parameter; choose from "
                f"{', '.join(names)}"
            )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def _settings(self) -> dict[str, Any]:
        settings = dict(DEFAULT_FEATURES)
        unknown = set(self.features or ()) - set(settings)
        if unknown:
            raise ParameterError(
                f"unknown feature settings {sorted(unknown)}; known: {sorted(settings)}"
            )
        settings.update(self.features or {})
        return settings

    def _check_params(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ParameterError(
                f"algorithm={self.algorithm!r}; choose one of {', '.join(ALGORITHMS)}"
            )
        if self.c1 is not None and self.algorithm != "lbfgs":
            raise ParameterError(f"c1={self.c1!r} (L1) needs algorithm='lbfgs'")
        for name in ("c1", "c2", "intent_c"):
            value = getattr(self, name)
            if name == "c1" and value is None:
                continue
            if not isinstance(value, (int, float)) or not value >= 0:
                raise ParameterError(f"{name}={value!r} must be a number >= 0")
        for name, low in (("iterations", 1), ("min_freq", 0), ("networks", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ParameterError(f"{name}={value!r} must be a whole number >= {low}")
        self._network_settings()

    def _network_settings(self):
        from dataclasses import fields

        from .network import NetworkSettings

        known = {f.name for f in fields(NetworkSettings)}
        given = dict(self.network_settings or {})
        if set(given) - known:
            raise ParameterError(
                f"unknown network settings {sorted(set(given) - known)}; known: {sorted(known)}"
            )
        if "dilations" in given:
            given["dilations"] = tuple(given["dilations"])
        return NetworkSettings(**given)

    # ------------------------------------------------------------------ training

    def fit(
        self,
        sentences: Tokens,
        tags: Tokens,
        *,
        intents: Sequence[str] | None = None,
        dev: tuple | None = None,
        unlabeled: Sequence[Sequence[str]] | None = None,
    ) -> SlotTagger:
        """Train on tokenised, IOB2-tagged sentences (and their intents, if given).

        Parameters
        ----------
        sentences : list of list of str
        tags : list of list of str
            One IOB2 tag per token. An ``I-x`` that does not continue an ``x`` entity is read as
            conlleval reads it (the start of a new entity) and repaired, with a warning.
        intents : list of str, optional
            Each sentence's intent: the tagger then learns an intent classifier
            (:class:`~speechtext.tagging.intent.IntentClassifier`) and slot features conjoined
            with the intent (``intent_features``), and predicts the intent first.
        dev : (sentences, tags) or (sentences, tags, intents), optional
            Held-out data: the temperature is fitted on it (if ``calibrate``) and ``dev_f1_``
            reports its F1.
        unlabeled : list of list of str, optional
            Untagged sentences, for what is learned without tags: the word clusters (with the
            ``clusters`` feature on), so that words the tagged data lacks share a cluster
            with words it has.

        Returns
        -------
        self

        Raises
        ------
        ParameterError
            Mismatched lengths, an empty sentence, bad parameters.
        TrainingDataError
            No slot tag at all in ``tags``, or a single sentence with ``algorithm="l2sgd"``
            (crfsuite's SGD learns nothing from one sentence; L-BFGS does).
        FormatError
            A tag that is not ``O``, ``B-x`` or ``I-x``.

        Warns
        -----
        UserWarning
            Slot types in fewer than ``MIN_SENTENCES_PER_SLOT`` (5) training sentences, named
            with their counts.
        """
        self._check_params()
        settings = self._settings()
        sentences, tags = _check_tagged(sentences, tags, "sentences")
        _check_learnable(tags, self.algorithm)
        intents = _check_intents(intents, len(sentences), "intents")
        dev_intents = None
        if dev is not None:
            if not isinstance(dev, (tuple, list)) or len(dev) not in (2, 3):
                raise ParameterError(
                    "dev must be a pair (sentences, tags) or a triple (sentences, tags, intents)"
                )
            if len(dev) == 3:
                dev_intents = _check_intents(dev[2], len(dev[0]), "dev intents")
            dev = _check_tagged(dev[0], dev[1], "dev")

        classifier = None
        if intents is None:
            settings["intent_features"] = 0
        featurizer = Featurizer.learn(
            settings,
            sentences,
            tags,
            () if unlabeled is None else _check_tokens(unlabeled, "unlabeled"),
        )
        if intents is not None:
            from .intent import IntentClassifier

            hints = featurizer.training_slot_hints(sentences, tags)
            classifier = IntentClassifier(c=self.intent_c).fit(sentences, intents, hints)
        crf_bytes = self._train_crf(featurizer.training_features(sentences, tags, intents), tags)
        self._set_model(
            crf_bytes,
            settings,
            featurizer.cues,
            featurizer.gazetteer,
            featurizer.word_slots,
            1.0,
            featurizer.clusters,
        )
        self.intent_classifier_ = classifier
        self.dev_f1_ = self.dev_intent_accuracy_ = None
        if self.networks:
            from .network import train_networks

            network = train_networks(
                sentences,
                tags,
                self.labels_,
                intents=intents,
                intent_classes=None if classifier is None else list(classifier.classes_),
                dev=dev,
                count=self.networks,
                settings=self._network_settings(),
            )
            self._attach_network(network, *self._network_weights(network, dev, dev_intents))
        if dev is not None:
            dev_x, dev_y = dev
            if self.calibrate:
                self.temperature_ = self._fit_temperature(dev_x, dev_y)
            self.dev_f1_ = _dev_f1(dev_y, self.predict(dev_x))
            if classifier is not None and dev_intents is not None:
                best = [nb[0][0] for nb in self.predict_intent(dev_x)]
                hits = sum(a == b for a, b in zip(best, dev_intents, strict=True))
                self.dev_intent_accuracy_ = hits / max(len(best), 1)
        return self

    # The weights of the networks beside the CRF when no dev data chooses them: what SNIPS valid
    # chose for one and for three networks of 128 channels (slot F1 96.05 and 96.08).
    NETWORK_WEIGHT = 0.75
    NETWORK_INTENT_WEIGHT = 0.0

    def _attach_network(self, network, weight, intent_weight):
        """Multiply the CRF with ``network``: its scores, times ``weight``, join the lattice."""
        self.network_ = network
        self.network_weight_ = float(weight)
        self.network_intent_weight_ = float(intent_weight)
        self.transitions_ = self._crf_transitions + weight * network.transitions

    def _network_weights(self, network, dev, dev_intents):
        """The network's weights in the intent distribution (by dev intent accuracy; ties to
        the smaller) and then in the slot lattice (by dev slot F1)."""
        import numpy as np

        from ..decode import viterbi_batch

        if dev is None:
            return self.NETWORK_WEIGHT, self.NETWORK_INTENT_WEIGHT
        dev_x, dev_y = dev
        net_ems, net_intents = network(dev_x)
        intent_weight = 0.0
        if self.intent_classifier_ is not None and dev_intents is not None:
            p = np.log(np.maximum(self._intent_proba(dev_x), 1e-300))
            classes = self.intent_classifier_.classes_
            hits = {
                wi: sum(
                    classes[j] == gold
                    for j, gold in zip((p + wi * net_intents).argmax(1), dev_intents, strict=True)
                )
                for wi in (0.0, 0.25, 0.5, 1.0)
            }
            intent_weight = max(hits, key=lambda wi: (hits[wi], -wi))
        # the CRF's own emissions, conditioned on the intents the product predicts
        self._attach_network(network, 0.0, intent_weight)
        crf_ems = self._emissions(dev_x, temperature=1.0)
        best = {}
        for w in (0.1, 0.2, 0.35, 0.5, 0.75, 1.0):
            lattices = [c + w * n for c, n in zip(crf_ems, net_ems, strict=True)]
            trans = self._crf_transitions + w * network.transitions
            found = viterbi_batch(lattices, trans, allowed=self.allowed_, normalize=False)
            best[w] = _dev_f1(dev_y, [[self.labels_[j] for j in p] for p, _ in found])
        return max(best, key=best.get), intent_weight

    def fit_member(
        self,
        featurizer: Featurizer,
        sentences: Tokens,
        tags: Tokens,
        *,
        counts: Sequence[int] | None = None,
        intents: Sequence[str] | None = None,
        dev: tuple | None = None,
    ) -> SlotTagger:
        """Train as one member of an ensemble: with a given featurizer, sentences counted
        ``counts`` times (a bootstrap resample).

        The members of :class:`~speechtext.tagging.ensemble.TaggerEnsemble` share the cue words
        and gazetteer learned from the whole labelled set, so that one feature extraction serves
        them all; the resample's gazetteer marks stay out of fold because each distinct
        sentence is featurized once (a duplicate in another fold would see its own values).

        Parameters
        ----------
        featurizer : Featurizer
            The shared featurizer (its settings must be this tagger's).
        sentences, tags, intents
            The distinct sentences of the resample, as in :meth:`fit`.
        counts : sequence of int, optional
            How many times each sentence was drawn (default once each).
        dev : (sentences, tags), optional
            Held-out data the temperature is fitted on (if ``calibrate``).
        """
        self._check_params()
        sentences, tags = _check_tagged(sentences, tags, "sentences")
        intents = _check_intents(intents, len(sentences), "intents")
        counts = [1] * len(sentences) if counts is None else [int(c) for c in counts]
        if len(counts) != len(sentences) or min(counts, default=1) < 1:
            raise ParameterError("counts: one whole number >= 1 per sentence")
        _check_learnable(tags, self.algorithm)
        classifier = None
        if intents is not None:
            from .intent import IntentClassifier

            hints = featurizer.training_slot_hints(sentences, tags)
            classifier = IntentClassifier(c=self.intent_c).fit(
                *(_repeat(x, counts) for x in (sentences, intents, hints))
            )
        features = featurizer.training_features(sentences, tags, intents)
        crf_bytes = self._train_crf(_repeat(features, counts), _repeat(tags, counts))
        self._set_model(
            crf_bytes,
            featurizer.settings,
            featurizer.cues,
            featurizer.gazetteer,
            featurizer.word_slots,
            1.0,
        )
        self.featurizer_ = featurizer
        self.intent_classifier_ = classifier
        self.dev_f1_ = self.dev_intent_accuracy_ = None
        if dev is not None and self.calibrate:
            dev_x, dev_y = _check_tagged(dev[0], dev[1], "dev")
            self.temperature_ = self._fit_temperature(dev_x, dev_y)
        return self

    def _train_crf(self, features: list[list[list[str]]], tags: list[list[str]]) -> bytes:
        """crfsuite's model file, trained on the attribute lists of the training sentences."""
        import tempfile

        import pycrfsuite

        trainer = pycrfsuite.Trainer(verbose=False)
        for feats, labels in zip(features, tags, strict=True):
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
            return Path(model_path).read_bytes()

    def _set_model(
        self, crf_bytes, settings, cues, gazetteer, word_slots, temperature, clusters=None
    ):
        """Read crfsuite's learned weights into numpy arrays.

        In Python (:func:`~speechtext.tagging.model_file.read_crfsuite`), not through crfsuite,
        which crashes the process on a damaged model; ValueError if ``crf_bytes`` is not one.
        """
        import numpy as np
        import scipy.sparse

        from ..decode import iob_constraints

        try:
            weights = read_crfsuite(crf_bytes)
        except ValueError as exc:
            raise ValueError(f"{CRF_MEMBER}: {exc}") from None
        labels = weights.labels
        attr_ids, label_ids, values = weights.state
        # A row per attribute name, numbered in the order the features list them
        _, first = np.unique(attr_ids, return_index=True)
        attrs = {}
        row_of = np.zeros(len(weights.attributes), dtype=np.intp)
        for a in attr_ids[np.sort(first)].tolist():
            row_of[a] = attrs.setdefault(weights.attributes[a], len(attrs))
        # One extra, all-zero row for attributes the model has not seen (see _emissions).
        self.state_weights_ = scipy.sparse.csr_matrix(
            (values, (row_of[attr_ids], label_ids)), shape=(len(attrs) + 1, len(labels))
        )
        trans = np.zeros((len(labels), len(labels)))
        sources, targets, trans_values = weights.transitions
        trans[sources, targets] = trans_values
        self.transitions_ = self._crf_transitions = trans
        self.network_, self.network_weight_, self.network_intent_weight_ = None, 0.0, 0.0
        self.attributes_ = attrs
        self.labels_ = list(labels)
        self.allowed_ = iob_constraints(self.labels_)
        self.settings_ = settings
        self.featurizer_ = Featurizer(
            settings, cues=cues, gazetteer=gazetteer, word_slots=word_slots, clusters=clusters
        )
        self.temperature_ = float(temperature)
        self.crf_ = crf_bytes
        self.intent_classifier_ = None

    # ------------------------------------------------------------------ calibration

    def _fit_temperature(self, sentences, tags):
        """The temperature minimising the negative log-likelihood of the dev gold sequences."""
        import numpy as np
        from scipy.optimize import minimize_scalar

        from ..decode import as_lattice, group_by_length, log_partition

        label_id = {label: j for j, label in enumerate(self.labels_)}
        keep = [i for i, t in enumerate(tags) if all(x in label_id for x in t)]
        if not keep:
            return 1.0
        # Conditioned on the predicted intents, as at tagging time: a wrong intent is part of
        # what the confidences must account for.
        ems = self._emissions([sentences[i] for i in keep], temperature=1.0)
        gold = [np.array([label_id[x] for x in tags[i]]) for i in keep]
        _, trans, start, end = as_lattice(ems, self.transitions_, allowed=self.allowed_, batch=True)
        raw = np.array(
            [
                e[np.arange(len(g)), g].sum() + trans[g[:-1], g[1:]].sum()
                for e, g in zip(ems, gold, strict=True)
            ]
        )
        groups = list(group_by_length([len(e) for e in ems]))

        def nll(log_t):
            inv = np.exp(-log_t)
            total = -(raw * inv).sum()
            for group in groups:
                em = np.stack([ems[i] for i in group]) * inv
                total += log_partition(em, trans * inv, start, end).sum()
            return total / len(ems)

        result = minimize_scalar(nll, bounds=(np.log(0.25), np.log(4.0)), method="bounded")
        return float(np.exp(result.x))

    # ------------------------------------------------------------------ scoring

    def _check_fitted(self):
        if not hasattr(self, "labels_"):
            raise NotFittedError("this SlotTagger is not trained; call fit() or SlotTagger.load()")

    def _conditioning_intents(self, sentences, hints=None, net_intents=None):
        """The intents the slot features are conditioned on: the predicted ones, or Nones."""
        if (
            not sentences
            or self.intent_classifier_ is None
            or not self.settings_["intent_features"]
        ):
            return [None] * len(sentences)
        classes = self.intent_classifier_.classes_
        p = self._intent_proba(sentences, hints, net_intents)
        return [classes[j] for j in p.argmax(1)]

    def _intent_proba(self, sentences, hints=None, net_intents=None):
        """Intent probabilities; ``hints``: the sentences' slot hints, ``net_intents`` the
        network's intent log-probabilities, if already known."""
        import numpy as np

        if hints is None:
            hints = [self.featurizer_.slot_hints(words) for words in sentences]
        p = self.intent_classifier_.predict_proba(sentences, hints)
        weight = self.network_intent_weight_ if self.network_ is not None else 0.0
        if not weight:
            return p
        if net_intents is None:
            _, net_intents = self.network_(sentences)
        scores = np.log(np.maximum(p, 1e-300)) + weight * net_intents
        scores = np.exp(scores - scores.max(1, keepdims=True))
        return scores / scores.sum(1, keepdims=True)

    @property
    def intents_(self) -> list[str] | None:
        """The intents the tagger learned (None if it was trained without intents)."""
        self._check_fitted()
        return None if self.intent_classifier_ is None else list(self.intent_classifier_.classes_)

    def predict_intent(self, sentences: Tokens, k: int = 1) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable intents of each sentence with their probabilities.

        Parameters
        ----------
        sentences : list of list of str
        k : int
            Intents per sentence (fewer if the tagger knows fewer).

        Returns
        -------
        list of list of (str, float)
            Per sentence, ``(intent, probability)`` most probable first.

        Raises
        ------
        ParameterError
            The tagger was trained without intents, or ``k`` < 1.

        Examples
        --------
        >>> tagger.predict_intent([["play", "jazz"]], k=2)  # doctest: +SKIP
        [[('PlayMusic', 0.97), ('SearchCreativeWork', 0.02)]]
        """
        import numpy as np

        sentences = _check_tokens(sentences)
        self._check_fitted()
        if self.intent_classifier_ is None:
            raise ParameterError(
                "this tagger was trained without intents; train it on data with intents "
                "(a label file beside seq.in/seq.out, or '# intent = NAME' lines in CoNLL)"
            )
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ParameterError(f"k={k!r} must be a whole number of at least 1")
        if not sentences:
            return []
        p = self._intent_proba(sentences)
        order = np.argsort(-p, axis=1, kind="stable")[:, :k]
        classes = self.intent_classifier_.classes_
        return [
            [(classes[j], float(row[j])) for j in idx] for row, idx in zip(p, order, strict=True)
        ]

    def _flat_emissions(self, sentences, *, temperature=None, intents=None):
        """``[sum of T, L]`` state scores of the sentences' tokens (divided by the
        temperature), and the sentences' lengths."""
        from itertools import chain

        import numpy as np
        import scipy.sparse

        attrs = self.attributes_
        flat, row_lengths, lengths = [], [], []
        featurizer = self._feature_ids()
        parts = [featurizer.parts(words) for words in sentences]
        net_ems = net_intents = None
        if self.network_ is not None and sentences:
            net_ems, net_intents = self.network_(sentences)
        if intents is None:
            intents = self._conditioning_intents(sentences, [p[2] for p in parts], net_intents)
        for words, (feats, conj, _), intent in zip(sentences, parts, intents, strict=True):
            featurizer.add_intent(feats, [w.lower() for w in words], intent, conj)
            lengths.append(len(feats))
            row_lengths.extend(map(len, feats))
            flat.extend(chain.from_iterable(feats))
        unknown = len(attrs)  # the model's last row, all zeros (FeatureIds leaves unseen out)
        ids = np.array(flat, dtype=np.int64)
        indptr = np.zeros(len(row_lengths) + 1, dtype=np.int64)
        np.cumsum(row_lengths, out=indptr[1:])
        x = scipy.sparse.csr_matrix(
            (np.ones(len(flat)), ids, indptr), shape=(len(row_lengths), unknown + 1)
        )
        scores = (x @ self.state_weights_).toarray()
        if net_ems is not None:
            scores += self.network_weight_ * np.concatenate(net_ems)
        t = self.temperature_ if temperature is None else temperature
        if t != 1.0:
            scores /= t
        return scores, lengths

    def _feature_ids(self):
        """The featurizer that gives attribute ids (built once per model)."""
        cached = getattr(self, "_ids_cache", None)
        if cached is None or cached.attrs is not self.attributes_:
            from .features import FeatureIds

            cached = self._ids_cache = FeatureIds(self.featurizer_, self.attributes_)
        return cached

    def _emissions(self, sentences, *, temperature=None, intents=None):
        """Per sentence, ``[T, L]`` state scores (divided by the temperature)."""
        import numpy as np

        scores, lengths = self._flat_emissions(sentences, temperature=temperature, intents=intents)
        return np.split(scores, np.cumsum(lengths)[:-1]) if sentences else []

    def _lattice_ends(self):
        """The transitions (over the temperature), start and end scores, IOB2 constraints in."""
        import numpy as np

        from ..decode import as_lattice

        key = (self.temperature_, id(self.transitions_))
        cached = getattr(self, "_ends_cache", None)
        if cached is None or cached[0] != key:
            probe = [np.zeros((1, len(self.labels_)))]
            _, trans, start, end = as_lattice(
                probe, self.transitions_ / self.temperature_, allowed=self.allowed_, batch=True
            )
            cached = self._ends_cache = (key, (trans, start, end))
        return cached[1]

    def lattices(self, sentences: Tokens) -> tuple[list[np.ndarray], np.ndarray]:
        """The lattices the tagger searches: per-token label scores and transition scores.

        Both are divided by the temperature; give them, with ``allowed=tagger.allowed_``, to
        any search of :mod:`speechtext.decode`.

        Returns
        -------
        emissions : list of np.ndarray [shape=(T, L)]
            Per sentence; columns follow ``labels_``.
        transitions : np.ndarray [shape=(L, L)]

        Examples
        --------
        >>> from speechtext.decode import beam_search_batch
        >>> ems, trans = tagger.lattices([["play", "jazz"]])  # doctest: +SKIP
        >>> by_beam = beam_search_batch(ems, trans, beam=8, nbest=4,
        ...                             allowed=tagger.allowed_)  # doctest: +SKIP
        """
        sentences = _check_tokens(sentences)
        self._check_fitted()
        return self._emissions(sentences), self.transitions_ / self.temperature_

    # ------------------------------------------------------------------ inference

    def predict(self, sentences: Tokens) -> list[list[str]]:
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
        import numpy as np

        sentences = _check_tokens(sentences)
        self._check_fitted()
        if not sentences:
            return []
        scores, lengths = self._flat_emissions(sentences)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if len(scores) < NUMBA_MIN_TOKENS:
            # numba's import (about a second) costs more than it saves on a few sentences
            from ..decode import viterbi_batch

            ems = np.split(scores, offsets[1:-1])
            trans = self.transitions_ / self.temperature_
            best = viterbi_batch(ems, trans, allowed=self.allowed_, normalize=False)
            return [[self.labels_[j] for j in labels] for labels, _ in best]
        from .kernels import viterbi_flat

        paths = np.zeros(len(scores), dtype=np.int64)
        viterbi_flat(scores, offsets, *self._lattice_ends(), paths)
        labels = np.array(self.labels_, dtype=object)[paths].tolist()
        return [labels[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]

    def predict_nbest(
        self, sentences: Tokens, k: int = 4, *, beam: int | None = None
    ) -> list[list[tuple[list[str], float]]]:
        """The ``k`` best tag sequences of each sentence with their log-probabilities, exactly.

        The search is exact (:func:`speechtext.decode.exact_nbest_batch`): these are the ``k``
        most probable IOB2-valid sequences, and the first is :meth:`predict`'s. Log-probabilities
        are normalised over the IOB2-valid sequences (forward algorithm), so ``exp(logprob)`` is
        each sequence's probability under the model.

        Parameters
        ----------
        sentences : list of list of str
        k : int
            Sequences per sentence (fewer for very short sentences).
        beam : int, optional
            Unused: accepted so that calls written for the earlier beam-search decoder still
            run. For beam search, give :meth:`lattices` to
            :func:`speechtext.decode.beam_search_batch`.

        Returns
        -------
        list of list of (list of str, float)
            Per sentence, ``(tags, logprob)`` best first.

        Raises
        ------
        ParameterError
            ``k`` is not a whole number of at least 1.

        Examples
        --------
        >>> [(tags, round(float(np.exp(lp)), 2)) for tags, lp in
        ...  tagger.predict_nbest([["play", "jazz"]], k=2)[0]]  # doctest: +SKIP
        [(['O', 'B-genre'], 0.93), (['O', 'B-playlist'], 0.04)]
        """
        from ..decode import exact_nbest_batch

        ems, trans = self.lattices(sentences)
        found = exact_nbest_batch(ems, trans, nbest=k, allowed=self.allowed_)
        return [
            [([self.labels_[j] for j in labels], logprob) for labels, logprob in nb] for nb in found
        ]

    def _forward_backward(self, sentences):
        """Per sentence: emissions, log alpha, log beta, log Z (constrained, batched)."""
        import numpy as np

        from ..decode import as_lattice, backward, forward, group_by_length

        ems, trans = self.lattices(sentences)
        _, trans, start, end = as_lattice(ems, trans, allowed=self.allowed_, batch=True)
        out = [None] * len(ems)
        lengths = [len(e) for e in ems]
        for group in group_by_length(lengths):
            if lengths[group[0]] == 0:
                for i in group:
                    out[i] = (ems[i], ems[i], ems[i], 0.0)
                continue
            em = np.stack([ems[i] for i in group])
            alpha, log_z = forward(em, trans, start, end)
            beta = backward(em, trans, end)
            for row, i in enumerate(group):
                out[i] = (ems[i], alpha[row], beta[row], float(log_z[row]))
        return out, trans, end

    def marginals(self, sentences: Tokens) -> list[np.ndarray]:
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
        import numpy as np

        fb, _, _ = self._forward_backward(sentences)
        return [np.exp(alpha + beta - log_z) for _, alpha, beta, log_z in fb]

    def _entity_logprob(self, em, alpha, beta, log_z, trans, start, end, kind):
        """Log posterior of the entity ``kind`` spanning tokens ``[start, end)``."""
        import numpy as np

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

    def entity_confidences(
        self, sentences: Tokens, tags: Tokens | None = None
    ) -> list[list[tuple[int, int, str, float]]]:
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
        import numpy as np

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

    def token_scores(
        self, sentences: Tokens, tags: Tokens | None = None
    ) -> tuple[list[list[str]], list[list[float]]]:
        """Per token, the confidence of the entity it belongs to, or its marginal of ``O``.

        This is the score column ``speechtext tag predict`` writes.

        Returns
        -------
        tags : list of list of str
        scores : list of list of float

        Examples
        --------
        >>> tags, scores = tagger.token_scores([["play", "jazz"]])  # doctest: +SKIP
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

    def uncertainty(self, sentences: Tokens, *, by: str = "least-confidence") -> np.ndarray:
        """How unsure the model is of each sentence (higher: more unsure).

        Parameters
        ----------
        by : {"least-confidence", "margin", "entropy"}
            ``least-confidence``: 1 - P(best sequence). ``margin``: 1 - (P(best) - P(second
            best)). ``entropy``: the sum over tokens of the entropy of the tag marginals (nats).

        Returns
        -------
        np.ndarray [shape=(n,)]

        Examples
        --------
        >>> tagger.uncertainty(pool, by="entropy")  # doctest: +SKIP
        array([0.12, 1.7 , ...])
        """
        import numpy as np

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
        nbest = self.predict_nbest(sentences, k=2)  # exact: the true second best
        first = np.array([np.exp(nb[0][1]) for nb in nbest])
        if by == "least-confidence":
            return 1.0 - first
        second = np.array([np.exp(nb[1][1]) if len(nb) > 1 else 0.0 for nb in nbest])
        return 1.0 - (first - second)

    def most_uncertain(
        self, sentences: Tokens, n: int, *, by: str = "least-confidence"
    ) -> list[tuple[int, float]]:
        """The ``n`` sentences the model is least sure of, most uncertain first, with how unsure.

        Parameters
        ----------
        sentences : list of list of str
        n : int
            How many (fewer if there are fewer sentences).
        by : {"least-confidence", "margin", "entropy"}
            As in :meth:`uncertainty`.

        Returns
        -------
        list of (int, float)
            ``(index into sentences, uncertainty)``; equal uncertainties keep input order.

        Examples
        --------
        >>> tagger.most_uncertain(pool, 2, by="margin")  # doctest: +SKIP
        [(41, 0.93), (7, 0.88)]
        """
        import numpy as np

        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"n={n!r} must be a whole number of at least 1")
        scores = self.uncertainty(sentences, by=by)
        order = np.argsort(-scores, kind="stable")
        return [(int(i), float(scores[i])) for i in order[:n]]

    def select(self, sentences: Tokens, n: int, *, by: str = "least-confidence") -> list[int]:
        """Indices of the ``n`` sentences the model is least sure of, most uncertain first.

        See :meth:`most_uncertain`, which gives their uncertainties too.

        Examples
        --------
        >>> tagger.select(pool, 2, by="margin")  # doctest: +SKIP
        [41, 7]
        """
        return [i for i, _ in self.most_uncertain(sentences, n, by=by)]

    # ------------------------------------------------------------------ persistence

    def to_bytes(self) -> bytes:
        """The model file's content (see :meth:`save` and :mod:`speechtext.tagging.model_file`)."""
        self._check_fitted()
        fields = {
            "labels": self.labels_,
            "settings": self.settings_,
            "cues": sorted(self.featurizer_.cues),
            "gazetteer": self.featurizer_.gazetteer,
            "word_slots": self.featurizer_.word_slots,
            "temperature": self.temperature_,
            "params": self.get_params(),
            "dev_f1": getattr(self, "dev_f1_", None),
            "intent": None
            if self.intent_classifier_ is None
            else self.intent_classifier_.to_fields(),
        }
        if self.featurizer_.clusters:  # only then: files without clusters keep their bytes
            fields["clusters"] = self.featurizer_.clusters
        network = None
        if self.network_ is not None:
            fields["network"] = {
                "weight": self.network_weight_,
                "intent_weight": self.network_intent_weight_,
            }
            network = self.network_.to_bytes()
        return pack_model(fields, self.crf_, network)

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "model") -> SlotTagger:
        """A tagger from a model file's content; FormatError if it is not one."""
        # unpack_model verified the checksums, and the weights are read in Python: what is
        # left to go wrong is a file written by something else with the same layout.
        meta, crf_bytes, network_bytes = unpack_model(data, source=source)
        try:
            if isinstance(meta.get("settings"), dict):
                meta["settings"] = {**meta["settings"]}
                for key, off in LATER_FEATURES.items():
                    meta["settings"].setdefault(key, off)
            check_fields(meta)
            tagger = cls(**meta["params"])
            tagger._check_params()
            tagger._set_model(
                crf_bytes,
                meta["settings"],
                meta["cues"],
                meta["gazetteer"],
                meta.get("word_slots", {}),
                meta["temperature"],
                meta.get("clusters", {}),
            )
            intent = meta.get("intent")
            if intent is not None:
                from .intent import IntentClassifier

                tagger.intent_classifier_ = IntentClassifier.from_fields(intent)
            if meta.get("network") is not None:
                from .network import Network

                weights = meta["network"]
                try:
                    network = Network.from_bytes(network_bytes)
                except ValueError as exc:
                    raise ValueError(f"{NETWORK_MEMBER}: {exc}") from None
                tagger._attach_network(network, weights["weight"], weights["intent_weight"])
        except KeyError as exc:
            raise DamagedModelError.of(source, f"{META_MEMBER} lacks {exc}") from None
        except ValueError as exc:
            raise DamagedModelError.of(source, str(exc)) from None
        except (TypeError, AttributeError) as exc:
            raise DamagedModelError.of(source, f"{META_MEMBER}: {exc}") from None
        tagger.dev_f1_ = meta.get("dev_f1")
        return tagger

    def save(self, path: str | PathLike[str]) -> None:
        """Write the model file, atomically: a zip holding ``tagger.json`` (format, version,
        labels, feature settings, cue words, gazetteer, temperature), the crfsuite model and the
        SHA-256 of both (``checksums.json``), which :meth:`load` verifies.

        Examples
        --------
        >>> tagger.save("snips.tagger")  # doctest: +SKIP
        """
        from ..io.atomic import write_bytes

        write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | PathLike[str]) -> SlotTagger:
        """Read a model file written by :meth:`save`.

        Raises
        ------
        FormatError
            The file is missing, damaged (:class:`~speechtext.tagging.model_file.DamagedModelError`:
            cut, altered, not a slot-tagger model; checked before crfsuite reads a byte of it), or
            of another model version.

        Examples
        --------
        >>> tagger = SlotTagger.load("snips.tagger")  # doctest: +SKIP
        """
        from ..io.text import read_bytes

        return cls.from_bytes(read_bytes(path, what="model"), source=str(path))
