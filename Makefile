# Licet: the two commands of the README are `make demo` and `make test`.
# Both install their Debian 12 dependencies first (scripts/install-deps.sh).

BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build demo test unit fuzz bench bench-smoke clean format help

all: build

help:
	@echo "make demo         set up, build and run the sample vendor/product/ticket flow"
	@echo "make test         set up, build and run every test (unit, end-to-end, fuzz, bench smoke)"
	@echo "make build        configure and build into $(BUILD)/ (binaries in $(BUILD)/bin)"
	@echo "make unit         run ctest on an existing build"
	@echo "make fuzz         build the libFuzzer targets with clang-14 and run each briefly"
	@echo "make bench        run the benchmarks and print ratios (docs/PERFORMANCE.md)"
	@echo "make clean        remove build trees"

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DLICET_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

test: build
	@scripts/test.sh $(BUILD) $(FUZZ_BUILD)

unit:
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_BUILD)

bench: build
	@scripts/bench.sh $(BUILD)

bench-smoke: build
	@scripts/bench.sh $(BUILD) --smoke

format:
	find src include bench tests -name '*.cc' -o -name '*.h' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
