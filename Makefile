# Two commands a new user needs on a fresh Debian 12 machine (as root):
#   make demo   installs the Debian packages, builds, and writes the bound report to out/
#   make test   same set-up, then every test (ctest)
BUILD ?= build
JOBS  ?= 2

.PHONY: all deps configure build demo test bench clean

all: build

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/apps/superpose report --out out

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Benchmarks (not tests). The PyTorch peers need: apt-get install python3-torch python3-numpy
bench: build
	./$(BUILD)/bench/bench_engine --benchmark_min_time=0.5
	./$(BUILD)/bench/bench_optimize --benchmark_min_time=0.5 || true
	bash bench/bows_compare.sh $(BUILD) || echo "bows peer comparison skipped (python3-torch missing?)"

clean:
	rm -rf $(BUILD)
