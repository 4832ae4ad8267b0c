# CrossModal: `make demo` runs the main job, `make test` runs the tests. Both install what is missing.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := libopenblas-dev
PYTHON ?= python3
TORCH_SPEC ?= torch==2.13.0+cpu

.PHONY: demo test deps fixtures bench python-deps

## Installs the Debian packages the build links (as root), or prints the exact command to run.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages:$$missing"; echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

## Trains a small model on generated data and prints the falling loss.
demo: deps
	$(SWIFT) run -c release crossmodal demo

## Builds and runs every test (no Python needed: fixtures are committed).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Benchmarks (release build): engine kernels (GEMM vs raw sgemm, layerNorm, softmax, fused attention), then
## the seed workload side by side with the PyTorch eager peer (installs CPU torch when missing).
bench: deps python-deps
	$(SWIFT) build -c release
	.build/release/crossmodal bench ops
	PYTHON=$(PYTHON) .build/release/crossmodal bench seed --peer pytorch

## PyTorch for the fixture script and the peer benchmark (CPU wheel).
python-deps:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install -q "$(TORCH_SPEC)" || $(PYTHON) -m pip install -q torch

## Regenerates the PyTorch fixtures under Tests/*/Fixtures (byte-identical on every run).
fixtures: python-deps
	$(PYTHON) tools/fixtures/make_fixtures.py
