"""Plots of a :class:`~speechtext.evaluation.Report`: precision-recall curves and the reliability
diagram, as PNG files (matplotlib, imported only here and only when plotting)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..io.atomic import atomic_path
from .report import Report

__all__ = ["plot_report"]


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
    try:
        from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    except ImportError:
        raise ParameterError(
            "plots need matplotlib: pip install 'speechtext[plot]' (or matplotlib)"
        ) from None
    outdir = Path(outdir)
    written = []

    def save(fig, name):
        path = outdir / name
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        written.append(path)

    def draw(ax, curve, title):
        # The non-interpolated curve: precision p_k holds on the recall step (r_k-1, r_k].
        ax.step(np.r_[0.0, curve.recall], np.r_[curve.precision[:1], curve.precision], where="pre")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{title} (AP {curve.ap:.3f})", fontsize=8)

    fig = Figure(figsize=(5, 4.5))
    ax = fig.add_subplot()
    draw(ax, report.curves["micro"], "all entities")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    fig.tight_layout()
    save(fig, "pr_curve.png")

    names = [n for n in report.curves if n != "micro"]
    cols = min(6, max(1, len(names)))
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(2.2 * cols, 1.9 * rows + 0.4))
    # Shared axes with labels on the outer panels only: ticks dominate the drawing time.
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        draw(ax, report.curves[name], name)
        ax.set_xticks([0, 0.5, 1])
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=7)
    for k, ax in enumerate(axes[len(names) :], len(names)):
        ax.set_visible(False)
        axes[k - cols].xaxis.set_tick_params(labelbottom=True)  # the panel above ends its column
    fig.supxlabel("recall")
    fig.supylabel("precision")
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.95, wspace=0.12, hspace=0.4)
    save(fig, "pr_curves_by_type.png")

    if report.reliability is not None and report.reliability["confidence"] is not None:
        rel = report.reliability
        edges = rel["edges"]
        centres = (edges[:-1] + edges[1:]) / 2
        fig = Figure(figsize=(5, 5))
        ax = fig.add_subplot()
        filled = rel["count"] > 0
        ax.bar(
            centres[filled],
            rel["accuracy"][filled],
            width=np.diff(edges)[filled],
            edgecolor="black",
            label="accuracy",
        )
        ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
        ax.plot(centres[filled], rel["confidence"][filled], "ro", label="mean confidence")
        ax.set_xlabel("entity confidence")
        ax.set_ylabel("share of entities that are correct")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ece = report.calibration["ece"] if report.calibration else float("nan")
        ax.set_title(f"reliability diagram (ECE {ece:.3f})")
        ax.legend(loc="upper left")
        fig.tight_layout()
        save(fig, "reliability.png")
    return written
