"""The chapter cache on a tiny project: papermill runs only what changed, a crash never leaves a cached copy, and the
reader's copy shows no nbdev directives nor parameter cells. (The package under test is found from the module that
defines `run_chapters`, not from a hard-coded module name.)"""
import importlib
import json
import pkgutil

import pytest

import thesis_gan

pytest.importorskip("papermill")


def _chapters_module():
    for info in pkgutil.walk_packages(thesis_gan.__path__, thesis_gan.__name__ + "."):
        if info.name.rsplit(".", 1)[-1] == "chapters":
            return importlib.import_module(info.name)
    raise AssertionError("no chapters module in the package")


chapters = _chapters_module()


def _notebook(*cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                            "language": "python"}},
            "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {"tags": tags},
                       "outputs": [], "source": source} for i, (source, tags) in enumerate(cells)]}


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "nbs").mkdir()
    (tmp_path / "tinypkg").mkdir()
    (tmp_path / "settings.ini").write_text("[DEFAULT]\nlib_path = tinypkg\n")
    (tmp_path / "tinypkg" / "__init__.py").write_text("")
    (tmp_path / "tinypkg" / "helper.py").write_text("from .values import VALUE\n")
    (tmp_path / "tinypkg" / "values.py").write_text("VALUE = 1\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: nbs/index\nchapters:\n- file: nbs/01_a\n- file: nbs/02_b\n")
    (tmp_path / "_config.yml").write_text("title: tiny\n")
    (tmp_path / "references.bib").write_text("")
    (tmp_path / "nbs" / "index.md").write_text("# Tiny\n")
    write(tmp_path / "nbs" / "01_a.ipynb", _notebook(("#| default_exp a", []), ('profile = "quick"\nseed = 0', ["parameters"]),
                                                      ("#| export\nfrom tinypkg.helper import VALUE\nVALUE + 1", [])))
    write(tmp_path / "nbs" / "02_b.ipynb", _notebook(('profile = "quick"\nseed = 0', ["parameters"]), ("#| hide\nx = 2", []),
                                                      ("print('b', profile)", [])))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the kernel imports tinypkg
    monkeypatch.delenv("THESIS_GAN_NO_CACHE", raising=False)
    return tmp_path


def write(path, nb):
    path.write_text(json.dumps(nb))


def run(project, **kwargs):
    out = project / "_build" / "book"
    return [name for name, _ in chapters.run_chapters(out=str(out), root=str(project), progress=False, **kwargs)]


def test_only_changed_chapters_run_again(project):
    assert run(project) == ["01_a", "02_b"]
    assert run(project) == []
    nb = json.loads((project / "nbs" / "02_b.ipynb").read_text())
    nb["cells"][-1]["source"] = "print('b, edited', profile)"
    write(project / "nbs" / "02_b.ipynb", nb)
    assert run(project) == ["02_b"]
    (project / "tinypkg" / "values.py").write_text("VALUE = 2\n")  # imported by 01_a through a relative import
    assert run(project) == ["01_a"]
    assert run(project, profile="full") == ["01_a", "02_b"]
    assert run(project, profile="full", force=True) == ["01_a", "02_b"]
    assert run(project, profile="full", parameters={"seed": 1}) == ["01_a", "02_b"]


def test_reader_copy_shows_no_directives_or_parameters(project):
    run(project)
    shown = json.loads((project / "_build" / "book" / "nbs" / "01_a.ipynb").read_text())
    sources = ["".join(c["source"]) for c in shown["cells"]]
    assert sources == ["from tinypkg.helper import VALUE\nVALUE + 1"]
    assert "".join(shown["cells"][0]["outputs"][0]["data"]["text/plain"]) == "2"
    shown = json.loads((project / "_build" / "book" / "nbs" / "02_b.ipynb").read_text())
    assert ["".join(c["source"]) for c in shown["cells"]] == ["print('b', profile)"]
    executed = json.loads((project / "_build" / "book" / "_executed" / "nbs" / "02_b.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])  # kept for debugging


def test_a_crash_leaves_no_cached_copy(project):
    nb = json.loads((project / "nbs" / "02_b.ipynb").read_text())
    nb["cells"][-1]["source"] = "raise ValueError('boom')"
    write(project / "nbs" / "02_b.ipynb", nb)
    with pytest.raises(chapters.ChapterFailed, match="02_b.*boom"):
        run(project)
    executed = project / "_build" / "book" / "_executed" / "nbs"
    assert sorted(p.name for p in executed.iterdir()) == ["01_a.ipynb", "02_b.failed.ipynb"]
    with pytest.raises(chapters.ChapterFailed):  # not cached: it runs (and fails) again
        run(project, only=["02_b"])


def test_an_interrupted_execution_leaves_no_cached_copy(project, monkeypatch):
    import papermill

    def interrupted(src, dst, **kwargs):
        with open(dst, "w") as f:
            f.write("{}")  # papermill writes its output as it goes
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(project)
    assert list((project / "_build" / "book" / "_executed" / "nbs").iterdir()) == []


def test_stage_rewrites_nothing_that_did_not_change(project):
    run(project)
    out = project / "_build" / "book"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert chapters.stage(str(project), str(out)) == []
    assert run(project) == []
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
