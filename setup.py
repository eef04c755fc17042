"""Package metadata comes from settings.ini (nbdev 2); this file only reads it."""
from configparser import ConfigParser

from packaging.version import Version
from setuptools import find_packages, setup

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]
Version(cfg["version"])  # fail early on a malformed version

requirements = cfg.get("requirements", "").split()
book = cfg.get("book_requirements", "").split()
dev = cfg.get("dev_requirements", "").split()

setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    url=cfg["git_url"],
    license="Apache-2.0",
    keywords=cfg["keywords"],
    python_requires=">=" + cfg["min_python"],
    packages=find_packages(include=["thesis_gan", "thesis_gan.*"]),
    include_package_data=False,
    install_requires=requirements,
    extras_require={"book": book, "dev": book + dev},
    entry_points={"console_scripts": cfg["console_scripts"].split(), "nbdev": [f"{cfg['lib_name']}={cfg['lib_name']}._modidx:d"]},
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Intended Audience :: Science/Research",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
