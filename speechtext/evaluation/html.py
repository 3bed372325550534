"""The HTML report of an evaluation: one self-contained page, readable at 1280x800.

Everything is inside the page (no network, no file beside it): the figures are inline SVG drawn
by :mod:`~speechtext.evaluation.plot` (text kept as text, so they stay small and sharp at any
zoom), the telephone audio of each utterance is a base64 WAV in an ``<audio>`` player. Embedding
the audio keeps the page one file that can be mailed or attached to an issue; telephone audio
is 8 kHz PCM16, 16 kB/s, so the demo's twelve utterances add about 0.8 MB, and at most
:data:`MAX_UTTERANCES` utterances are shown. Nothing is wider than the page: long tables and
the confusion matrix scroll inside their own box and sentences wrap.

The page has: the summary, the per-type table (P, R, F1, support, AP and the four match modes'
F1), the four SemEval match modes, the PR curves (all entities and per type), the reliability
diagram with each bin's count, the confusion matrix of entity types, the worst sentence errors
with each token coloured by its gold and its predicted slot and, for runs with audio, each
utterance's F0 contour and its telephone audio.
"""

from __future__ import annotations

import base64
import html
import io
import re
import zlib
from dataclasses import dataclass

import numpy as np

from ..types import F0Track
from .options import MATCH_MODES
from .report import Report

__all__ = ["MAX_ERRORS", "MAX_UTTERANCES", "Utterance", "render_html"]

MAX_ERRORS = 50
MAX_UTTERANCES = 50


@dataclass(frozen=True)
class Utterance:
    """One utterance of a run with audio: its id, F0 track and telephone audio (WAV bytes)."""

    id: str
    f0: F0Track | None = None
    wav: bytes | None = None
    text: str | None = None


def _svg(fig, prefix: str) -> str:
    """A matplotlib figure as inline SVG whose ids are unique in the page."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        # no date or version stamp: the same report gives the same page
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]
    # Several SVGs in one document share one id space: prefix every id and its references.
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = svg.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    svg = re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", svg, count=1)
    return f'<figure class="fig">{svg}</figure>'


def _hue(name: str) -> int:
    return zlib.crc32(name.encode()) % 360


def _slot_style(tag: str) -> str:
    if tag == "O":
        return ""
    return f' style="background:hsl({_hue(tag[2:])},70%,82%)"'


def _tokens_html(error) -> str:
    tokens = error.tokens or [f"#{k + 1}" for k in range(len(error.gold))]
    cells = []
    for tok, g, p in zip(tokens, error.gold, error.pred, strict=True):
        wrong = " wrong" if g != p else ""
        g_label = g[2:] if g.startswith(("B-", "S-", "U-")) else ""
        p_label = p[2:] if p.startswith(("B-", "S-", "U-")) else ""
        cells.append(
            f'<span class="tok{wrong}" title="gold {html.escape(g)} / predicted '
            f'{html.escape(p)}"><span class="w">{html.escape(tok)}</span>'
            f'<span class="g"{_slot_style(g)}>{html.escape(g_label) or "&nbsp;"}</span>'
            f'<span class="p"{_slot_style(p)}>{html.escape(p_label) or "&nbsp;"}</span></span>'
        )
    return '<div class="sent">' + "".join(cells) + "</div>"


def _fmt(x, digits=4):
    return "n/a" if x is None else f"{x:.{digits}f}"


def _summary(report: Report) -> str:
    ap = report.average_precision
    rows = [
        ("sentences, tokens", f"{report.sentences}, {report.tokens}"),
        ("mode, scheme", f"{report.mode}, {report.scheme}"),
        ("micro precision / recall / F1", " / ".join(_fmt(x) for x in (
            report.micro.precision, report.micro.recall, report.micro.f1))),
        ("macro F1, weighted F1", f"{_fmt(report.macro.f1)}, {_fmt(report.weighted.f1)}"),
        ("token accuracy, sentence accuracy",
         f"{_fmt(report.token_accuracy)}, {_fmt(report.sentence_accuracy)}"),
        ("micro AP, mAP", f"{_fmt(ap and ap['micro'])}, {_fmt(ap and ap['mean'])}"),
        ("expected calibration error",
         _fmt(report.calibration and report.calibration["ece"])),
        ("sentences with a wrong tag", str(len(report.errors))),
    ]  # fmt: skip
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    return f'<table class="summary">{body}</table>' + (f"<ul>{notes}</ul>" if notes else "")


def _per_type(report: Report) -> str:
    head = "".join(f"<th>{m} F1</th>" for m in MATCH_MODES)
    rows = []
    for name, s in report.per_type.items():
        modes = report.match_modes_by_type.get(name, {})
        cells = "".join(
            f"<td>{_fmt(modes[m].f1 if m in modes else None)}</td>" for m in MATCH_MODES
        )
        rows.append(
            f"<tr><th>{html.escape(name)}</th><td>{_fmt(s.precision)}</td><td>{_fmt(s.recall)}"
            f"</td><td>{_fmt(s.f1)}</td><td>{s.support}</td><td>{_fmt(s.ap)}</td>{cells}</tr>"
        )
    for label, s in (("micro avg", report.micro), ("macro avg", report.macro)):
        rows.append(
            f'<tr class="avg"><th>{label}</th><td>{_fmt(s.precision)}</td><td>{_fmt(s.recall)}'
            f"</td><td>{_fmt(s.f1)}</td><td>{s.support}</td><td>{_fmt(s.ap)}</td>"
            + "<td></td>" * len(MATCH_MODES)
            + "</tr>"
        )
    return (
        '<div class="scroll"><table class="num" id="per-type"><tr><th>type</th><th>precision</th>'
        f"<th>recall</th><th>F1</th><th>support</th><th>AP</th>{head}</tr>"
        + "".join(rows)
        + "</table></div>"
    )


def _modes(report: Report) -> str:
    keys = ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual")
    rows = []
    for m in MATCH_MODES:
        s = report.match_modes[m]
        counts = "".join(f"<td>{getattr(s, k)}</td>" for k in keys)
        rows.append(
            f"<tr><th>{m}</th>{counts}<td>{_fmt(s.precision)}</td><td>{_fmt(s.recall)}</td>"
            f"<td>{_fmt(s.f1)}</td></tr>"
        )
    head = "".join(f"<th>{k}</th>" for k in (*keys, "precision", "recall", "F1"))
    return (
        '<div class="scroll"><table class="num" id="match-modes"><tr><th>mode</th>'
        f"{head}</tr>{''.join(rows)}</table></div>"
        '<p class="hint">strict: span and type right; exact: span right; partial: overlap '
        "counts half; type: overlap with the right type (SemEval-2013, nervaluate's counts).</p>"
    )


def _confusion(report: Report) -> str:
    c = report.confusion
    if c is None or len(c.labels) == 1:
        return "<p>No entities.</p>"
    m = c.matrix
    off = m.copy()
    np.fill_diagonal(off, 0)
    # Only the types in some confusion (and "(none)"): the diagonal of the rest is in the table
    involved = np.flatnonzero(off.sum(0) + off.sum(1))
    if not len(involved):
        return "<p>No confusion: every gold entity was found with its type, nothing spurious.</p>"
    top = max(int(off.max()), 1)
    head = "".join(
        f'<th class="col"><span>{html.escape(c.labels[j])}</span></th>' for j in involved
    )
    rows = []
    for i in involved:
        cells = []
        for j in involved:
            n = int(m[i, j])
            diag = i == j
            style = ""
            if n and not diag:
                style = f' style="background:rgba(214,39,40,{0.15 + 0.85 * n / top:.2f})"'
            elif n and diag:
                style = ' style="background:#dcefdc"'
            cells.append(f"<td{style}>{n or ''}</td>")
        rows.append(f"<tr><th>{html.escape(c.labels[i])}</th>{''.join(cells)}</tr>")
    return (
        '<p class="hint">Rows: gold type; columns: predicted type; (none) column: missed, '
        "(none) row: spurious. Only the types in a confusion are shown.</p>"
        '<div class="scroll"><table class="confusion" id="confusion"><tr><th>gold \\ pred</th>'
        f"{head}</tr>{''.join(rows)}</table></div>"
    )


def _errors(report: Report) -> str:
    if not report.errors:
        return "<p>No sentence has a wrong tag.</p>"
    shown = report.errors[:MAX_ERRORS]
    items = []
    for e in shown:
        conf = "" if e.confidence is None else f"confidence {e.confidence:.3f} &middot; "
        what = "".join(f"<li>{html.escape(w)}</li>" for w in e.entities)
        plural = "s" if e.wrong_tags != 1 else ""
        items.append(
            f'<div class="error"><div class="where">{conf}{e.wrong_tags} wrong tag{plural} '
            "&middot; "
            f"{html.escape(e.where)}</div>{_tokens_html(e)}<ul>{what}</ul></div>"
        )
    return (
        f'<p class="hint">{len(shown)} of {len(report.errors)} sentences with a wrong tag, '
        "the confident mistakes first. Under each token: its gold slot (upper band) and its "
        "predicted slot (lower band), the slot named where it starts; a red frame marks a wrong "
        "tag.</p>" + "".join(items)
    )


def _utterances(utterances, figure) -> str:
    parts = []
    for k, u in enumerate(utterances[:MAX_UTTERANCES]):
        body = f"<h3>{html.escape(u.id)}</h3>"
        if u.text:
            body += f'<p class="text">{html.escape(u.text)}</p>'
        if u.f0 is not None:
            from .plot import f0_figure

            body += figure(f0_figure(u.f0, title=u.id, gid=f"f0-{k}"))
        if u.wav is not None:
            data = base64.b64encode(u.wav).decode("ascii")
            body += (
                f'<audio controls preload="metadata" src="data:audio/wav;base64,{data}"></audio>'
            )
        parts.append(f'<div class="utt">{body}</div>')
    more = len(utterances) - MAX_UTTERANCES
    tail = f"<p>{more} more utterances are not shown.</p>" if more > 0 else ""
    return '<div class="utts">' + "".join(parts) + "</div>" + tail


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:12px 24px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
h3{font-size:15px;margin:6px 0}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid #ddd;padding:2px 6px}
table.num td,table.confusion td{text-align:right;font-variant-numeric:tabular-nums}
table.summary th{text-align:left}
tr.avg th,tr.avg td{font-weight:600;background:#f0f0f0}
.scroll{max-width:100%;overflow-x:auto}
.confusion th.col{vertical-align:bottom;height:140px}
.confusion th.col span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.confusion td{min-width:22px}
figure.fig{margin:8px 0;max-width:100%}
figure.fig svg{max-width:100%;height:auto;display:block}
.grid-2{display:flex;flex-wrap:wrap;gap:12px}.grid-2>figure{flex:1 1 420px;max-width:560px}
.error{background:#fff;border:1px solid #ddd;margin:8px 0;padding:6px 8px}
.where{color:#555;font-size:12px}
.sent{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0}
.tok{display:inline-flex;flex-direction:column;border:2px solid transparent;min-width:2em}
.tok.wrong{border-color:#d62728}
.tok .w{padding:0 3px;font-weight:600}
.tok .g,.tok .p{font-size:10px;padding:0 3px;white-space:nowrap;line-height:1.3}
.tok .p{border-top:1px dashed #999}
.hint{color:#555;font-size:12px}
.utts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:10px}
.utt{background:#fff;border:1px solid #ddd;padding:6px 8px;min-width:0}
.utt p.text{margin:0 0 4px}
audio{width:100%}
"""


def render_html(
    report: Report,
    *,
    title: str = "speechtext evaluation",
    utterances: list[Utterance] | None = None,
) -> str:
    """The report as one self-contained HTML page (see the module docstring).

    Needs matplotlib for the figures (``pip install 'speechtext[plot]'``).

    Examples
    --------
    >>> from speechtext.evaluation import evaluate
    >>> page = render_html(evaluate([["B-x", "O"]], [["B-x", "O"]], scores=[[0.9, 0.8]]))
    >>> page.startswith("<!DOCTYPE html>"), "<svg" in page
    (True, True)
    """
    from .plot import pr_figure, pr_grid_figure, reliability_figure

    count = iter(range(10**6))

    def figure(fig):
        return "" if fig is None else _svg(fig, f"f{next(count)}")

    sections = [
        ("summary", "Summary", _summary(report)),
        ("types", "Per type", _per_type(report)),
        ("modes", "Match modes (SemEval-2013)", _modes(report) if report.match_modes else ""),
    ]
    if report.curves:
        curves = (
            '<div class="grid-2">'
            + figure(pr_figure(report))
            + figure(reliability_figure(report))
            + "</div>"
            + figure(pr_grid_figure(report))
        )
    else:
        curves = "<p>No confidences in the predictions: no PR curves or reliability diagram.</p>"
    sections.append(("curves", "Precision-recall curves and reliability", curves))
    sections.append(("confusion", "Confusion of entity types", _confusion(report)))
    sections.append(("errors", "Worst errors", _errors(report)))
    if utterances:
        sections.append(
            ("audio", "Utterances: F0 and telephone audio", _utterances(utterances, figure))
        )
    nav = " &middot; ".join(
        f'<a href="#{key}">{html.escape(name)}</a>' for key, name, _ in sections
    )
    body = "".join(
        f'<section id="{key}"><h2>{html.escape(name)}</h2>{content}</section>'
        for key, name, content in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1><nav>{nav}</nav>{body}</main></body></html>\n"
    )
