# CrossModal: `make demo` runs the main job, `make test` runs the tests. Both install what is missing.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := libopenblas-dev libpng-dev libturbojpeg0-dev dataset-fashion-mnist libopenmpi-dev openmpi-bin chromium chromium-driver valgrind
PYTHON ?= python3
TORCH_SPEC ?= torch==2.13.0+cpu

.PHONY: demo test deps fixtures bench python-deps models fuzz sanitize

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

## The binding task (seconds), then a shortened Sort-of-CLEVR reproduction from pixels (a few minutes on 2 cores),
## data parallel on DEMO_RANKS single-threaded ranks under Open MPI's mpirun (the README's figures: 2 ranks).
DEMO_RANKS ?= 2
demo: deps
	$(SWIFT) build -c release --product crossmodal
	$$($(SWIFT) build -c release --show-bin-path)/crossmodal demo
	rm -rf runs/sort-of-clevr-demo  # each demo is a fresh run (reproduce refuses to overwrite checkpoints)
	mpirun $$([ "$$(id -u)" = 0 ] && echo --allow-run-as-root) --oversubscribe -np $(DEMO_RANKS) \
	  $$($(SWIFT) build -c release --show-bin-path)/crossmodal sort-of-clevr reproduce --quick --out runs/sort-of-clevr-demo

## Builds and runs every test (no Python needed: fixtures are committed; the pretrained models are fetched).
test: deps models
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Fetches the pretrained models into ${CROSSMODAL_CACHE:-~/.cache/crossmodal} (nothing to do when present).
models:
	tools/fetch-models.sh minilm
	tools/fetch-efficientnet.sh

## Benchmarks (release build): engine kernels (GEMM vs raw sgemm, layerNorm, softmax, fused attention), then
## the seed workload side by side with the PyTorch eager peer (installs CPU torch when missing), own-data
## feature caching, memory/loader speed on 10k–1M images (written once into the cache: ~6 min, 3.3 GB), and
## the server under 64 concurrent clients, batched vs unbatched (a small bundle trained once into the cache), and
## allreduce, 1 process vs 2 ranks and a scaling estimate (under mpirun, started by the bench).
bench: deps python-deps
	$(SWIFT) build -c release
	.build/release/crossmodal bench ops
	PYTHON=$(PYTHON) .build/release/crossmodal bench seed --peer pytorch
	.build/release/crossmodal bench feature-cache
	.build/release/crossmodal bench data
	.build/release/crossmodal bench serve
	.build/release/crossmodal bench distributed

## PyTorch for the fixture script and the peer benchmark (CPU wheel).
python-deps:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install -q "$(TORCH_SPEC)" || $(PYTHON) -m pip install -q torch

## Regenerates the PyTorch fixtures under Tests/*/Fixtures (byte-identical on every run).
fixtures: python-deps
	$(PYTHON) tools/fixtures/make_fixtures.py

## libFuzzer on every parser (safetensors, torch, png, config, manifest): FUZZ_RUNS inputs each (default
## 100000), seeded from the fixtures; findings land in .build-fuzz/findings/. `make test` runs a short
## seeded-mutation pass of the same parsers inside the test suite.
FUZZ_RUNS ?= 100000
fuzz: deps
	tools/fuzz/build.sh
	tools/fuzz/run.sh $(FUZZ_RUNS)

## The whole test suite under AddressSanitizer, then under UndefinedBehaviorSanitizer. Leak checking is off for
## the XCTest process (XCTest keeps every test case and its fixtures alive to the end, which LeakSanitizer
## reports); `make fuzz` leak-checks every parser input instead. Swift on Linux refuses -sanitize=undefined,
## so UBSan instruments the C code (libyaml in Yams) and Swift keeps its own overflow and bounds traps.
sanitize: deps
	SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan
	SWIFT_BACKTRACE=enable=no UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(SWIFT) test --scratch-path .build-ubsan \
	  -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined
