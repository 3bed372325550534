"""Label score files for ``speechtext decode``: label lists and ``.npz`` emission archives."""

from __future__ import annotations

import os
import re
import zipfile
from typing import TYPE_CHECKING

from ..errors import FormatError
from .text import read_lines

if TYPE_CHECKING:
    import numpy as np

__all__ = ["read_emissions", "read_labels"]


def read_labels(path: str | os.PathLike) -> list[tuple[int, str]]:
    """Label names, one a line, as ``[(line number, label), ...]`` (blank lines skipped)."""
    lines = read_lines(path, what="labels")
    labels = []
    for number, line in enumerate(lines, 1):
        label = line.strip()
        if not label:
            continue
        if any(ch.isspace() for ch in label):
            raise FormatError(f"{path}:{number}: {label!r}: one label a line, no white space")
        labels.append((number, label))
    if not labels:
        raise FormatError(f"{path}: empty file; expected one label name a line")
    return labels


def read_emissions(
    path: str | os.PathLike, *, n_labels: int, labels_path: str | os.PathLike
) -> tuple[list[tuple[str, np.ndarray]], dict[str, np.ndarray]]:
    """Per-token scores from an ``.npz``: arrays ``emissions_0``, ``emissions_1``, ... of shape
    ``[T, n_labels]`` in index order, and optional ``transitions`` ``[L, L]``, ``start`` and
    ``end`` ``[L]``. Returns ``([(name, emissions), ...], {"transitions": ..., ...})``."""
    import numpy as np

    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise FormatError(f"{path}: not a numpy .npz archive ({exc})") from None
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
            em = archive[name]
            if em.ndim != 2 or em.shape[1] != n_labels:
                raise FormatError(
                    f"{path}: {name} has shape {em.shape}; expected [T, {n_labels}] for the "
                    f"{n_labels} labels of {labels_path}"
                )
            if np.isnan(em).any() or np.isposinf(em).any():
                raise FormatError(f"{path}: {name} holds NaN or +inf; scores must be finite")
            emissions.append((name, em.astype(np.float64)))
        extra = {}
        for name, shape in (
            ("transitions", (n_labels, n_labels)),
            ("start", (n_labels,)),
            ("end", (n_labels,)),
        ):
            if name in names:
                value = archive[name]
                if value.shape != shape or np.isnan(value).any():
                    raise FormatError(
                        f"{path}: {name} has shape {value.shape}; expected {shape} without NaN"
                    )
                extra[name] = value.astype(np.float64)
    return emissions, extra
