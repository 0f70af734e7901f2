# nianbao: `make run` materialises every asset on the bundled sample; `make test` runs the suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# the warehouse `make run` writes and `make ui` shows; its Dagster instance is $(WAREHOUSE)/.dagster unless
# DAGSTER_HOME is set (`make ui WAREHOUSE=MYWH [RAW=MYDIR]` looks at another folder's runs and years only)
WAREHOUSE ?= $(or $(NIANBAO_WAREHOUSE),data/warehouse)
RAW ?=
UI_HOME = $(or $(DAGSTER_HOME),$(abspath $(WAREHOUSE))/.dagster)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run ui test bench install clean cluster

$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/nianbao run --out $(WAREHOUSE) $(if $(RAW),--raw $(RAW))

ui: $(STAMP)
	@mkdir -p "$(UI_HOME)" && test -f "$(UI_HOME)/dagster.yaml" || printf 'telemetry:\n  enabled: false\n' > "$(UI_HOME)/dagster.yaml"
	DAGSTER_HOME="$(UI_HOME)" NIANBAO_WAREHOUSE="$(abspath $(WAREHOUSE))" $(if $(RAW),NIANBAO_RAW="$(abspath $(RAW))") \
		$(BIN)/dagster dev -w workspace.yaml

# tests/test_summary.py opens the year summary in headless Chromium (Debian's package; apt needs root) and
# checks its Chinese text is drawn in a CJK font, not as boxes: a CJK font (WenQuanYi Micro Hei) is installed too
test: $(STAMP)
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)
	fc-list :lang=zh family | grep -q . || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fontconfig fonts-wqy-microhei)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

cluster: $(STAMP)
	bash scripts/cluster.sh

clean:
	rm -rf data/warehouse data/dagster_home  # data/dagster_home: the instance before it moved into the warehouse
