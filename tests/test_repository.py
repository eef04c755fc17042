"""The repository's own rules: notebooks are the source, clean, parameterised; the book's files are consistent."""
import configparser
import filecmp
import json
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT

NBS = sorted((ROOT / "nbs").glob("*.ipynb"))


def _copy_project(tmp_path):
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs", ignore=shutil.ignore_patterns("_out", ".ipynb_checkpoints"))
    shutil.copy2(ROOT / "settings.ini", tmp_path / "settings.ini")
    (tmp_path / "thesis_gan").mkdir()
    return tmp_path


def test_package_is_in_sync_with_notebooks(tmp_path):
    project = _copy_project(tmp_path)
    subprocess.run([str(BIN / "nbdev_export")], cwd=project, check=True, capture_output=True)
    generated = sorted(str(p.relative_to(project / "thesis_gan")) for p in (project / "thesis_gan").rglob("*.py"))
    committed = sorted(str(p.relative_to(ROOT / "thesis_gan")) for p in (ROOT / "thesis_gan").rglob("*.py"))
    assert generated == committed, "modules differ: run nbdev_export"
    _, mismatch, errors = filecmp.cmpfiles(project / "thesis_gan", ROOT / "thesis_gan", generated, shallow=False)
    assert not mismatch and not errors, f"thesis_gan/ is not what nbdev_export makes from nbs/: {mismatch + errors}"


def test_notebooks_are_clean(tmp_path):
    project = _copy_project(tmp_path)
    subprocess.run([str(BIN / "nbdev_clean"), "--fname", "nbs"], cwd=project, check=True, capture_output=True)
    dirty = [p.name for p in NBS if (project / "nbs" / p.name).read_bytes() != p.read_bytes()]
    assert not dirty, f"run nbdev_clean: {dirty}"


def test_settings_keep_papermill_tags():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "settings.ini")
    assert "tags" in cfg["DEFAULT"]["allowed_cell_metadata_keys"]


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            files += [chapter["file"]] + [s["file"] for s in chapter.get("sections", [])]
    return files


def test_every_toc_entry_exists_and_every_notebook_is_in_the_book():
    files = _toc_files()
    missing = [f for f in files if not any((ROOT / (f + s)).exists() for s in (".ipynb", ".md"))]
    assert not missing
    assert sorted(f"nbs/{p.stem}" for p in NBS) == sorted(f for f in files if (ROOT / (f + ".ipynb")).exists())


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _runs_an_experiment(nb):
    return any("".join(c["source"]).startswith("#| experiment") for c in _cells(nb))


@pytest.mark.parametrize("nb", [p for p in NBS if _runs_an_experiment(p)], ids=lambda p: p.stem)
def test_chapter_that_runs_an_experiment_has_a_profile_parameter(nb):
    tagged = [c for c in _cells(nb) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, "one cell tagged 'parameters' (papermill)"
    source = "".join(tagged[0]["source"])
    assert re.search(r'^profile = "quick"', source, re.M)


def test_every_citation_is_in_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text()))
    pages = list((ROOT / "nbs").glob("*.md")) + NBS
    cited = set()
    for page in pages:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", page.read_text()):
            cited |= {k.strip() for k in group.split(",")}
    assert cited, "the book cites nothing"
    assert not cited - keys, f"cited but not in references.bib: {sorted(cited - keys)}"


def test_seed_literature_is_in_the_bibliography():
    bib = (ROOT / "references.bib").read_text()
    for key in ("liu2018speed", "mandal2020motionrec", "yang2019unsupervised", "mao2017lsgan", "arjovsky2017wgan",
                "gulrajani2017wgangp"):
        assert f"{{{key}," in bib


def test_every_module_comes_from_one_notebook():
    """nbdev exports one module per notebook (`#| default_exp`): the package's layout is the notebooks' map."""
    modules = {}
    for nb in NBS:
        for c in _cells(nb):
            m = re.match(r"#\| default_exp (\S+)", "".join(c["source"]))
            if m:
                modules.setdefault(m.group(1), []).append(nb.name)
    assert all(len(v) == 1 for v in modules.values()), modules
    generated = {str(p.relative_to(ROOT / "thesis_gan"))[:-3].replace("/", ".") for p in (ROOT / "thesis_gan").rglob("*.py")}
    assert generated - {"__init__", "_modidx"} - {m for m in generated if m.endswith("__init__")} == set(modules)
