# TikTok Growth Atlas: `make help` lists the targets.
# Every target installs what it needs into .venv/ on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help install report validate lab test lint bench browser clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv/ and install the project with its dev extra

report: $(STAMP) ## Build the offline HTML reports into reports/ (ARGS="--param region=Europe" etc.)
	$(PY) -m helpers report $(ARGS)

validate: $(STAMP) ## Validate tiktok_data/ against datapackage.json
	$(PY) -m helpers validate

lab: $(STAMP) ## Open JupyterLab on the notebooks (127.0.0.1, token authentication kept)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

browser: ## Install Debian's Chromium for the browser tests (root only; otherwise they are skipped)
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium missing and not root: browser tests will be skipped (apt-get install chromium to enable them)"; fi

lint: $(STAMP) ## Lint code and notebooks with ruff
	$(PY) -m ruff check .

test: $(STAMP) browser lint ## Run the whole suite: lint, data, unit, notebooks (nbval), browser
	$(PY) -m helpers validate
	$(PY) -m pytest $(ARGS)

bench: $(STAMP) ## Run the benchmarks and print a table
	$(PY) benchmarks/run.py $(ARGS)

clean: ## Remove build outputs (keeps .venv/)
	rm -rf reports .pytest_cache .ruff_cache
