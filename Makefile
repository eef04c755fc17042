# The README's two commands: `make book` and `make test` (and `make pdf`). Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= quick
# FORCE=1 executes every chapter again, cached or not.
FORCE   ?=
BOOK    := _build/book

.PHONY: book pdf test install check-book clean

$(STAMP): settings.ini setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip check
	touch $@

install: $(STAMP)

## Execute the chapters whose sources changed with papermill (profile $(PROFILE)), render the book, warnings as errors.
book: $(STAMP)
	THESIS_GAN_NO_CACHE=$(FORCE) $(BIN)/thesis-gan book --profile $(PROFILE)

## The whole thesis as one PDF: single-page HTML of the built book (nothing re-executed), printed by headless Chromium.
pdf: book
	$(BIN)/thesis-gan pdf --out $(BOOK) --pdf _build/thesis_gan.pdf

## pytest for tests/, the notebooks' own tests, export-in-sync and clean-notebook checks.
test: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser
	cd nbs && ../$(BIN)/nbdev_test --n_workers 2 --path .

## Open the built pages and the PDF in headless Chromium / pypdf and check figures, GIFs, math and citations.
check-book: $(STAMP)
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

clean:
	rm -rf _build
