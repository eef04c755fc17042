# The README's two commands: `make book` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= quick

.PHONY: book test install check-book clean

$(STAMP): settings.ini setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip check
	touch $@

install: $(STAMP)

## Execute every chapter with papermill (profile $(PROFILE)) and render the book with warnings as errors.
book: $(STAMP)
	$(BIN)/thesis-gan book --profile $(PROFILE)

## pytest for tests/, the notebooks' own tests, export-in-sync and clean-notebook checks.
test: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser
	cd nbs && ../$(BIN)/nbdev_test --n_workers 2 --path .

## Open the built pages in headless Chromium and check figures, GIFs and citations.
check-book: $(STAMP)
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

clean:
	rm -rf _build
