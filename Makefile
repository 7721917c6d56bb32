# `make run`: install, index seeds/ and serve the chat. `make test`: install and run every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# llama-cpp-python is compiled here, for this CPU: prompts run 1.6x faster than with the
# portable AVX2 build (measured, see README). For a venv that moves to other CPUs:
#   make install LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=ON
# ...but never AMX: some x86 VMs report AMX in cpuid without enabling its register state, and
# -march=native then builds AMX kernels that die on their first instruction (ldtilecfg: general
# protection fault, seen on a Sapphire Rapids VM here). AMX only speeds up batched prompts.
LLAMA_CFLAGS ?= $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16)

.PHONY: run test test-fast install index serve lint bench browser llama-server

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# constraints.txt pins torch to the local CPU wheel (an unpinned torch pulls GBs of CUDA).
	# llama-cpp-python has no wheel on the registry: it builds from source (about 5 min).
	# --no-cache-dir: pip would reuse a wheel it built earlier, whatever flags built it
	CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
		$(BIN)/pip install --quiet --no-cache-dir -c constraints.txt llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,llm-large]'
	touch $(STAMP)

# the chat writes several answers at once through llama-server (built below, about 5 min)
install: $(STAMP) $(BIN)/llama-server

index: $(STAMP)
	$(BIN)/rag index seeds/

serve: install
	$(BIN)/rag serve

run: index serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy                # strict on rag/ and index/ (pyproject.toml)
	$(BIN)/lint-imports        # the layers: ui, evals -> rag -> index (pyproject.toml)

# The end-to-end tests drive Debian's chromium (Playwright's own browser download fails here).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

test: lint browser $(BIN)/llama-server
	RAG_ARTIFACTS_DIR=$(CURDIR)/test-artifacts $(BIN)/python -m pytest

# the inner loop: everything but the browser, LLM, process-kill, server and gate tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

# llama.cpp's own server (parallel slots, continuous batching), built from the source that
# llama-cpp-python vendors (the same version), for the `openai` backend; see README "Many readers".
LLAMA_VERSION := 0.3.36
LLAMA_BUILD := .build/llama
$(BIN)/llama-server: | $(STAMP)
	rm -rf $(LLAMA_BUILD) && mkdir -p $(LLAMA_BUILD)
	$(BIN)/pip download --quiet --no-deps --no-binary :all: -d $(LLAMA_BUILD) llama-cpp-python==$(LLAMA_VERSION)
	tar xzf $(LLAMA_BUILD)/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C $(LLAMA_BUILD)
	command -v cmake >/dev/null || $(BIN)/pip install --quiet cmake
	PATH="$(CURDIR)/$(BIN):$$PATH" CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" cmake -S $(LLAMA_BUILD)/llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp \
		-B $(LLAMA_BUILD)/build -DCMAKE_BUILD_TYPE=Release $(LLAMA_CMAKE_ARGS) -DBUILD_SHARED_LIBS=OFF \
		-DLLAMA_BUILD_SERVER=ON \
		-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF \
		-DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF
	PATH="$(CURDIR)/$(BIN):$$PATH" cmake --build $(LLAMA_BUILD)/build --target llama-server -j2
	cp $(LLAMA_BUILD)/build/bin/llama-server $@

llama-server: $(BIN)/llama-server
