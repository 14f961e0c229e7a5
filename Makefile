# TikTok Growth Atlas: `make help` lists the targets.
# Every target installs what it needs into .venv/ on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
ARGS   ?=
# pytest-xdist workers for `make test` (JOBS=0: one process, no workers)
JOBS   ?= 2
# `make fuzz` passes these on when set (on the command line or in the environment)
FUZZ_SEED  ?=
FUZZ_CASES ?=

.DEFAULT_GOAL := help
.PHONY: help install report validate rules docs notebooks lab app test fuzz lint format bench \
	browser plotly-bundle clean screenshots

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv/ and install the project with its dev extra

report: $(STAMP) browser ## Build the offline HTML reports into reports/ (ARGS="--param region=Europe --out DIR" etc.)
	$(PY) -m helpers report $(ARGS)

validate: $(STAMP) ## Validate tiktok_data/ against datapackage.json and the project's rules
	$(PY) -m helpers validate $(ARGS)

rules: $(STAMP) ## List the project's data rules
	$(PY) -m helpers validate --rules

docs: $(STAMP) ## Regenerate the data dictionary in tiktok_data/README.md
	$(PY) -m helpers docs $(ARGS)

notebooks: $(STAMP) ## Re-execute the notebooks and store only the outputs nbval checks (ARGS="--notebook 02")
	$(PY) -m helpers notebooks $(ARGS)

lab: $(STAMP) ## JupyterLab on the project at 127.0.0.1:$(PORT), token kept; opens notebooks/, saving keeps them small
	$(PY) -m helpers lab --port $(PORT) $(if $(ARGS),-- $(ARGS),)

app: $(STAMP) ## The notebooks as a Voila dashboard at 127.0.0.1:$(PORT) (no code cells; prints each page's URL)
	$(PY) -m helpers app --port $(PORT) $(if $(ARGS),-- $(ARGS),)

browser: ## Install Debian's Chromium for the browser tests (root only; otherwise they are skipped)
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium missing and not root: browser tests will be skipped (apt-get install chromium to enable them)"; fi

lint: $(STAMP) ## Lint code and notebooks with ruff
	$(PY) -m ruff check .

format: $(STAMP) ## Apply ruff's safe fixes (import order, pyupgrade, ...) to code and notebooks
	$(PY) -m ruff check --fix .

# The data is validated by the suite itself (tests/test_data_package.py, with frictionless's
# second opinion): no separate `helpers validate` run here. Test files are shared out whole
# between JOBS workers (a notebook's cells run in order in one kernel; module fixtures are
# set up once); the full report build is made once and shared (tests/conftest.py).
test: $(STAMP) browser lint ## Run the whole suite: lint, data, unit, notebooks (nbval), browser
	$(PY) -m pytest -n $(JOBS) --dist loadfile $(ARGS)

fuzz: $(STAMP) ## Fuzz the data package and print outcomes by kind (FUZZ_SEED=7 FUZZ_CASES=500)
	$(if $(FUZZ_SEED),FUZZ_SEED=$(FUZZ_SEED)) $(if $(FUZZ_CASES),FUZZ_CASES=$(FUZZ_CASES)) \
		$(PY) -m pytest tests/test_fuzz.py -s -p no:cacheprovider $(ARGS)

screenshots: $(STAMP) browser ## Refresh the README's pictures in docs/ (taken by the browser layout tests)
	ATLAS_UPDATE_SCREENSHOT=1 $(PY) -m pytest tests/test_browser.py -p no:xdist -p no:cacheprovider \
		-k "read_well or dropdown_changes"

bench: $(STAMP) ## Run the benchmarks and print a table (ARGS=--json for one JSON line)
	$(PY) benchmarks/run.py $(ARGS)

# Maintainers only, and the only target that runs npm: `make report` and `make test` use the
# vendored helpers/assets/plotly-atlas.min.js (tests/test_plotly_bundle.py says when to rebuild).
plotly-bundle: $(STAMP) ## Rebuild helpers/assets/plotly-atlas.min.js, the reports' plotly.js (npm; at plotly.py's plotly.js version)
	scripts/plotly-bundle/build.sh "$$($(PY) -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"

clean: ## Remove build outputs (keeps .venv/)
	rm -rf reports .pytest_cache .ruff_cache
