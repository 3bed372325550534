"""A bootstrap ensemble of slot taggers: what the tagger does not know (epistemic) apart from
what the data leaves open (aleatoric).

:class:`TaggerEnsemble` holds the tagger trained on all the labelled data (``full_``: it tags,
and the single-model measures use it) and ``members`` taggers trained on bootstrap resamples of
the same data. Every member shares the full tagger's featurizer (cue words, gazetteer), so the
features of an utterance are extracted once for all of them; the members differ in their CRF
and intent weights, which is where a resample's lack of data shows. Each member's temperature
is fitted on dev, so the averaged prediction is calibrated too.

What is computed, exactly and cheaply (forward-backward per member, no sampling):

- per token: the member's tag marginals ``p_k``; total uncertainty ``H(mean_k p_k)``,
  aleatoric ``mean_k H(p_k)``, epistemic the difference (the mutual information between the
  tag and the member, BALD);
- per utterance: the tokens' figures summed (as the ``entropy`` measure sums them), plus the
  same three figures of the intent distributions;
- per entity of the full tagger's prediction: each member's exact posterior probability of the
  entity (same span and type), and the three figures of that yes/no event.

The members all condition their slots on one intent, the most probable under the averaged
intent distribution, so that one feature extraction serves them; the intent's own uncertainty
enters through the intent figures.

Examples
--------
>>> ensemble = TaggerEnsemble(members=5).fit(tokens, tags, intents=intents,
...                                          dev=dev)  # doctest: +SKIP
>>> ensemble.uncertainty(pool, by="epistemic")  # doctest: +SKIP
array([0.01, 0.35, ...])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ParameterError
from ..tags import spans
from .model_file import DamagedModelError, pack_ensemble, unpack_ensemble
from .tagger import SlotTagger

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ENSEMBLE_MEASURES", "Analysis", "EntityUncertainty", "TaggerEnsemble"]

# "bald" is the epistemic part by another name (Houlsby et al. 2011: Bayesian active learning
# by disagreement, the mutual information between prediction and model).
ENSEMBLE_MEASURES = ("epistemic", "aleatoric", "bald", "total")
_ABSENT = -1e9  # the score of a label (or intent) a member never saw: probability 0, no NaN
_CHUNK = 2000  # sentences per batch: bounds the emission arrays of a large pool


class EntityUncertainty(NamedTuple):
    """One predicted entity and how sure the ensemble is of it (nats, yes/no event)."""

    start: int
    end: int
    kind: str
    probability: float  # mean over the members of the entity's posterior probability
    total: float
    aleatoric: float
    epistemic: float


class Analysis(NamedTuple):
    """Per-utterance uncertainties of an ensemble (arrays over the utterances, nats)."""

    total: np.ndarray
    aleatoric: np.ndarray
    epistemic: np.ndarray
    intent_total: np.ndarray
    intent_aleatoric: np.ndarray
    entities: list[list[EntityUncertainty]] | None


def _entropy(p, axis=-1):
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=axis)


def _binary_entropy(p):
    import numpy as np

    p = np.clip(p, 0.0, 1.0)
    return _entropy(np.stack([p, 1.0 - p], axis=-1))


class TaggerEnsemble:
    """A tagger trained on all the data and ``members`` taggers trained on bootstrap resamples.

    Parameters
    ----------
    members : int
        Bootstrap members (at least 2). Each costs a training and a forward-backward pass;
        on SNIPS (``bench/active.py``, 600 labelled) 3 members choose 58 % of the 200 utterances
        5 members choose, and 5 members 66 % of those 8 choose: more members, a steadier
        ranking.
    seed : int
        Seed of the resamples.
    **params
        :class:`SlotTagger` parameters, for every tagger.
    """

    def __init__(self, members: int = 5, *, seed: int = 0, **params: Any):
        if isinstance(members, bool) or not isinstance(members, int) or members < 2:
            raise ParameterError(f"members={members!r}: an ensemble needs at least 2 members")
        if params.get("networks"):  # the members' lattices are the CRF's alone (see _set)
            raise ParameterError(
                f"networks={params['networks']!r}: an ensemble's members are CRF taggers; "
                "leave networks out of an ensemble"
            )
        self.members = members
        self.seed = seed
        self.params = params

    # ------------------------------------------------------------------ training

    def fit(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]],
        *,
        intents: Sequence[str] | None = None,
        dev: tuple | None = None,
    ) -> TaggerEnsemble:
        """Train the full tagger, then each member on a bootstrap resample (same size, drawn
        with replacement) sharing its featurizer; ``dev`` calibrates every one of them."""
        import numpy as np

        full = SlotTagger(**self.params).fit(sentences, tags, intents=intents, dev=dev)
        sentences, tags = [list(s) for s in sentences], [list(t) for t in tags]
        rng = np.random.default_rng(self.seed)
        members = []
        for _ in range(self.members):
            counts = np.bincount(
                rng.integers(0, len(sentences), len(sentences)), minlength=len(sentences)
            )
            keep = np.flatnonzero(counts)
            with warnings.catch_warnings():  # rare slot types: the full tagger warned already
                warnings.simplefilter("ignore")
                member = SlotTagger(**self.params).fit_member(
                    full.featurizer_,
                    [sentences[i] for i in keep],
                    [tags[i] for i in keep],
                    counts=counts[keep].tolist(),
                    intents=None if intents is None else [intents[i] for i in keep],
                    dev=None if dev is None else dev[:2],
                )
            members.append(member)
        self._set(full, members)
        return self

    def _set(self, full, members):
        """Hold the taggers and build the tables that score every member at once."""
        import numpy as np
        import scipy.sparse

        from ..decode import iob_constraints

        self.full_ = full
        self.members_ = members
        labels = list(full.labels_)
        for m in members:
            labels += [x for x in m.labels_ if x not in set(labels)]
        self.labels_ = labels
        label_id = {x: j for j, x in enumerate(labels)}
        self.allowed_ = iob_constraints(labels)
        vocab: dict[str, int] = {}
        for m in members:
            for name in m.attributes_:
                vocab.setdefault(name, len(vocab))
        self._attributes = vocab
        self._weights, self._transitions, self._absent = [], [], []
        n_labels = len(labels)
        for m in members:
            rows = np.fromiter((vocab[a] for a in m.attributes_), np.int64, len(m.attributes_))
            rows = np.append(rows, len(vocab))  # the member's row of unseen attributes
            cols = np.array([label_id[x] for x in m.labels_])
            w = m.state_weights_.tocoo()
            self._weights.append(
                scipy.sparse.csr_matrix(
                    (w.data / m.temperature_, (rows[w.row], cols[w.col])),
                    shape=(len(vocab) + 1, n_labels),
                )
            )
            trans = np.zeros((n_labels, n_labels))
            trans[np.ix_(cols, cols)] = m.transitions_ / m.temperature_
            self._transitions.append(trans)
            absent = np.full(n_labels, _ABSENT)
            absent[cols] = 0.0
            self._absent.append(absent)
        self._set_intents()

    def _set_intents(self):
        import numpy as np

        classifiers = [m.intent_classifier_ for m in self.members_]
        self.intents_ = None
        if any(c is None for c in classifiers):
            return
        classes = sorted({name for c in classifiers for name in c.classes_})
        self.intents_ = classes
        vocab: dict[str, int] = {}
        for c in classifiers:
            for name in c.vocabulary_:
                vocab.setdefault(name, len(vocab))
        self._intent_vocab = vocab
        self._intent_tables = []
        for c in classifiers:
            rows = np.array([vocab[f] for f in sorted(c.vocabulary_, key=c.vocabulary_.get)])
            cols = np.array([classes.index(name) for name in c.classes_])
            coef = np.zeros((len(vocab), len(classes)))
            coef[np.ix_(rows, cols)] = c.coef_.T
            known = np.zeros(len(vocab))
            known[rows] = 1.0
            intercept = np.full(len(classes), _ABSENT)
            intercept[cols] = c.intercept_
            self._intent_tables.append((coef, known, intercept))

    def subset(self, members: int) -> TaggerEnsemble:
        """The ensemble of the same full tagger and its first ``members`` members (to measure
        how many members a ranking needs)."""
        self._check_fitted()
        if not 2 <= members <= len(self.members_):
            raise ParameterError(f"members={members!r}: choose 2 to {len(self.members_)}")
        out = TaggerEnsemble(members, seed=self.seed, **self.params)
        out._set(self.full_, self.members_[:members])
        return out

    def _check_fitted(self):
        if not hasattr(self, "members_"):
            from ..errors import NotFittedError

            raise NotFittedError("this TaggerEnsemble is not trained; call fit() or load()")

    # ------------------------------------------------------------------ scoring

    def _intent_distributions(self, sentences, hints):
        """``[K, n, C]``: every member's intent probabilities (the classifier's features
        looked up once in the members' joint vocabulary)."""
        import numpy as np
        import scipy.sparse

        from .intent import intent_features

        vocab = self._intent_vocab
        indices, indptr = [], [0]
        for words, extra in zip(sentences, hints, strict=True):
            ids = {vocab[f] for f in intent_features(words, extra) if f in vocab}
            indices.extend(sorted(ids))
            indptr.append(len(indices))
        x = scipy.sparse.csr_matrix(
            (np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr)),
            shape=(len(sentences), len(vocab)),
        )
        out = []
        for coef, known, intercept in self._intent_tables:
            norms = np.sqrt(np.maximum(x @ known, 1.0))  # each member's own unit-length rows
            scores = np.asarray(x @ coef) / norms[:, None] + intercept
            scores -= scores.max(axis=1, keepdims=True)
            p = np.exp(scores)
            out.append(p / p.sum(axis=1, keepdims=True))
        return np.stack(out)

    def _analyse_chunk(self, sentences, with_entities):
        import numpy as np
        import scipy.sparse

        from ..decode import as_lattice, backward, forward, group_by_length, log_partition

        featurizer = self.full_.featurizer_
        parts = [featurizer.parts(words) for words in sentences]
        n = len(sentences)
        intent_total = np.zeros(n)
        intent_alea = np.zeros(n)
        conditioning = [None] * n
        if self.intents_ is not None:
            q = self._intent_distributions(sentences, [p[2] for p in parts])
            mean_q = q.mean(axis=0)
            intent_total = _entropy(mean_q)
            intent_alea = _entropy(q).mean(axis=0)
            if featurizer.settings.get("intent_features"):
                conditioning = [self.intents_[j] for j in mean_q.argmax(axis=1)]
        attrs = self._attributes
        unknown = len(attrs)
        flat, row_lengths, lengths = [], [], []
        for words, (feats, conj, _), intent in zip(sentences, parts, conditioning, strict=True):
            featurizer.add_intent(feats, [w.lower() for w in words], intent, conj)
            lengths.append(len(feats))
            for token in feats:
                row_lengths.append(len(token))
                flat.extend(token)
        ids = np.fromiter((attrs.get(f, unknown) for f in flat), np.int64, len(flat))
        indptr = np.zeros(len(row_lengths) + 1, dtype=np.int64)
        np.cumsum(row_lengths, out=indptr[1:])
        x = scipy.sparse.csr_matrix(
            (np.ones(len(flat)), ids, indptr), shape=(len(row_lengths), unknown + 1)
        )
        cuts = np.cumsum(lengths)[:-1]
        groups = list(group_by_length(lengths))
        n_labels = len(self.labels_)
        mean_p = [np.zeros((t, n_labels)) for t in lengths]
        alea_t = [np.zeros(t) for t in lengths]
        entity_spans = None
        if with_entities:
            label_id = {x: j for j, x in enumerate(self.labels_)}
            entity_spans = [list(spans(t)) for t in self.full_.predict(sentences)]
            entity_p = [np.zeros((len(e), len(self.members_))) for e in entity_spans]
        for k, (weights, trans_k, absent) in enumerate(
            zip(self._weights, self._transitions, self._absent, strict=True)
        ):
            ems = np.split((x @ weights).toarray() + absent, cuts) if n else []
            _, trans, start, end = as_lattice(
                [np.zeros((1, n_labels))], trans_k, allowed=self.allowed_, batch=True
            )
            for group in groups:
                if lengths[group[0]] == 0:
                    continue
                em = np.stack([ems[i] for i in group])
                alpha, log_z = forward(em, trans, start, end)
                beta = backward(em, trans, end)
                p = np.exp(alpha + beta - log_z[:, None, None])
                h = _entropy(p)
                for row, i in enumerate(group):
                    mean_p[i] += p[row]
                    alea_t[i] += h[row]
                if with_entities:
                    for row, i in enumerate(group):
                        for e, (s, stop, kind) in enumerate(entity_spans[i]):
                            masked = _entity_lattice(em[row], s, stop, kind, label_id)
                            lz = log_partition(masked[None], trans, start, end)[0]
                            entity_p[i][e, k] = np.exp(lz - log_z[row])
        size = len(self.members_)
        total = np.array([_entropy(p / size).sum() for p in mean_p])
        aleatoric = np.array([a.sum() / size for a in alea_t])
        entities = None
        if with_entities:
            entities = []
            for spans_i, probs in zip(entity_spans, entity_p, strict=True):
                tot = _binary_entropy(probs.mean(axis=1))
                alea = _binary_entropy(probs).mean(axis=1)
                entities.append(
                    [
                        EntityUncertainty(
                            s, e, kind, float(pk.mean()), float(t), float(a), float(max(t - a, 0.0))
                        )
                        for (s, e, kind), pk, t, a in zip(spans_i, probs, tot, alea, strict=True)
                    ]
                )
        return total, aleatoric, intent_total, intent_alea, entities

    def analyse(self, sentences: Sequence[Sequence[str]], *, entities: bool = False) -> Analysis:
        """Total, aleatoric and epistemic uncertainty of each utterance (slots and intent),
        and with ``entities`` of each entity the full tagger predicts (see the module
        docstring)."""
        import numpy as np

        self._check_fitted()
        sentences = [list(s) for s in sentences]
        if not sentences:
            empty = np.zeros(0)
            return Analysis(empty, empty, empty, empty, empty, [] if entities else None)
        pieces = [
            self._analyse_chunk(sentences[a : a + _CHUNK], entities)
            for a in range(0, len(sentences), _CHUNK)
        ]
        slot_total, slot_alea, int_total, int_alea = (
            np.concatenate([p[j] for p in pieces]) for j in range(4)
        )
        total = slot_total + int_total
        aleatoric = slot_alea + int_alea
        found = [e for p in pieces for e in p[4]] if entities else None
        return Analysis(
            total, aleatoric, np.maximum(total - aleatoric, 0.0), int_total, int_alea, found
        )

    def uncertainty(self, sentences: Sequence[Sequence[str]], *, by: str = "epistemic"):
        """Per utterance: ``epistemic`` (= ``bald``), ``aleatoric`` or ``total`` (nats)."""
        if by not in ENSEMBLE_MEASURES:
            raise ParameterError(f"by={by!r}; choose one of {', '.join(ENSEMBLE_MEASURES)}")
        analysis = self.analyse(sentences)
        return getattr(analysis, "epistemic" if by == "bald" else by)

    def entity_uncertainties(
        self, sentences: Sequence[Sequence[str]]
    ) -> list[list[EntityUncertainty]]:
        """Per utterance, each entity the full tagger predicts with the ensemble's mean
        probability of it and its total, aleatoric and epistemic uncertainty."""
        return self.analyse(sentences, entities=True).entities

    # ------------------------------------------------------------------ persistence

    def to_bytes(self) -> bytes:
        self._check_fitted()
        fields = {"seed": self.seed, "params": self.params}
        return pack_ensemble(fields, [t.to_bytes() for t in [self.full_, *self.members_]])

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "model") -> TaggerEnsemble:
        meta, models = unpack_ensemble(data, source=source)
        taggers = [
            SlotTagger.from_bytes(m, source=f"{source} (member {k})") for k, m in enumerate(models)
        ]
        full = taggers[0]
        for k, m in enumerate(taggers[1:], 1):
            if (
                m.settings_ != full.settings_
                or m.featurizer_.cues != full.featurizer_.cues
                or m.featurizer_.gazetteer != full.featurizer_.gazetteer
            ):
                raise DamagedModelError.of(
                    source, f"member {k} does not share the full tagger's features"
                )
            m.featurizer_ = full.featurizer_
        params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
        out = cls(len(taggers) - 1, seed=meta.get("seed", 0), **params)
        out._set(full, taggers[1:])
        return out

    def save(self, path: str | PathLike[str]) -> None:
        """Write the ensemble file atomically (see :func:`~.model_file.pack_ensemble`)."""
        from ..io.atomic import write_bytes

        write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | PathLike[str]) -> TaggerEnsemble:
        from ..io.text import read_bytes

        return cls.from_bytes(read_bytes(path, what="model"), source=str(path))


def _entity_lattice(em, start, stop, kind, label_id):
    """Emissions allowing only the paths that hold the entity ``kind`` on ``[start, stop)``."""
    import numpy as np

    masked = np.full_like(em, -np.inf)
    b, i = label_id.get(f"B-{kind}"), label_id.get(f"I-{kind}")
    if b is None or (stop - start > 1 and i is None):
        return masked
    masked[start, b] = em[start, b]
    if stop - start > 1:
        masked[start + 1 : stop, i] = em[start + 1 : stop, i]
    masked[:start] = em[:start]
    masked[stop:] = em[stop:]
    if stop < len(em) and i is not None:
        masked[stop, i] = -np.inf  # the entity ends here
    return masked


def load_model(path: str | PathLike[str] | None = None) -> SlotTagger | TaggerEnsemble:
    """A tagger or an ensemble, as the model file holds (the default tagger for None)."""
    from ..io.text import read_bytes
    from .default import load_tagger
    from .model_file import is_ensemble

    if path is None:
        return load_tagger()
    data = read_bytes(path, what="model")
    if is_ensemble(data):
        return TaggerEnsemble.from_bytes(data, source=str(path))
    return SlotTagger.from_bytes(data, source=str(path))
