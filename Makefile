# medtwin: two commands on a fresh machine.
#   make run   - install everything, then serve the app on the sample hospital (http://localhost:8501)
#   make test  - install everything, then ruff, mypy and the whole pytest suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEBS   := libusb-1.0-0 libgomp1 libgl1 chromium chromium-driver
PORT   ?= 8501

.PHONY: run test setup debs lint typecheck pytest bench clean

run: setup
	$(BIN)/medtwin app --port $(PORT)

test: setup lint typecheck pytest

setup: debs $(STAMP)

# open3d needs libusb/libgomp; the browser tests need Debian's Chromium.
debs:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "medtwin needs these Debian packages, please install them as root:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: medtwin needs Python >= 3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $(STAMP)

lint:
	$(BIN)/ruff check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: setup
	$(BIN)/python benchmarks/ops_bench.py
	$(BIN)/python benchmarks/evac_vs_jupedsim.py
	$(BIN)/python benchmarks/evac_drills.py
	$(BIN)/python benchmarks/lidar_bench.py
	$(BIN)/python benchmarks/sweep_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
