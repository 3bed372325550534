"""Figures of a :class:`~speechtext.evaluation.Report`: precision-recall curves, per type and for
all entities, the reliability diagram, and an utterance's F0 contour (matplotlib, imported only
here and only when drawing).

The figures are made to inform when scores are high: the axes are padded so that a curve along
the top edge stays visible, each threshold is a marker on the step curve, the per-type grid lays
its titles out (constrained layout, four columns, small type), and each reliability bin shows its
count. :func:`plot_report` writes them as PNG files; :mod:`~speechtext.evaluation.html` embeds the
same figures as inline SVG.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..io.atomic import atomic_path
from .report import Report

__all__ = ["f0_figure", "plot_report", "pr_figure", "pr_grid_figure", "reliability_figure"]

# Panels per row of the per-type grid: wide enough for a 26-character slot name in 7 pt.
GRID_COLUMNS = 4
PAD = 0.04  # axis padding beyond [0, 1], so that curves on the frame stay visible


def _figure_class():
    try:
        from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    except ImportError:
        raise ParameterError(
            "plots need matplotlib: pip install 'speechtext[plot]' (or matplotlib)"
        ) from None
    return Figure


def _draw_curve(ax, curve, *, gid, markersize):
    ax.set_xlim(-PAD, 1 + PAD)
    ax.set_ylim(-PAD, 1 + PAD)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    if not len(curve.recall):  # gold entities of the type, but no prediction of it
        ax.text(0.5, 0.5, "no predictions", ha="center", va="center", fontsize=7, color="gray")
        return
    # The non-interpolated curve: precision p_k holds on the recall step (r_k-1, r_k].
    (line,) = ax.step(
        np.r_[0.0, curve.recall],
        np.r_[curve.precision[:1], curve.precision],
        where="pre",
        marker="o",
        markersize=markersize,
        markevery=list(range(1, len(curve.recall) + 1)),
        clip_on=False,
    )
    line.set_gid(gid)


def pr_figure(report: Report):
    """The precision-recall curve of all entities, or None without confidences."""
    curve = report.curves.get("micro")
    if curve is None:
        return None
    fig = _figure_class()(figsize=(5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    _draw_curve(ax, curve, gid="pr-micro", markersize=3)
    n = len(curve.thresholds)
    ax.set_title(f"all entities: AP {curve.ap:.3f} ({n} thresholds)", fontsize=10)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    return fig


def pr_grid_figure(report: Report):
    """One precision-recall panel per entity type, or None without confidences."""
    names = [n for n in report.curves if n != "micro"]
    if not names:
        return None
    cols = min(GRID_COLUMNS, len(names))
    rows = -(-len(names) // cols)
    fig = _figure_class()(figsize=(2.5 * cols, 1.9 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        curve = report.curves[name]
        _draw_curve(ax, curve, gid=f"pr-type-{name}", markersize=2.5)
        ax.set_title(f"{name}\nAP {curve.ap:.3f}, {report.per_type[name].support} gold", fontsize=7)
        ax.set_xticks([0, 0.5, 1])
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=6)
    for k, ax in enumerate(axes[len(names) :], len(names)):
        ax.set_visible(False)
        axes[k - cols].xaxis.set_tick_params(labelbottom=True)  # the panel above ends its column
    fig.supxlabel("recall", fontsize=8)
    fig.supylabel("precision", fontsize=8)
    return fig


def reliability_figure(report: Report):
    """The reliability diagram, each bin labelled with its count; None without confidences."""
    rel = report.reliability
    if rel is None or rel["confidence"] is None:
        return None
    edges = rel["edges"]
    centres = (edges[:-1] + edges[1:]) / 2
    filled = rel["count"] > 0
    fig = _figure_class()(figsize=(5, 4.6), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.bar(
        centres[filled],
        rel["accuracy"][filled],
        width=np.diff(edges)[filled],
        edgecolor="black",
        label="accuracy",
        gid="reliability-bars",
    )
    ax.bar_label(bars, labels=[f"n={c}" for c in rel["count"][filled]], fontsize=7, padding=2)
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
    ax.plot(centres[filled], rel["confidence"][filled], "ro", label="mean confidence")
    ax.set_xlabel("entity confidence")
    ax.set_ylabel("share of entities that are correct")
    ax.set_xlim(-PAD / 2, 1 + PAD / 2)
    ax.set_ylim(0, 1.12)  # room for the counts above full bars
    ece = report.calibration["ece"] if report.calibration else float("nan")
    n = int(rel["count"].sum())
    ax.set_title(f"reliability diagram: ECE {ece:.3f}, {n} entities", fontsize=10)
    ax.legend(loc="upper left", fontsize=7)
    return fig


def f0_figure(track, *, title: str, gid: str = "f0"):
    """An utterance's F0 contour (voiced frames) over time, Hz."""
    fig = _figure_class()(figsize=(5, 1.9), layout="constrained")
    ax = fig.add_subplot()
    f0 = np.where(track.voiced, track.f0, np.nan)
    (line,) = ax.plot(track.times, f0, ".", markersize=2)
    line.set_gid(gid)
    ax.set_xlim(0, max(float(track.times[-1]) if len(track.times) else 0.0, 0.1))
    top = float(np.nanmax(f0)) if np.any(track.voiced) else 300.0
    ax.set_ylim(0, top * 1.15)
    ax.set_xlabel("time (s)", fontsize=8)
    ax.set_ylabel("F0 (Hz)", fontsize=8)
    ax.tick_params(labelsize=7)
    voiced = float(np.mean(track.voiced)) if len(track.voiced) else 0.0
    ax.set_title(f"{title}: {100 * voiced:.0f} % of frames voiced", fontsize=8)
    return fig


def plot_report(report: Report, outdir: str | os.PathLike) -> list[Path]:
    """Draw the precision-recall curves and the reliability diagram as PNG files in ``outdir``.

    Writes ``pr_curve.png`` (all entities), ``pr_curves_by_type.png`` (one panel per type) and
    ``reliability.png``. Needs matplotlib (``pip install 'speechtext[plot]'``).

    Returns
    -------
    list of Path
        The files written; empty when the report has no confidences.

    Examples
    --------
    >>> plot_report(evaluate(gold, pred), "plots")  # doctest: +SKIP
    """
    if not report.curves:
        return []
    outdir = Path(outdir)
    written = []
    for name, draw in (
        ("pr_curve.png", pr_figure),
        ("pr_curves_by_type.png", pr_grid_figure),
        ("reliability.png", reliability_figure),
    ):
        fig = draw(report)
        if fig is None:
            continue
        path = outdir / name
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        written.append(path)
    return written
