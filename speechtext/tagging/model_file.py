"""The slot-tagger model file (``.tagger``): a zip of the tagger's settings and the crfsuite model.

Members:

``tagger.json``
    ``format`` (:data:`MODEL_FORMAT`), ``version`` (:data:`MODEL_VERSION`), then what the tagger
    learned besides the CRF weights: labels, feature settings, cue words, gazetteer, word slots,
    temperature, the constructor's parameters and the dev F1.
``model.crfsuite``
    The model file crfsuite wrote.

A file of another format or version is refused with a message that says how to make a new one;
bump :data:`MODEL_VERSION` when the members or their meaning change.

Examples
--------
>>> data = pack_model({"labels": ["O"]}, b"crf")
>>> unpack_model(data)
({'format': 'speechtext-slot-tagger', 'version': 1, 'labels': ['O']}, b'crf')
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from ..errors import FormatError

__all__ = [
    "CRF_MEMBER",
    "META_MEMBER",
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "pack_model",
    "unpack_model",
]

MODEL_FORMAT = "speechtext-slot-tagger"
MODEL_VERSION = 1
META_MEMBER = "tagger.json"
CRF_MEMBER = "model.crfsuite"


def pack_model(fields: Mapping[str, Any], crf: bytes) -> bytes:
    """The model file's bytes: ``fields`` (after the format and version) and the crfsuite model.

    Parameters
    ----------
    fields : mapping
        JSON-serialisable content of ``tagger.json`` besides ``format`` and ``version``.
    crf : bytes
        The crfsuite model.
    """
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, **fields}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(META_MEMBER, json.dumps(meta, ensure_ascii=False))
        z.writestr(CRF_MEMBER, crf)
    return buf.getvalue()


def unpack_model(data: bytes, *, source: str = "model") -> tuple[dict[str, Any], bytes]:
    """``(tagger.json content, crfsuite model)`` of a model file's bytes.

    Parameters
    ----------
    data : bytes
    source : str
        The file's name, for the messages.

    Raises
    ------
    FormatError
        Not a slot-tagger model file, or one of another model version.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            meta = json.loads(z.read(META_MEMBER).decode("utf-8"))
            crf = z.read(CRF_MEMBER)
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
    return meta, crf
