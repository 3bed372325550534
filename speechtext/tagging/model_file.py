"""The slot-tagger model file (``.tagger``): a zip of the tagger's settings and the crfsuite model.

Members:

``tagger.json``
    ``format`` (:data:`MODEL_FORMAT`), ``version`` (:data:`MODEL_VERSION`), then what the tagger
    learned besides the CRF weights: labels, feature settings, cue words, gazetteer, word slots,
    temperature, the constructor's parameters and the dev F1.
``model.crfsuite``
    The model file crfsuite wrote.
``checksums.json``
    ``{"sha256": {member: hex digest}}`` of the two members above.

crfsuite is a C library that trusts its input: given a cut or altered model it crashes the
process (a segmentation fault) instead of raising. So crfsuite only trains; no model file is
handed to it. :func:`unpack_model` verifies each member's SHA-256 (a damaged file gets
:class:`DamagedModelError`, which says to retrain), and :func:`read_crfsuite` reads the weights
out of crfsuite's format in Python, checking every count and offset against the bytes where
crfsuite would trust them. The digests detect damage (a cut copy, a bad disk, a member replaced
by hand), not a forger, who could recompute them; the Python reader is what keeps even a forged
file from crashing the process.

A file of another format or version is refused with a message that says how to make a new one;
bump :data:`MODEL_VERSION` when the members or their meaning change. Version 1 files (before the
checksums) are refused the same way: retraining makes a version 2 file.

Examples
--------
>>> unpack_model(b"not a model", source="notes.txt")
Traceback (most recent call last):
speechtext.tagging.model_file.DamagedModelError: damaged model file notes.txt (not a zip ...
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import math
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import FormatError

__all__ = [
    "CHECKSUM_MEMBER",
    "CRF_MEMBER",
    "CRFWeights",
    "ENSEMBLE_FORMAT",
    "ENSEMBLE_MEMBER",
    "ENSEMBLE_VERSION",
    "META_MEMBER",
    "NETWORK_MEMBER",
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "DamagedModelError",
    "check_fields",
    "is_ensemble",
    "pack_ensemble",
    "pack_model",
    "read_crfsuite",
    "unpack_ensemble",
    "unpack_model",
]

MODEL_FORMAT = "speechtext-slot-tagger"
MODEL_VERSION = 2  # 2: checksums.json
META_MEMBER = "tagger.json"
CRF_MEMBER = "model.crfsuite"
NETWORK_MEMBER = "network.npz"  # only in a tagger with networks (SlotTagger(networks=K))
CHECKSUM_MEMBER = "checksums.json"
_RETRAIN = "retrain it with `speechtext tag train`"
_NOT_OURS = "not a speechtext slot-tagger model"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same model gives the same bytes

# What zipfile raises on a damaged archive besides BadZipFile: a flipped byte can break the
# deflate stream (zlib.error) or the lzma/bzip2 one it now names (LZMAError, OSError), name an
# unknown compression (NotImplementedError), set the encryption flag (RuntimeError), spoil a
# UTF-8 name (UnicodeDecodeError, a ValueError) or a size (EOFError, struct.error).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    OverflowError,
    struct.error,
)

# crfsuite's model format (crfsuite's lib/crf/src/crf1d_model.c and lib/cqdb/src/cqdb.c),
# little-endian: a header (magic, file size, model type, version, three counts and the offsets
# of five chunks), the features (FEAT: type, source, destination, weight), a string table
# (CQDB) each for labels and attributes, and per label and per attribute the ids of its features
# (LFRF, AFRF). Every offset is checked before it is followed.
_CRF_MAGIC = b"lCRF"
_CRF_HEADER = struct.Struct("<4sI4sIIII5I")
_CRF_VERSION = 100
_CQDB_HEADER = struct.Struct("<4sIIIII")  # id, size, flag, byte order, backward size, offset
_CQDB_BYTEORDER = 0x62445371
_CQDB_DATA = _CQDB_HEADER.size + 256 * 8  # after the header and the 256 hash-table references
_STATE, _TRANSITION = 0, 1  # feature types


class CRFWeights(NamedTuple):
    """The weights of a crfsuite model, as :func:`read_crfsuite` reads them."""

    labels: list[str]
    """Label names by crfsuite's label id."""
    attributes: list[str]
    """Attribute names by crfsuite's attribute id."""
    state: tuple[Any, Any, Any]
    """State features: attribute ids, label ids, weights (arrays), attribute by attribute."""
    transitions: tuple[Any, Any, Any]
    """Transition features: label ids from, label ids to, weights (arrays)."""


class DamagedModelError(FormatError):
    """A model file that is cut, altered or not a slot-tagger model at all.

    Attributes
    ----------
    source : str or None
        The file's name.
    reason : str or None
        What is wrong with it, for callers that phrase their own message.
    """

    def __init__(
        self, message: str, *, source: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)  # one argument: callers re-raise type(exc)(longer message)
        self.source = source
        self.reason = reason

    @classmethod
    def of(cls, source: str, reason: str) -> DamagedModelError:
        """``damaged model file SOURCE (REASON): retrain it with `speechtext tag train```."""
        return cls(
            f"damaged model file {source} ({reason}): {_RETRAIN}", source=source, reason=reason
        )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack_model(fields: Mapping[str, Any], crf: bytes, network: bytes | None = None) -> bytes:
    """The model file's bytes: ``fields`` (after the format and version), the crfsuite model,
    the networks' weights if any, and the checksums of them all.

    Parameters
    ----------
    fields : mapping
        JSON-serialisable content of ``tagger.json`` besides ``format`` and ``version``.
    crf : bytes
        The crfsuite model.
    network : bytes, optional
        :meth:`speechtext.tagging.network.Network.to_bytes`.
    """
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, **fields}
    members = {META_MEMBER: json.dumps(meta, ensure_ascii=False).encode("utf-8"), CRF_MEMBER: crf}
    if network is not None:
        members[NETWORK_MEMBER] = network
    sums = {"sha256": {name: _sha256(data) for name, data in members.items()}}
    members[CHECKSUM_MEMBER] = json.dumps(sums, indent=1).encode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def _read_members(data, source):
    """name -> bytes of every member, each checked against the zip's CRC-32 by zipfile."""
    if not data:
        raise DamagedModelError.of(source, "empty file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        if not data.startswith(b"PK"):
            raise DamagedModelError.of(source, f"not a zip archive: {_NOT_OURS}") from None
        raise DamagedModelError.of(source, "a zip archive cut short or damaged") from None
    with archive:
        names = archive.namelist()
        if len(set(names)) != len(names):
            raise DamagedModelError.of(source, "a member appears twice")
        try:
            return {name: archive.read(name) for name in names}
        except _ZIP_ERRORS as exc:
            raise DamagedModelError.of(source, f"unreadable zip archive: {exc}") from None


def _read_meta(members, source):
    try:
        meta = json.loads(members[META_MEMBER].decode("utf-8"))
    except KeyError:
        raise DamagedModelError.of(
            source, f"a zip archive without {META_MEMBER}: {_NOT_OURS}"
        ) from None
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise DamagedModelError.of(source, f"{META_MEMBER} is not JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise DamagedModelError.of(source, f"{META_MEMBER} of another program: {_NOT_OURS}")
    return meta


def _check_sums(members, source):
    if CHECKSUM_MEMBER not in members:
        raise DamagedModelError.of(source, f"no {CHECKSUM_MEMBER}")
    try:
        sums = json.loads(members.pop(CHECKSUM_MEMBER).decode("ascii"))["sha256"]
        if not isinstance(sums, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, RecursionError):
        raise DamagedModelError.of(source, f"{CHECKSUM_MEMBER} is not a list of digests") from None
    expected = {META_MEMBER, CRF_MEMBER} | ({NETWORK_MEMBER} & (set(members) | set(sums)))
    if set(members) != expected or set(sums) != expected:
        odd = sorted((set(members) ^ expected) | (set(sums) ^ expected))
        raise DamagedModelError.of(source, f"unexpected or missing members {odd}")
    for name, data in members.items():
        if sums[name] != _sha256(data):
            raise DamagedModelError.of(source, f"{name} does not match its checksum")


def _chunk(crf, offset, chunk_id):
    """The size of the chunk ``chunk_id`` at ``offset``, checked to lie inside ``crf``."""
    if offset + 12 > len(crf):
        raise ValueError(f"no {chunk_id.decode()} chunk at byte {offset}")
    found, size = struct.unpack_from("<4sI", crf, offset)
    if found != chunk_id or size < 12 or offset + size > len(crf):
        raise ValueError(f"no whole {chunk_id.decode()} chunk at byte {offset}")
    return size


def _strings(crf, offset, count, what):
    """Strings 0 .. count-1 of the CQDB string table at ``offset`` (by its backward array)."""
    if count == 0:
        return []
    size = _chunk(crf, offset, b"CQDB")
    table = crf[offset : offset + size]
    _, _, _, order, n_back, back = _CQDB_HEADER.unpack_from(table)
    if size < _CQDB_DATA or order != _CQDB_BYTEORDER:
        raise ValueError(f"the {what} table is not a crfsuite string table")
    if count > n_back or back == 0 or back + 4 * count > size:
        raise ValueError(f"the {what} table holds fewer than {count} {what}s")
    import numpy as np

    # The checks of every entry at once (numpy), then one slice per string: a model with
    # intent features has a million attribute names, and a loop of struct calls took a second.
    starts = np.frombuffer(table, "<u4", count, back).astype(np.int64)
    outside = np.flatnonzero((starts < _CQDB_DATA) | (starts > size - 8))
    if outside.size:
        raise ValueError(f"{what} {outside[0]} lies outside its table")
    raw = np.frombuffer(table, np.uint8)
    fields = raw[starts[:, None] + np.arange(8)].copy().view("<u4").astype(np.int64)
    stored_ids, lengths = fields[:, 0], fields[:, 1]
    ends = starts + 8 + lengths
    bad = np.flatnonzero((stored_ids != np.arange(count)) | (lengths < 1) | (ends > size))
    if bad.size:
        raise ValueError(f"{what} {bad[0]} is cut or out of place")
    # Each key ends with its NUL (crfsuite writes the terminator into the stored length).
    no_nul = np.flatnonzero(raw[ends - 1] != 0)
    if no_nul.size:
        raise ValueError(f"{what} {no_nul[0]} is cut or out of place")
    out = [table[a:b] for a, b in zip((starts + 8).tolist(), (ends - 1).tolist(), strict=True)]
    try:
        return [key.decode("utf-8") for key in out]
    except UnicodeDecodeError:
        bad = next(i for i, key in enumerate(out) if not _is_utf8(key))
        raise ValueError(f"{what} {bad} is not UTF-8") from None


def _is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _feature_ids(crf, offset, chunk_id, count, n_features, u32):
    """The ids of the features of items 0 .. count-1 (labels or attributes), item by item."""
    import numpy as np

    size = _chunk(crf, offset, chunk_id)
    (n,) = struct.unpack_from("<I", crf, offset + 8)
    if n < count or 12 + 4 * n > size:  # crfsuite lists two more labels than it names
        raise ValueError(f"the {chunk_id.decode()} chunk lists {n} items, expected {count}")
    starts = np.frombuffer(crf, "<u4", count, offset + 12).astype(np.int64)
    if count and (np.any(starts % 4) or starts.min() < offset or starts.max() + 4 > len(crf)):
        raise ValueError(f"the {chunk_id.decode()} chunk points outside the model")
    counts = u32[starts // 4].astype(np.int64)
    if count and np.any(starts + 4 + 4 * counts > len(crf)):
        raise ValueError(f"the {chunk_id.decode()} chunk runs past the model's end")
    # item k's ids are the counts[k] words after its count word: one gather for all of them
    first = starts // 4 + 1
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ids = u32[np.repeat(first, counts) + within].astype(np.int64)
    if ids.size and ids.max() >= n_features:
        raise ValueError(f"the {chunk_id.decode()} chunk names a feature the model lacks")
    return ids


def read_crfsuite(crf: bytes) -> CRFWeights:
    """The labels, attributes and weights of a crfsuite model, read in Python and checked.

    This is what crfsuite's ``dump`` (and python-crfsuite's ``Tagger.info()``) lists, in the
    same order and with the weights as that dump prints them (six decimals), without handing
    the bytes to crfsuite, which would crash on a damaged or forged model.

    Raises
    ------
    ValueError
        ``crf`` is not a whole crfsuite CRF model: the message says what is wrong.

    Examples
    --------
    >>> read_crfsuite(b"lCRF")
    Traceback (most recent call last):
    ...
    ValueError: shorter than a crfsuite header
    """
    import numpy as np

    if len(crf) < _CRF_HEADER.size:
        raise ValueError("shorter than a crfsuite header")
    header = _CRF_HEADER.unpack(crf[: _CRF_HEADER.size])
    magic, size, kind, version, _, n_labels, n_attrs, *offsets = header
    if magic != _CRF_MAGIC or kind != b"FOMC" or version != _CRF_VERSION:
        raise ValueError("not a crfsuite CRF model (version 100)")
    if size != len(crf):
        raise ValueError(f"{len(crf)} bytes where its header announces {size}")
    off_features, off_labels, off_attrs, off_labelrefs, off_attrrefs = offsets
    feat_size = _chunk(crf, off_features, b"FEAT")
    (n_features,) = struct.unpack_from("<I", crf, off_features + 8)
    if 12 + 20 * n_features > feat_size:
        raise ValueError(f"the FEAT chunk cannot hold its {n_features} features")
    features = np.frombuffer(
        crf,
        np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")]),
        n_features,
        off_features + 12,
    )
    labels = _strings(crf, off_labels, n_labels, "label")
    attributes = _strings(crf, off_attrs, n_attrs, "attribute")
    u32 = np.frombuffer(crf, "<u4", len(crf) // 4)
    parts = {}
    for name, off, chunk_id, n_src, kind_wanted, n_items in (
        ("transitions", off_labelrefs, b"LFRF", n_labels, _TRANSITION, n_labels),
        ("state", off_attrrefs, b"AFRF", n_attrs, _STATE, n_attrs),
    ):
        chosen = features[_feature_ids(crf, off, chunk_id, n_items, n_features, u32)]
        if np.any(chosen["type"] != kind_wanted) or np.any(chosen["src"] >= n_src):
            raise ValueError(f"the {chunk_id.decode()} chunk lists features of another kind")
        if np.any(chosen["dst"] >= n_labels) or not np.isfinite(chosen["weight"]).all():
            raise ValueError(f"the {name} features name unknown labels or hold NaN")
        # "%f", as crfsuite's dump prints them: the weights the tagger has always read
        weights = np.array([float(f"{w:f}") for w in chosen["weight"].tolist()])
        parts[name] = (
            chosen["src"].astype(np.intp),
            chosen["dst"].astype(np.intp),
            weights,
        )
    return CRFWeights(labels, attributes, parts["state"], parts["transitions"])


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_fields(meta: Mapping[str, Any]) -> None:
    """Check the learned fields of ``tagger.json`` (settings, cues, gazetteer, word slots,
    temperature): what a tagger would otherwise trip over when it tags, not when it loads.

    Raises
    ------
    ValueError
        Naming the field that is missing or of another type.

    Examples
    --------
    >>> check_fields({"settings": {}, "cues": [], "gazetteer": {}, "temperature": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: tagger.json: feature settings without 'affixes', 'bag_of_cues', ...
    """
    from .features import CLUSTER_LEVELS, DEFAULT_FEATURES

    where = META_MEMBER
    settings = meta.get("settings")
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: no feature settings")
    if missing := sorted(set(DEFAULT_FEATURES) - set(settings)):
        raise ValueError(f"{where}: feature settings without {', '.join(map(repr, missing))}")
    for key, default in DEFAULT_FEATURES.items():
        value = settings[key]
        if isinstance(default, bool):
            fits = isinstance(value, bool)
        elif isinstance(default, int):
            fits = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            fits = _is_number(value) and math.isfinite(value)
        if not fits:
            raise ValueError(f"{where}: feature setting {key}={value!r}")
    if not isinstance(meta.get("cues"), list) or not all(isinstance(c, str) for c in meta["cues"]):
        raise ValueError(f"{where}: cues is not a list of words")
    gazetteer = meta.get("gazetteer")
    if not isinstance(gazetteer, dict) or not all(
        isinstance(v, list) and all(isinstance(t, str) for t in v) for v in gazetteer.values()
    ):
        raise ValueError(f"{where}: gazetteer is not a map of values to slot types")
    word_slots = meta.get("word_slots", {})
    if not isinstance(word_slots, dict) or not all(isinstance(v, str) for v in word_slots.values()):
        raise ValueError(f"{where}: word_slots is not a map of words to slot types")
    clusters = meta.get("clusters", {})
    levels = len(CLUSTER_LEVELS)
    if not isinstance(clusters, dict) or not all(
        isinstance(v, list) and len(v) == levels and all(type(c) is int for c in v)
        for v in clusters.values()
    ):
        raise ValueError(f"{where}: clusters is not a map of words to {levels} cluster ids")
    temperature = meta.get("temperature")
    if not (_is_number(temperature) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"{where}: temperature={temperature!r}, expected a number > 0")


def unpack_model(
    data: bytes, *, source: str = "model"
) -> tuple[dict[str, Any], bytes, bytes | None]:
    """``(tagger.json content, crfsuite model, networks or None)`` of a model file's bytes,
    verified.

    Parameters
    ----------
    data : bytes
    source : str
        The file's name, for the messages.

    Raises
    ------
    DamagedModelError
        Empty, cut, altered, or not a slot-tagger model.
    FormatError
        A slot-tagger model of another version.
    """
    members = _read_members(data, source)
    meta = _read_meta(members, source)
    if meta.get("version") != MODEL_VERSION:
        raise FormatError(
            f"{source}: slot-tagger model version {meta.get('version')!r}, but this "
            f"speechtext reads version {MODEL_VERSION}; {_RETRAIN}"
        )
    _check_sums(members, source)
    # present: _check_sums wants both, and the networks' member if it has their checksum
    return meta, members[CRF_MEMBER], members.get(NETWORK_MEMBER)


ENSEMBLE_FORMAT = "speechtext-tagger-ensemble"
ENSEMBLE_VERSION = 1
ENSEMBLE_MEMBER = "ensemble.json"


def _ensemble_names(count):
    return [f"member-{k}.tagger" for k in range(count)]


def pack_ensemble(fields: Mapping[str, Any], models: Sequence[bytes]) -> bytes:
    """An ensemble file's bytes: ``ensemble.json`` (format, version, ``fields``), one tagger
    model file per member (``member-K.tagger``; the first is the tagger trained on all the
    data) and the checksums of all."""
    meta = {"format": ENSEMBLE_FORMAT, "version": ENSEMBLE_VERSION, "members": len(models)}
    meta.update(fields)
    members = {ENSEMBLE_MEMBER: json.dumps(meta, ensure_ascii=False).encode("utf-8")}
    members.update(zip(_ensemble_names(len(models)), models, strict=True))
    sums = {"sha256": {name: _sha256(data) for name, data in members.items()}}
    members[CHECKSUM_MEMBER] = json.dumps(sums, indent=1).encode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # members are compressed already
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def is_ensemble(data: bytes) -> bool:
    """Whether a model file's bytes are an ensemble file (a zip holding ``ensemble.json``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return ENSEMBLE_MEMBER in archive.namelist()
    except _ZIP_ERRORS:
        return False


def unpack_ensemble(data: bytes, *, source: str = "model") -> tuple[dict[str, Any], list[bytes]]:
    """``(ensemble.json content, member model files)`` of an ensemble file's bytes, verified.

    Raises
    ------
    DamagedModelError
        Cut, altered, or not an ensemble file.
    FormatError
        An ensemble file of another version.
    """
    members = _read_members(data, source)
    try:
        meta = json.loads(members[ENSEMBLE_MEMBER].decode("utf-8"))
    except KeyError:
        raise DamagedModelError.of(source, f"no {ENSEMBLE_MEMBER}: not an ensemble") from None
    except (ValueError, RecursionError):
        raise DamagedModelError.of(source, f"{ENSEMBLE_MEMBER} is not JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != ENSEMBLE_FORMAT:
        raise DamagedModelError.of(source, f"{ENSEMBLE_MEMBER} of another program")
    if meta.get("version") != ENSEMBLE_VERSION:
        raise FormatError(
            f"{source}: tagger-ensemble version {meta.get('version')!r}, but this speechtext "
            f"reads version {ENSEMBLE_VERSION}; {_RETRAIN} --ensemble K"
        )
    count = meta.get("members")
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise DamagedModelError.of(source, f"{ENSEMBLE_MEMBER}: members={count!r}")
    names = _ensemble_names(count)
    expected = {ENSEMBLE_MEMBER, *names}
    try:
        sums = json.loads(members.pop(CHECKSUM_MEMBER).decode("ascii"))["sha256"]
        if not isinstance(sums, dict):
            raise TypeError
    except KeyError:
        raise DamagedModelError.of(source, f"no {CHECKSUM_MEMBER}") from None
    except (ValueError, TypeError, RecursionError):
        raise DamagedModelError.of(source, f"{CHECKSUM_MEMBER} is not a list of digests") from None
    if set(members) != expected or set(sums) != expected:
        odd = sorted((set(members) ^ expected) | (set(sums) ^ expected))
        raise DamagedModelError.of(source, f"unexpected or missing members {odd}")
    for name, content in members.items():
        if sums[name] != _sha256(content):
            raise DamagedModelError.of(source, f"{name} does not match its checksum")
    return meta, [members[name] for name in names]
