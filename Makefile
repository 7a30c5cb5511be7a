# Every target creates .venv itself; nothing but Python 3.11 needs to be pre-installed.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# Extras installed into .venv. Add `nn` (or any extra that needs torch) and torch==2.13.0,
# the CPU wheel, is installed first; constraints.txt pins it for every later install too, so
# pip can never pull a CUDA build.
EXTRAS ?= dev,dask
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma  := ,
PYTEST_WORKERS ?= 2

.PHONY: venv demo test test-slow bench lint format clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@case ",$(EXTRAS)," in *,nn,*|*,baselines,*) $(PIP) install -c constraints.txt torch==2.13.0 ;; esac
	$(PIP) install -c constraints.txt -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: venv
	$(BIN)/synthmix demo --out synthmix-demo

test: venv lint
	$(BIN)/python -m pytest -m "not slow" -n $(PYTEST_WORKERS) --durations=10

test-slow: venv
	$(BIN)/python -m pytest -m slow --durations=10

bench: venv
	$(BIN)/python benchmarks/theory_speed.py

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) synthmix-demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
