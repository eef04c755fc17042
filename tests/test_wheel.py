"""`pip install thesis_gan` gives the code alone: a wheel with only the package, installable without the book tools."""
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT

BOOK_TOOLS = ("papermill", "jupyter_book", "nbdev", "pytest", "myst_nb", "sphinx")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("thesis_gan-*.whl")
    return path


def test_wheel_holds_only_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"thesis_gan"}
    assert "thesis_gan/training/trainer.py" in names and "thesis_gan/objectives/registry.py" in names and not any(n.endswith(".ipynb") for n in names)
    meta = next(n for n in names if n.endswith("METADATA"))
    requires = [line for line in zipfile.ZipFile(wheel).read(meta).decode().splitlines() if line.startswith("Requires-Dist")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert not [r for r in runtime if any(tool.replace("_", "-") in r.lower() for tool in BOOK_TOOLS)], runtime
    assert any("tensorflow" in r for r in runtime)


@pytest.mark.slow
def test_wheel_installs_and_trains_without_book_tools(wheel, tmp_path):
    """A fresh virtual environment with the wheel and its runtime requirements only (from the package index or cache)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True)
    if install.returncode:
        pytest.fail(f"pip install of the wheel failed:\n{install.stderr[-3000:]}")
    subprocess.run([str(py), "-m", "pip", "check"], check=True)
    code = (
        "import sys, importlib.util as u\n"
        f"assert not [m for m in {BOOK_TOOLS!r} if u.find_spec(m)], 'book tooling installed'\n"
        "from thesis_gan.runs import RunConfig, train_run, sample_run\n"
        "train_run(RunConfig(variant='wgan-gp', data='ring', steps=20, steps_per_epoch=10, batch_size=32), sys.argv[1], verbose=0)\n"
        "x = sample_run(sys.argv[1], 100)\n"
        "assert x.shape == (100, 2)\n"
        "print('trained', x.shape)\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([str(py), "-c", code, str(tmp_path / "run")], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trained (100, 2)" in result.stdout
    cli = subprocess.run([str(venv / "bin" / "thesis-gan"), "chapters"], capture_output=True, text=True, env=env)
    assert cli.returncode != 0 and "papermill" in cli.stderr  # the chapter runner names the missing extra
