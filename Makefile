# babelmill: `make run` builds the corpus from seeds/ into output/, `make test` runs the tests.
# Both create the virtualenv on first use. torch comes first and pinned: argostranslate pulls
# it in through stanza, and the pinned release is the CPU build (an unpinned one is a
# multi-GB CUDA build).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.babelmill-installed
TORCH ?= torch==2.13.0

.PHONY: setup run test lint bench mutation clean chromium

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev,ray,zstd]'
	touch $(STAMP)

# the HTML report test renders the page in headless Chromium (Debian's package); without it
# that one test is skipped with its reason
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: the report rendering test will be skipped"; }

run: setup
	$(BIN)/babelmill run seeds/ -o output/

test: setup chromium
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

# mutation score per module (mutmut against the tests that pin it); slow, not part of `make test`
mutation: setup
	$(BIN)/python scripts/mutation.py

bench: setup
	for b in benchmarks/*.py; do case $$b in */_*) continue;; esac; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
