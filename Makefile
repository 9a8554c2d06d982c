# Two commands a new user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test bench lint setup system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependency list changes. llama-cpp-python compiles from source the first time (~5 min on
# 2 cores); pip's wheel cache makes later installs take seconds.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Chromium for the real-browser tests, from Debian's packages (never a downloaded browser build).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: $(STAMP)
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

lint: $(STAMP)
	$(BIN)/ruff check advisor tests bench pages scripts streamlit_app.py
	$(BIN)/ruff format --check advisor tests bench pages scripts streamlit_app.py
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache test-artifacts
