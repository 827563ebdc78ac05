# kismet_tx: one command to run, one to test (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp
PORT ?= 2501
BIND ?= 127.0.0.1
BENCH ?=
RUN_SOURCE ?= kismet_tx/data/sample.pcapng:name=sample,realtime=true,loop=true
# A copy of the tree with the hot path compiled in place (kismet_tx/hotpath.py):
# the second test pass and the benchmarks run there.
COMPILED := build/compiled
COPY_EXCLUDES := --exclude=./.venv --exclude=./build --exclude=./.git --exclude=__pycache__ \
	--exclude='*.so' --exclude=./.hypothesis --exclude=./.mypy_cache --exclude=./.pytest_cache

.PHONY: run test test-pure test-compiled compiled bench bench-pure lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

# Dependencies (the package itself pure here: `install` builds the compiled one).
$(STAMP): setup.cfg setup.py pyproject.toml | $(BIN)/python
	KISMET_TX_PURE=1 $(BIN)/pip install -q '.[test]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/pip install -q --no-deps --force-reinstall .
	cd /tmp && $(abspath $(BIN))/python -c 'from kismet_tx.hotpath import MODULES, compiled_modules; \
		print(f"kismet_tx: {len(compiled_modules())} of {len(MODULES)} hot-path modules compiled")'

run: install
	cd /tmp && $(abspath $(BIN))/twistd -n kismet --bind $(BIND) --port $(PORT) \
		-c $(abspath $(RUN_SOURCE))

compiled: $(STAMP)
	rm -rf $(COMPILED) && mkdir -p $(COMPILED)
	tar -c $(COPY_EXCLUDES) . | tar -x -C $(COMPILED)
	cd $(COMPILED) && $(abspath $(BIN))/python setup.py -q build_ext --inplace >build.log 2>&1 \
		|| { tail -40 build.log; exit 1; }

# The whole suite twice: on the pure-Python tree, then on the compiled copy.
test: test-pure test-compiled

test-pure: compiled
	KISMET_TX_COMPILED_TREE=$(abspath $(COMPILED)) $(BIN)/python -m pytest tests

# Kismet's web UI is looked for next to the repository, so the copy is told where.
test-compiled: compiled
	cd $(COMPILED) && KISMET_TX_EXPECT_COMPILED=1 KISMET_TX_PURE_TREE=$(CURDIR) \
		KISMET_UI_HTTP_DATA=$${KISMET_UI_HTTP_DATA:-$(abspath ..)/shared/kismet-ui/http_data} \
		$(abspath $(BIN))/python -m pytest tests

# Benchmarks run the compiled hot path (what `pip install .` installs);
# bench-pure runs them on the pure-Python tree.
bench: compiled
	cd $(COMPILED) && BENCH_COMMIT=$$(git -C $(CURDIR) rev-parse --short HEAD) \
		KISMET_TX_PURE_TREE=$(CURDIR) \
		$(abspath $(BIN))/python -m bench --report $(CURDIR)/bench/REPORT.txt $(BENCH)

bench-pure: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

lint: $(STAMP)
	$(BIN)/ruff check kismet_tx tests bench twisted
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
