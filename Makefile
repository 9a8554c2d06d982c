# Two commands a new user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test bench docs lint setup browser-deps system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependency list changes. llama-cpp-python compiles from source the first time (~5 min on
# 2 cores); pip's wheel cache makes later installs take seconds.
# It is built for any x86-64 CPU with AVX2 (GGML_NATIVE=OFF), not for this one: a native build on a CPU with AMX
# (Xeon Sapphire Rapids and later) repacks the weights for AMX and crashes in decode on the third request
# (llama.cpp issue 20824). A wheel cached from such a build is rebuilt.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
$(STAMP): pyproject.toml | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -c "import llama_cpp, sys; sys.exit(b'AMX_INT8 = 1' in llama_cpp.llama_print_system_info())" \
		|| ($(BIN)/pip cache remove llama_cpp_python && CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet \
			--force-reinstall --no-deps "llama-cpp-python[server]>=0.3.0")
	touch $(STAMP)

setup: $(STAMP)

# Debian packages, never a downloaded browser build: Chromium prints the PDF reports (make run) and drives the
# real-browser tests; the tests also read PDFs back with poppler-utils (pdftotext, pdftoppm) and run the store on
# a real PostgreSQL server.
APT_INSTALL = if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	$(APT_INSTALL)

system-deps: browser-deps
	@missing=""; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	$(APT_INSTALL)

run: $(STAMP) browser-deps
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

lint: $(STAMP)
	$(BIN)/ruff check advisor tests bench pages scripts notebooks streamlit_app.py
	$(BIN)/ruff format --check advisor tests bench pages scripts notebooks streamlit_app.py
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# Every notebook executed and rendered to HTML in docs/notebooks/, and the API reference (pdoc) in docs/api/.
docs: $(STAMP)
	$(BIN)/python -m scripts.render_docs

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache test-artifacts
