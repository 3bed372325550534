"""Label score files for ``speechtext decode``: label lists and ``.npz`` emission archives.

Everything a decoder would choke on is refused here, with the file, the array and the row:
repeated labels, arrays of strings, objects, booleans or complex numbers, wrong shapes, NaN and
``+inf``, and rows in which every label scores ``-inf`` (no label possible at that token).
``-inf`` elsewhere is allowed: it marks a label impossible at that token.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from ..errors import FormatError
from .text import read_lines

if TYPE_CHECKING:
    import numpy as np

__all__ = ["read_emissions", "read_labels", "row_name"]


def read_labels(path: str | os.PathLike) -> list[tuple[int, str]]:
    """Label names, one a line, as ``[(line number, label), ...]`` (blank lines skipped).

    Raises
    ------
    FormatError
        Empty file, white space inside a label, or a label named twice (both lines named).
    """
    lines = read_lines(path, what="labels")
    labels = []
    seen = {}
    for number, line in enumerate(lines, 1):
        label = line.strip()
        if not label:
            continue
        if any(ch.isspace() for ch in label):
            raise FormatError(f"{path}:{number}: {label!r}: one label a line, no white space")
        if label in seen:
            raise FormatError(
                f"{path}:{number}: label {label!r} again (first on line {seen[label]}); each "
                "label names one score column, once"
            )
        seen[label] = number
        labels.append((number, label))
    if not labels:
        raise FormatError(f"{path}: empty file; expected one label name a line")
    return labels


def read_emissions(
    path: str | os.PathLike, *, n_labels: int, labels_path: str | os.PathLike
) -> tuple[list[tuple[str, np.ndarray]], dict[str, np.ndarray]]:
    """Per-token scores from an ``.npz``: arrays ``emissions_0``, ``emissions_1``, ... of shape
    ``[T, n_labels]`` in index order, and optional ``transitions`` ``[L, L]``, ``start`` and
    ``end`` ``[L]``. Returns ``([(name, emissions), ...], {"transitions": ..., ...})``.

    Raises
    ------
    FormatError
        Not an archive, no ``emissions_K``, or an array that is not real numbers of the right
        shape, holds NaN or ``+inf``, or (emissions) has a row of ``-inf`` only; the message
        names the file, the array and the row.
    """
    import numpy as np

    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except Exception as exc:  # numpy and zipfile raise a zoo of types on damaged bytes
        raise FormatError(f"{path}: not a numpy .npz archive ({_reason(exc)})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise FormatError(f"{path}: a single array, expected an .npz archive of emissions_K")
    with archive:
        names = archive.files
        numbered = sorted(
            (int(m.group(1)), name)
            for name in names
            if (m := re.fullmatch(r"emissions_(\d+)", name))
        )
        if not numbered:
            raise FormatError(f"{path}: no emissions_0, emissions_1, ... arrays (has {names})")
        emissions = []
        for _, name in numbered:
            em = _member(archive, name, path)
            if em.ndim != 2 or em.shape[1] != n_labels:
                raise FormatError(
                    f"{path}: {name} has shape {em.shape}; expected [T, {n_labels}] for the "
                    f"{n_labels} labels of {labels_path}"
                )
            em = em.astype(np.float64)
            bad = np.isnan(em) | np.isposinf(em)
            if bad.any():
                row = int(np.flatnonzero(bad.any(axis=1))[0])
                raise FormatError(
                    f"{path}: {row_name(name, row)}: NaN or +inf; scores must be finite, or "
                    "-inf for a label impossible at that token"
                )
            impossible = np.isneginf(em).all(axis=1)
            if impossible.any():
                row = int(np.flatnonzero(impossible)[0])
                raise FormatError(
                    f"{path}: {row_name(name, row)}: every label scores -inf, so no label is "
                    "possible at that token; at least one label needs a finite score"
                )
            emissions.append((name, em))
        extra = {}
        for name, shape in (
            ("transitions", (n_labels, n_labels)),
            ("start", (n_labels,)),
            ("end", (n_labels,)),
        ):
            if name in names:
                value = _member(archive, name, path)
                if value.shape != shape:
                    raise FormatError(
                        f"{path}: {name} has shape {value.shape}; expected {shape} for the "
                        f"{n_labels} labels of {labels_path}"
                    )
                value = value.astype(np.float64)
                if np.isnan(value).any() or np.isposinf(value).any():
                    raise FormatError(
                        f"{path}: {name} holds NaN or +inf; scores must be finite, or -inf "
                        "where not allowed"
                    )
                extra[name] = value
    return emissions, extra


def _member(archive, name, path):
    """One array of the archive, refused unless it holds real numbers (ints or floats)."""
    import numpy as np

    try:
        value = archive[name]
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # numpy refuses object arrays without it
            raise FormatError(
                f"{path}: {name} is an array of Python objects; save the scores as numbers "
                "(np.asarray(scores, dtype=float))"
            ) from None
        raise FormatError(f"{path}: {name} cannot be read ({_reason(exc)})") from None
    except Exception as exc:  # a damaged member: numpy and zipfile raise many types
        raise FormatError(f"{path}: {name} cannot be read ({_reason(exc)})") from None
    if not isinstance(value, np.ndarray):  # a member that is not a .npy array: its bytes
        raise FormatError(f"{path}: {name} is not a numpy array; save it with np.savez")
    if not (np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating)):
        raise FormatError(
            f"{path}: {name} holds {value.dtype} values ({_kind(value.dtype)}); scores must be "
            "real numbers (float log-scores)"
        )
    return value


def row_name(name: str, row: int) -> str:
    """How messages name a row of an emissions array: ``emissions_3, row 0 (1st token)``.

    Examples
    --------
    >>> row_name("emissions_3", 11)
    'emissions_3, row 11 (12th token)'
    """
    n = row + 1
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{name}, row {row} ({n}{suffix} token)"


def _reason(exc):
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _kind(dtype):
    kinds = {"U": "strings", "S": "bytes", "b": "booleans", "c": "complex numbers", "V": "records"}
    return kinds.get(dtype.kind, "not numbers")
