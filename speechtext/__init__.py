"""speechtext: prepare and evaluate data for telephone voice assistants and spoken-language
understanding.

The stages are importable from here; each module loads only when first used, so importing
speechtext stays fast.

>>> import speechtext
>>> y8k = speechtext.to_telephone(y, sr=16000)  # doctest: +SKIP
"""

from ._lazy import lazy_exports

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS = {
    "to_telephone": "telephone",
    "telephone_file": "telephone",
    "TelephoneChannel": "telephone",
    "estimate_f0": "pitch",
    "summarize": "pitch",
    "F0Track": "pitch",
    "SlotTagger": "tagging",
    "default_tagger": "tagging",
    "beam_search": "decode",
    "viterbi": "decode",
    "exact_nbest": "decode",
    "G2P": "g2p",
    "evaluate": "evaluation",
    "Report": "evaluation",
    "delexicalize": "delex",
    "delexicalize_text": "delex",
    "relexicalize": "delex",
    "fill_template": "delex",
    "find_values": "delex",
    "to_iob": "delex",
    "Delexed": "delex",
    "Lexicon": "delex",
    "load_lexicon": "delex",
    "Pipeline": "pipeline",
    "load_spec": "pipeline",
    "run_pipeline": "pipeline",
    "SpeechTextError": "errors",
    "ParameterError": "errors",
    "AudioError": "errors",
    "FormatError": "errors",
    "NotFittedError": "errors",
}

__all__ = ["__version__", *_EXPORTS]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
