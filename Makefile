# nianbao: `make run` materialises every asset on the bundled sample; `make test` runs the suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run ui test bench install clean cluster

$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/nianbao run

ui: $(STAMP)
	@mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

# tests/test_summary.py opens the year summary in headless Chromium (Debian's package; apt needs root)
test: $(STAMP)
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

cluster: $(STAMP)
	bash scripts/cluster.sh

clean:
	rm -rf data/warehouse data/dagster_home
