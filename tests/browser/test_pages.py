"""The built book in a real browser (headless Chromium): every page loads its figures, GIFs, math and citations.

Run after `make book` (`make check-book`); skipped when the book has not been built.
"""
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "book" / "_build" / "html"
pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="the book has not been built (make book)")


def _pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [entry["file"] for part in toc["parts"] for c in part["chapters"]
                             for entry in [c, *c.get("sections", [])]]
    return [f + ".html" for f in files]


def test_every_chapter_is_a_page():
    missing = [p for p in _pages() if not (HTML / p).exists()]
    assert not missing, f"pages of _toc.yml that were not built: {missing}"


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.mark.parametrize("page_path", _pages())
def test_page_renders(browser, server, page_path):
    page = browser.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and r.url.startswith(server) else None)
    page.goto(f"{server}/{page_path}", wait_until="load")
    page.wait_for_timeout(300)
    local_failures = [u for u in failed if u.startswith(server)]
    assert not local_failures, f"{page_path}: missing files {local_failures}"
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{page_path}: images that did not load: {broken}"
    text = page.inner_text("main")
    assert len(text) > 200, f"{page_path} is (almost) empty"
    assert "Traceback (most recent call last)" not in text, f"{page_path} shows an error"
    # what the reader sees: no nbdev directives, no parameter cells (the source is in <pre>, read all of the page)
    body = page.inner_text("body")
    directives = re.findall(r"^\s*#\|.*$", body, re.M)
    assert not directives, f"{page_path} shows nbdev directives: {directives[:3]}"
    assert not re.search(r"^\s*# Parameters\s*$", body, re.M), f"{page_path} shows papermill's injected parameters"
    tagged = page.evaluate("document.querySelectorAll('.tag_injected-parameters, .tag_parameters').length")
    assert not tagged, f"{page_path} shows a parameters cell"
    if page.evaluate("document.querySelectorAll('.math').length") > 0:  # MathJax is served locally and typesets
        page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=15000)
    page.close()


def test_chapters_show_executed_figures(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/nbs/02b_collapse.html", wait_until="load")  # the collapse section of the chapter
    sources = page.evaluate("[...document.images].filter(i => i.naturalWidth > 0).map(i => i.src)")
    assert any(s.endswith(".gif") for s in sources), "the mode-collapse GIF is not on the page"
    assert sum(s.endswith(".png") for s in sources) >= 2, "executed matplotlib figures are missing"
    page.close()


def test_citations_resolve_to_the_bibliography(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/nbs/bibliography.html", wait_until="load")
    entries = page.inner_text("main")
    assert re.search(r"Goodfellow", entries) and re.search(r"Arjovsky", entries)
    page.goto(f"{server}/nbs/01_theory.html", wait_until="load")
    links = page.evaluate("[...document.querySelectorAll('a')].map(a => a.getAttribute('href') || '').filter(h => h.includes('bibliography'))")
    assert links, "the theory chapter's citations do not link to the bibliography"
    page.close()
