"""Slot tagging and intents: IOB2 slots with a linear-chain CRF conditioned on the intent, N-best,
confidences and active learning.

- :mod:`~speechtext.tagging.features`: the crfsuite features, cue words, the out-of-fold
  gazetteer and the intent-conjoined features;
- :mod:`~speechtext.tagging.intent`: the intent classifier (logistic regression, run in numpy);
- :mod:`~speechtext.tagging.tagger`: :class:`SlotTagger` (validation, training, calibration,
  inference, active learning);
- :mod:`~speechtext.tagging.model_file`: the ``.tagger`` model file (and the ensemble file);
- :mod:`~speechtext.tagging.ensemble`: :class:`TaggerEnsemble`, bootstrap members, epistemic
  and aleatoric uncertainty; :mod:`~speechtext.tagging.uncertainty`: the selection strategies,
  diverse batches, sentence confidence; :mod:`~speechtext.tagging.selftrain`: self-training;
- :mod:`~speechtext.tagging.default`: the embedded default tagger, shipped in ``models/``
  (trained on SNIPS and the template corpus in ``corpus/``); ``build_default`` rebuilds it.

Importing the package loads neither numpy nor crfsuite; they load when a tagger trains or tags.

Examples
--------
>>> from speechtext.tagging import SlotTagger, load_tagger
>>> SlotTagger(algorithm="lbfgs", c1=0.1).get_params()["c1"]
0.1
>>> load_tagger().predict([["wake", "me", "at", "seven", "am"]])  # doctest: +SKIP
[['O', 'O', 'O', 'B-time', 'I-time']]
"""

from .default import default_tagger, load_tagger
from .ensemble import TaggerEnsemble
from .model_file import MODEL_FORMAT, MODEL_VERSION
from .tagger import ALGORITHMS, SELECT_STRATEGIES, SlotTagger, TrainingDataError

__all__ = [
    "ALGORITHMS",
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "SELECT_STRATEGIES",
    "SlotTagger",
    "TaggerEnsemble",
    "TrainingDataError",
    "default_tagger",
    "load_tagger",
]
