"""Print the single-page HTML book to one PDF with headless Chromium (Playwright), after MathJax has typeset.

    python tools/print_pdf.py _build/book/_build/singlehtml _build/thesis_gan.pdf

The page is served over HTTP (MathJax loads its fonts that way), every image is loaded eagerly, MathJax's typesetting
is awaited and checked (no `\\(` left untypeset), then Chromium prints it with the print stylesheet. Chromium prints
the frame an animated GIF shows at that moment (the first frame, as the page has just been loaded).
"""
import argparse
import functools
import http.server
import logging
import os
import re
import shutil
import sys
import threading

log = logging.getLogger("print_pdf")

WAIT_FOR_PAGE = """async () => {
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].filter(i => !i.complete).map(
      i => new Promise(r => { i.addEventListener("load", r); i.addEventListener("error", r); })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    if (MathJax.typesetPromise) await MathJax.typesetPromise();
  }
  await document.fonts.ready;
  return {
    images: document.images.length,
    broken: [...document.images].filter(i => i.naturalWidth === 0).map(i => i.src),
    math: document.querySelectorAll(".math").length,
    typeset: document.querySelectorAll("mjx-container").length,
    untypeset: [...document.querySelectorAll(".math")].filter(e => !e.querySelector("mjx-container")).length,
  };
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def single_page(html_dir):
    """The single page of a singlehtml build, copied to `html_dir/_thesis.html`. Jupyter Book writes it under the root
    document's name (`nbs/index.html`, with `index.html` a redirect to it), but with links relative to `html_dir`."""
    with open(os.path.join(html_dir, "index.html"), encoding="utf-8") as f:
        text = f.read()
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', text)
    if redirect:
        with open(os.path.join(html_dir, redirect.group(1)), encoding="utf-8") as f:
            text = f.read()
    with open(os.path.join(html_dir, "_thesis.html"), "w", encoding="utf-8") as f:
        f.write(text)
    return "_thesis.html"


def print_pdf(html_dir, pdf, timeout_ms=120_000):
    """Print the single page of `html_dir` (a singlehtml build) to `pdf`; returns what the page held (images, math)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("error: no chromium on this machine (apt-get install chromium)")
    name = single_page(html_dir)
    handler = functools.partial(_Quiet, directory=os.path.abspath(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            page.set_default_timeout(timeout_ms)
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{name}", wait_until="load")
            page.wait_for_function("() => !document.querySelector('.math') || "
                                   "(window.MathJax && MathJax.startup && MathJax.startup.promise)")
            state = page.evaluate(WAIT_FOR_PAGE)
            if state["untypeset"]:
                raise SystemExit(f"error: {state['untypeset']} formulas were not typeset by MathJax")
            if state["broken"]:
                raise SystemExit(f"error: images that did not load: {state['broken'][:5]}")
            page.emulate_media(media="print")
            os.makedirs(os.path.dirname(os.path.abspath(pdf)), exist_ok=True)
            tmp = pdf + ".partial"
            page.pdf(path=tmp, format="A4", print_background=True,
                     margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"})
            os.replace(tmp, pdf)
            browser.close()
    finally:
        httpd.shutdown()
    return state


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", help="the singlehtml build (holds index.html)")
    parser.add_argument("pdf", help="the PDF to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    state = print_pdf(args.html_dir, args.pdf)
    log.info("%s: %.1f MB; %d images, %d formulas typeset", args.pdf, os.path.getsize(args.pdf) / 1e6,
             state["images"], state["typeset"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
