# kismet_tx: one command to run, one to test (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp
PORT ?= 2501
BIND ?= 127.0.0.1
BENCH ?=
RUN_SOURCE ?= kismet_tx/data/sample.pcapng:name=sample,realtime=true,loop=true

.PHONY: run test bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q '.[test]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/pip install -q --no-deps --force-reinstall .

run: install
	cd /tmp && $(abspath $(BIN))/twistd -n kismet --bind $(BIND) --port $(PORT) \
		-c $(abspath $(RUN_SOURCE))

test: $(STAMP)
	$(BIN)/python -m pytest tests

bench: $(STAMP)
	$(BIN)/python -m bench --report bench/REPORT.txt $(BENCH)

lint: $(STAMP)
	$(BIN)/ruff check kismet_tx tests bench twisted
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
