"""F0 tracks and pitch summaries on disk: ``.f0.csv``, ``.summary.json``, ``summary.csv``, plots.

Formats (see DESIGN.md):

``<name>.f0.csv``
    ``time,f0,voiced,confidence``: frame centre in s, F0 in Hz (0 where unvoiced), voiced 0/1,
    confidence 0..1. A track with no frames is the header line alone.
``<name>.summary.json``
    The dict of :func:`speechtext.pitch.summarize` plus facts about the file (source, duration,
    fmin, fmax, hop).
``summary.csv``
    One row per file with the columns of :data:`SUMMARY_COLUMNS`; empty cells where a value is
    None (a file with no voiced frame has no median).

All writes are atomic (temp file + rename).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..types import F0Track
from .atomic import atomic_path, write_text
from .manifest import parse_json
from .text import read_text

__all__ = [
    "F0_HEADER",
    "SUMMARY_COLUMNS",
    "read_f0_csv",
    "read_summary_csv",
    "read_summary_json",
    "f0_figure",
    "write_f0_csv",
    "write_f0_plot",
    "write_summary_csv",
    "write_summary_json",
    "write_summary_table",
]

F0_HEADER = ("time", "f0", "voiced", "confidence")
SUMMARY_COLUMNS = (
    "source",
    "duration",
    "frames",
    "voiced_fraction",
    "median",
    "p5",
    "p95",
    "mode",
    "register",
)


def _time_format(hop):
    # enough decimals to tell frames apart whatever the hop (10 ms -> 4 decimals)
    return f"%.{max(4, math.ceil(-math.log10(hop)) + 2)}f" if hop and hop > 0 else "%.6f"


def write_f0_csv(path, track):
    """Write an F0 track as CSV ``time,f0,voiced,confidence``, atomically.

    Rows are formatted in chunks, so a long track needs little memory beyond its arrays.

    Examples
    --------
    >>> write_f0_csv("out/a.f0.csv", estimate_f0(y, sr=16000))  # doctest: +SKIP
    """
    tf = _time_format(getattr(track, "hop", 0.01))
    voiced = np.asarray(track.voiced, bool)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(F0_HEADER) + "\n")
        for start in range(0, len(track.times), 20000):
            part = slice(start, start + 20000)
            f.writelines(
                f"{tf % t},{f0:.2f},{int(v)},{c:.3f}\n"
                for t, f0, v, c in zip(
                    track.times[part].tolist(),
                    track.f0[part].tolist(),
                    voiced[part].tolist(),
                    track.confidence[part].tolist(),
                    strict=True,
                )
            )


def _csv_rows(path, what):
    """``[(line, row), ...]`` of a UTF-8 CSV file; FormatError naming the file and line."""
    reader = csv.reader(io.StringIO(read_text(path, what=what), newline=""))
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:  # a field over csv's size limit
        raise FormatError(f"{path}:{reader.line_num}: not CSV ({exc})") from None
    return rows


def read_f0_csv(path):
    """Read an F0 CSV back into an :class:`speechtext.types.F0Track`.

    Raises
    ------
    FormatError
        Not a UTF-8 text file, wrong header, wrong column count or a value that is not a
        number; the message names the file and line.
    """

    path = Path(path)
    rows = _csv_rows(path, "F0 track")
    if not rows or tuple(c.strip() for c in rows[0][1]) != F0_HEADER:
        raise FormatError(f"{path}:1: expected the header {','.join(F0_HEADER)}")
    values = []
    for lineno, row in rows[1:]:
        if not row:
            continue
        if len(row) != 4:
            raise FormatError(f"{path}:{lineno}: expected 4 columns, found {len(row)}")
        try:
            values.append([float(x) for x in row])
        except ValueError:
            raise FormatError(f"{path}:{lineno}: {','.join(row)!r} holds a non-number") from None
    data = np.array(values, dtype=float).reshape(-1, 4)
    hop = float(np.median(np.diff(data[:, 0]))) if len(data) > 1 else 0.010
    return F0Track(data[:, 0], data[:, 1], data[:, 2] > 0, data[:, 3], hop)


def _jsonable(value):
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Path):
        return str(value)
    return value


def write_summary_json(path, summary):
    """Write a pitch summary dict as JSON, atomically."""
    data = {key: _jsonable(value) for key, value in summary.items()}
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_summary_json(path):
    """Read a summary JSON written by :func:`write_summary_json`."""
    path = Path(path)
    data = parse_json(read_text(path, what="pitch summary"), path)
    if not isinstance(data, dict):
        raise FormatError(f"{path}:1: expected a JSON object with the pitch summary")
    return data


def write_summary_csv(path, summaries):
    """Write one row per summary dict (columns :data:`SUMMARY_COLUMNS`), atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for summary in summaries:
        row = []
        for key in SUMMARY_COLUMNS:
            value = _jsonable(summary.get(key))
            if value is None:
                row.append("")
            elif isinstance(value, float):
                row.append(f"{value:.4g}" if key == "voiced_fraction" else f"{value:.2f}")
            else:
                row.append(str(value))
        writer.writerow(row)
    write_text(path, buf.getvalue())


def write_summary_table(
    path: str | os.PathLike, summary_files: Iterable[str | os.PathLike]
) -> list[str]:
    """Write ``summary.csv`` from per-file summary JSONs, one row each in order, atomically.

    A file that does not exist (its input failed) is left out; so is one that cannot be read,
    and that one is named in the returned messages, for the caller to show.

    Parameters
    ----------
    path : path
        The ``summary.csv`` to write.
    summary_files : iterable of path
        ``<name>.summary.json`` files written by :func:`write_summary_json`.

    Returns
    -------
    list of str
        ``"FILE: left out of summary.csv (REASON)"`` per unreadable file.

    Examples
    --------
    >>> write_summary_table("out/summary.csv", ["out/a.summary.json"])  # doctest: +SKIP
    []
    """
    rows, left_out = [], []
    for file in map(Path, summary_files):
        if not file.exists():
            continue
        try:
            rows.append(read_summary_json(file))
        except (FormatError, OSError) as exc:
            left_out.append(f"{file}: left out of summary.csv ({exc})")
    write_summary_csv(path, rows)
    return left_out


def read_summary_csv(path):
    """Read ``summary.csv`` into a list of dicts (strings; empty cells as None).

    Raises
    ------
    FormatError
        Not a UTF-8 text file, another header, a row with another number of columns; the
        message names the file and line.
    """
    path = Path(path)
    rows = _csv_rows(path, "pitch summary table")
    if not rows or tuple(rows[0][1]) != SUMMARY_COLUMNS:
        raise FormatError(f"{path}:1: expected the header {','.join(SUMMARY_COLUMNS)}")
    out = []
    for lineno, row in rows[1:]:
        if not row:
            continue  # csv.DictReader skips blank lines too
        if len(row) != len(SUMMARY_COLUMNS):
            raise FormatError(
                f"{path}:{lineno}: expected {len(SUMMARY_COLUMNS)} columns, found {len(row)}"
            )
        out.append({k: (v if v != "" else None) for k, v in zip(SUMMARY_COLUMNS, row, strict=True)})
    return out


PLOT_FMIN = 40.0  # Hz: bottom of the plot's log-frequency axis (below any speech F0)


def write_f0_plot(path, track, y, sr, *, title=None):
    """Draw :func:`f0_figure` and write it as a PNG, atomically."""
    fig = f0_figure(track, y, sr, title=title)  # says how to install matplotlib if missing
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path, suffix=".png.part") as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)


def f0_figure(track, y, sr, *, title=None):
    """A spectrogram (40 Hz to 4 kHz, log-frequency) with the F0 contour drawn on the same
    frequency axis, voiced frames marked: a matplotlib Figure with one Axes.

    On a log-frequency axis a 100 Hz contour sits where 100 Hz is in the spectrogram, with its
    harmonics evenly spaced above it, and is not squeezed against the bottom as on a linear
    0-4 kHz axis. ``y`` is the audio the track was made from (any rate). Needs matplotlib
    (``pip install 'speechtext[plot]'``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from ..errors import SpeechTextError

        raise SpeechTextError(
            "--plot needs matplotlib; install it with: pip install 'speechtext[plot]'"
        ) from None
    from scipy.signal import spectrogram

    y = np.asarray(y, dtype=np.float32)
    # 64 ms windows resolve the harmonics of a low voice (15.6 Hz bins)
    nper = max(16, int(0.064 * sr))
    if len(y) < nper:  # shorter than one spectrogram window: pad, the plot stays valid
        y = np.pad(y, (0, nper - len(y)))
    freqs, times, power = spectrogram(
        y, fs=sr, nperseg=nper, noverlap=nper - max(1, int(0.010 * sr))
    )
    top = min(4000.0, sr / 2)
    keep = (freqs > 0) & (freqs <= top)
    fig, ax = plt.subplots(figsize=(max(6.0, min(40.0, len(y) / sr * 1.5)), 4.0), dpi=100)
    try:
        ax.pcolormesh(
            times,
            freqs[keep],
            10 * np.log10(power[keep] + 1e-12),
            shading="auto",
            cmap="magma",
        )
        ax.set_yscale("log")
        ax.set_ylim(max(PLOT_FMIN, float(freqs[keep][0])), top)
        ticks = [t for t in (50, 100, 200, 300, 500, 1000, 2000, 3000, 4000) if t <= top]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("time (s)")
        ax.set_ylabel("frequency (Hz)")
        ax.set_title(title or "F0")
        voiced = np.asarray(track.voiced, bool)
        f0 = np.where(voiced, track.f0, np.nan)  # gaps where unvoiced
        ax.plot(track.times, f0, color="cyan", linewidth=2.0, label="F0")
        ax.plot(
            track.times[voiced],
            f0[voiced],
            linestyle="none",
            marker=".",
            markersize=1.5,
            color="white",
            label="voiced frame",
        )
        if voiced.any():
            ax.legend(loc="upper right", fontsize="small", framealpha=0.6)
        fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return fig
