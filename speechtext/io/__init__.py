"""All disk access of speechtext: audio, text formats, F0 tracks, lexicons, manifests, atomic
writes, folders, and one writer per output format (CoNLL, N-best, phones, delex JSONL, F0).

Names load from their module on first use, so importing ``speechtext.io.conll`` (or anything
here) does not pull in numpy and soundfile.
"""

from .._lazy import lazy_exports

# Public name -> submodule that defines it.
_EXPORTS = {
    "atomic_path": "atomic",
    "write_bytes": "atomic",
    "write_text": "atomic",
    "cache_dir": "cache",
    "read_cache": "cache",
    "write_cache": "cache",
    "AUDIO_EXTENSIONS": "audio",
    "AudioInfo": "audio",
    "AudioWriter": "audio",
    "as_float_mono": "audio",
    "audio_info": "audio",
    "iter_blocks": "audio",
    "read_audio": "audio",
    "read_audio_command": "audio",
    "read_audio_span": "audio",
    "write_audio": "audio",
    "Sentence": "conll",
    "check_tags": "conll",
    "read_conlleval": "conlleval",
    "read_sentences": "conll",
    "split_tag": "conll",
    "write_conll": "conll",
    "write_seq": "conll",
    "read_f0_csv": "f0",
    "read_summary_csv": "f0",
    "read_summary_json": "f0",
    "write_f0_csv": "f0",
    "write_summary_csv": "f0",
    "write_summary_table": "f0",
    "read_lexicon": "lexicon",
    "read_templates": "lexicon",
    "parse_json": "manifest",
    "read_jsonl": "manifest",
    "nbest_entry": "nbest",
    "write_nbest_jsonl": "nbest",
    "phones_line": "phones",
    "word_entry": "phones",
    "write_phones": "phones",
    "write_phones_jsonl": "phones",
    "write_delex_jsonl": "delexed",
    "write_jsonl": "manifest",
    "read_emissions": "scores",
    "read_labels": "scores",
    "decode_text": "text",
    "read_bytes": "text",
    "read_lines": "text",
    "read_text": "text",
    "split_lines": "text",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
