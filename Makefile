# govaudit: set-up, demo and tests on a fresh Debian machine (run as root).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
APT_PACKAGES := chromium fonts-noto-cjk poppler-utils knot postgresql iproute2 redis-server
DEMO_AS_OF ?= 2021-12-20

.PHONY: install system-deps demo test lint bench clean

CODE_DIRS := bench crawler extract govaudit govconfig inspections netkit probes reports simweb store tests web workers

# The environment may set PYTHONDONTWRITEBYTECODE (this one does): then every process compiled our modules from
# source at each start, half a second of every site job's crawl process (bench/README.md). compileall writes the
# caches once; Python still recompiles in memory a module edited since.
install: system-deps $(VENV)/.installed
	$(VENV)/bin/python -m compileall -q -j 0 $(CODE_DIRS)

# Debian packages: chromium for JS-rendered lists, a CJK font for PDF reports, knot for the DNS tests,
# PostgreSQL for the storage tests. Skipped when everything is already there.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

# Serve the simulated Jiujiang web on loopback, inspect it fully, write out/.
demo: install
	$(VENV)/bin/python -m simweb.demo --out out --as-of $(DEMO_AS_OF)

# Lint and format check (ruff, configured in pyproject.toml), then the tests; tests/test_layers.py fails on an import against the
# layers (docs/contracts.md).
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Probes for 1,000 names, concurrent vs one at a time in the same run: on bare loopback (CPU-bound) and with
# 50 ms of server latency (what real sites add).
# Then the scale figures (bench/README.md): crawl and full-inspection ratios against a bare Scrapy spider on a
# generated local web of 100 sites x 200 pages, re-inspection speed and memory, memory growth, two workers vs
# one. Each prints its figure beside its baseline measured in the same run and goes into bench/results.json.
# Lexicon + number scans (expression-errors, personal-data) over 100,000 stored pages on 2 processes, target < 60 s,
# with the naive per-pattern search as the baseline measured in the same run (issue 12).
# Documents of a 100-site run (every HTML, PDF, DOCX, XLSX) next to its inspection time (issue 10).
bench: install
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	$(VENV)/bin/python bench/probes_bench.py --latency-ms 0
	$(VENV)/bin/python bench/probes_bench.py --latency-ms 50
	$(VENV)/bin/python bench/documents_bench.py --sites 100
	$(VENV)/bin/python bench/scale_bench.py
	$(VENV)/bin/python bench/scan_bench.py --pages 100000 --workers 2

clean:
	rm -rf out var .pytest_cache
