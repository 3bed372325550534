"""The HTML report in a real browser: headless Chromium (the Debian package) loads it with no
console error, its figures hold their data, and at 1280x800 it does not scroll sideways.

Driven through the DevTools protocol by playwright, launched on the system chromium (playwright
downloads no browser here). A full-page screenshot of each report is kept as a CI artefact under
``out/ci-artifacts/`` (the path is printed).
"""

import re
import shutil
from pathlib import Path

import pytest
from test_evaluate import corrupt

from speechtext.cli import main
from speechtext.evaluation import evaluate, render_html
from speechtext.io import read_sentences, write_conll

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "out" / "ci-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("headless Chromium is needed: apt-get install chromium (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) drives it")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def load(browser, path, shot):
    """Open ``path`` at 1280x800; the console's errors, the page, and the screenshot's path."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(path.resolve().as_uri(), wait_until="load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    print(f"screenshot of {path.name}: {ARTIFACTS / shot}")
    return page, problems


def markers_of(page, selector):
    """The data markers drawn in each element matching ``selector`` (one per data point)."""
    return page.eval_on_selector_all(
        selector, "els => els.map(g => g.querySelectorAll('use').length)"
    )


def assert_no_sideways_scroll(page):
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"


@pytest.fixture(scope="module")
def snips_report(snips_dir, tmp_path_factory):
    """The CLI's HTML report of SNIPS test against corrupted predictions with confidences."""
    gold = read_sentences(snips_dir / "test")
    pred = corrupt(gold, seed=5)
    folder = tmp_path_factory.mktemp("html")
    write_conll(folder / "pred.conll", pred)
    html = folder / "report.html"
    assert (
        main(["evaluate", str(snips_dir / "test"), str(folder / "pred.conll"), "--html", str(html)])
        == 0
    )
    return html, evaluate(gold, pred)


def test_snips_report_is_small_and_self_contained(snips_report):
    html, _ = snips_report
    text = html.read_text(encoding="utf-8")
    assert html.stat().st_size < 2_000_000
    # no network: nothing is fetched from anywhere (the SVG namespace is a name, not a fetch)
    links = re.findall(r'(?:src|href)="([^"#][^"]*)"', text)
    assert all(link.startswith("data:") for link in links), links[:3]
    for section in ("summary", "types", "modes", "curves", "confusion", "errors"):
        assert f'<section id="{section}">' in text


def test_snips_report_renders_in_chromium_with_its_data(browser, snips_report):
    html, report = snips_report
    page, problems = load(browser, html, "html-report-snips.png")
    assert problems == []
    assert_no_sideways_scroll(page)
    # every figure drew its data: the overall curve, one curve per type, the reliability bars
    assert markers_of(page, '[id$="-pr-micro"]') == [len(report.curves["micro"].recall)]
    per_type = [len(c.recall) for n, c in report.curves.items() if n != "micro" and len(c.recall)]
    assert markers_of(page, '[id*="-pr-type-"]') == per_type
    bars = page.eval_on_selector_all('[id$="-reliability-bars"] path', "els => els.length")
    assert bars == int((report.reliability["count"] > 0).sum())
    # each figure is rendered at a size one can read, within the page
    sizes = page.eval_on_selector_all(
        "figure.fig svg", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(sizes) == 3 and all(200 < w <= 1280 for w in sizes)
    # the tables hold the report's figures
    modes = page.inner_text("#match-modes")
    assert f"{report.match_modes['partial'].f1:.4f}" in modes
    assert (
        page.eval_on_selector_all("#per-type tr", "els => els.length") == len(report.per_type) + 3
    )
    assert "(none)" in page.inner_text("#confusion")
    # the worst errors show their tokens coloured, the wrong ones framed
    assert page.eval_on_selector_all("#errors .error", "els => els.length") == 50
    assert page.eval_on_selector_all("#errors .tok.wrong", "els => els.length") > 50
    page.close()


@pytest.fixture(scope="module")
def demo_report(samples_dir, tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("demo")
    assert main(["run", "demo", str(samples_dir), "-o", str(out / "run"), "--workers", "1"]) == 0
    return out / "run" / "report.html"


def test_demo_report_plays_the_telephone_audio_and_shows_f0(browser, demo_report, samples_dir):
    n = len(list(samples_dir.glob("*.wav")))
    page, problems = load(browser, demo_report, "html-report-demo.png")
    assert problems == []
    assert_no_sideways_scroll(page)
    durations = page.evaluate(
        """() => Promise.all([...document.querySelectorAll('audio')].map(a =>
             a.readyState >= 1 ? a.duration
             : new Promise(r => a.addEventListener('loadedmetadata', () => r(a.duration)))))"""
    )
    assert len(durations) == n and all(1.0 < d < 6.0 for d in durations)
    f0_points = markers_of(page, '[id*="-f0-"]')
    assert len(f0_points) == n and all(p > 20 for p in f0_points)
    page.close()


def test_render_html_without_confidences_says_so():
    page = render_html(evaluate([["B-x", "O"]], [["O", "B-x"]]))
    assert "No confidences in the predictions" in page and "<svg" not in page
    assert "spurious x" in page and "missed x" in page
