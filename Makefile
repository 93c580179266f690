# OncoAtlas — the entry points a person (and CI) uses. Every target that needs
# the toolchain runs scripts/setup first; it returns in seconds once done.
#
#   make demo     set up, build, start a whole local federation (hub and site control
#                 planes, operator, three DataNodes with their PACS and agents)
#   make demo-down  stop everything make demo started (DEMO_NAME=... for another demo)
#   make test     set up, build (ASan+UBSan), start what the tests need, run them all
#   make bench    set up, build optimised, run the benchmarks
#   make format   clang-format the tree;  make lint  clang-format check + clang-tidy (CI runs it)
#   make chart-crds  copy crds/*.yaml into charts/oncoatlas/crds/ (after editing a CRD)
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUILD_DIR ?= build
BENCH_BUILD_DIR ?= build-release
JOBS ?= $(shell nproc)
CTEST_ARGS ?=
# The name of the demo federation (several can run side by side).
DEMO_NAME ?= demo
# Warnings are errors in CI (CI=true) and wherever ONCOATLAS_WERROR=ON is set.
# Unset, an existing build/ keeps the value it was configured with (so `make
# demo` after CI's `make test` reuses that build instead of recompiling it).
ifeq ($(CI),true)
ONCOATLAS_WERROR ?= ON
endif
WERROR_FLAG := $(if $(ONCOATLAS_WERROR),-DONCOATLAS_WERROR=$(ONCOATLAS_WERROR),)
ONCOATLAS_SANITIZE ?= ON
# ccache hits across clones in different folders (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: setup configure build test unit-test integration-test demo demo-down bench format lint chart-crds clean

setup:
	@bash scripts/setup

configure:
	@bash scripts/setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  $(WERROR_FLAG) -DONCOATLAS_SANITIZE=$(ONCOATLAS_SANITIZE) >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Runs every test: unit tests, then the integration tests that start their own
# local control planes (and, later, PACS) on loopback.
# The libFuzzer target needs its own clang tree (build-fuzz/); ctest runs it
# for 60 s as the test deid_fuzz (label fuzz).
test: build
	FUZZ_BUILD_DIR=$(CURDIR)/build-fuzz bash scripts/fuzz-deid --build-only
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900 $(CTEST_ARGS)

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit $(CTEST_ARGS)

integration-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration $(CTEST_ARGS)

demo: build
	@bash scripts/demo up --name $(DEMO_NAME)

demo-down:
	@bash scripts/demo down --name $(DEMO_NAME)

bench:
	@bash scripts/setup
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DONCOATLAS_BUILD_TESTS=ON \
	  $(WERROR_FLAG) -DONCOATLAS_SANITIZE=OFF
	cmake --build $(BENCH_BUILD_DIR) -j $(JOBS)
	@bash scripts/bench $(BENCH_BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

# Clean clang-tidy results are cached by content (scripts/lint), so a second
# run takes seconds.
lint: configure
	@bash scripts/lint $(BUILD_DIR)

chart-crds:
	@bash scripts/chart-crds

clean:
	rm -rf $(BUILD_DIR) $(BENCH_BUILD_DIR) build-fuzz
