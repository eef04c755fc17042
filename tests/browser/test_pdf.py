"""The whole thesis as one PDF (`make pdf`): it has pages, every chapter's title, embedded figures and typeset math.

Skipped when the PDF has not been built.
"""
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "thesis_gan.pdf"
pytestmark = pytest.mark.skipif(not PDF.exists(), reason="the PDF has not been built (make pdf)")


def _toc_sources():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [entry["file"] for part in toc["parts"] for c in part["chapters"]
                             for entry in [c, *c.get("sections", [])]]
    return [next(p for p in (ROOT / (f + ".ipynb"), ROOT / (f + ".md")) if p.exists()) for f in files]


def _markdown(path):
    if path.suffix == ".md":
        return path.read_text(), ""
    cells = json.loads(path.read_text())["cells"]
    text = lambda kind: "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == kind)  # noqa: E731
    return text("markdown"), text("code")


def _title(path):
    return re.search(r"^# (.+)$", _markdown(path)[0], re.M).group(1).strip()


def _squash(text):
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")  # Sphinx's smart quotes
    return re.sub(r"\s+", "", text).replace("`", "").replace("*", "")


@pytest.fixture(scope="module")
def pdf():
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(PDF))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return reader, text, images


def test_pdf_has_pages(pdf):
    reader, text, _ = pdf
    assert len(reader.pages) >= 20 and len(text) > 50_000


def test_pdf_holds_every_chapter(pdf):
    squashed = _squash(pdf[1])
    missing = [_title(p) for p in _toc_sources() if _squash(_title(p)) not in squashed]
    assert not missing, f"chapter titles missing from the PDF: {missing}"


def test_pdf_holds_the_figures(pdf):
    # at least one image for each chapter that shows executed figures or GIFs (matplotlib PNGs, GIF frames)
    with_figures = [p for p in _toc_sources() if p.suffix == ".ipynb" and "plt." in _markdown(p)[1]]
    assert pdf[2] >= len(with_figures) >= 5, f"{pdf[2]} images in the PDF for {len(with_figures)} chapters with figures"


def test_pdf_holds_every_image_of_the_single_page(pdf):
    page = ROOT / "_build" / "book" / "_build" / "singlehtml" / "_thesis.html"  # the page that thesis_gan.book.chapters.print_pdf printed
    if not page.exists():
        pytest.skip("no single-page HTML next to the PDF")
    images = re.findall(r"<img[^>]+src=\"([^\"]+)\"", page.read_text())
    assert any(src.endswith(".gif") for src in images), "no GIF on the printed page"
    assert pdf[2] >= len(images), f"{pdf[2]} images in the PDF, {len(images)} on the page (GIFs print their first frame)"


def test_pdf_math_is_typeset(pdf):
    squashed = _squash(pdf[1])
    formulas, raw = 0, []
    code = "\n".join(_markdown(path)[1] for path in _toc_sources())  # e.g. matplotlib labels, printed as code
    for path in _toc_sources():
        prose = _markdown(path)[0]
        for body in re.findall(r"\$\$(.+?)\$\$|\$([^$\n]+)\$", prose, re.S):
            body = (body[0] or body[1]).strip()
            if "\\" not in body or len(body) < 6 or body in code:  # plain symbols, or the same text in code
                continue
            formulas += 1
            if _squash(body) in squashed:
                raw.append(body)
    assert formulas >= 10, "the book has (almost) no math to check"
    assert not raw, f"formulas printed as LaTeX source, not typeset: {raw[:5]}"
