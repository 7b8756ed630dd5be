# Foresight: two commands on a fresh Debian 12 machine.
#   make run    install what is missing, build, start the all-in-one server (http://127.0.0.1:8080)
#   make test   install what is missing, build, run every test (CTest)
# Longer suites: make bench (Google Benchmark + peers side by side), make eval, make fuzz.

BUILD      ?= build
BENCH_BUILD?= build-bench
DATA_DIR   ?= data
SIMULATE   ?= 50
# The demo fleet: failures scheduled now and then, plus some in the first minutes: a fast one (CPU runaway
# on api-3, 20 s after start) and three slow ones already under way in the backfilled history, so time-to-
# failure forecasts show at once: worker-2's memory leak (about 2 h 20 m left), db-4's connection pool
# (about 30 m left) and web-5's disk (about 12 h left). 30 h of history (not 24) so the forecasts' daily
# check can compare the last hours with the same hours a day earlier and not read a morning rise as a leak.
DEMO_ARGS  ?= --backfill 30h --scenarios-per-hour 4 --inject cpu_runaway:api-3@now+20s/15m --inject memory_leak:worker-2@now-100m/4h \
              --inject connection_pool_leak:db-4@now-150m/3h --inject disk_fill:web-5@now-4h/16h
ARGS       ?=
CMAKE_FLAGS?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build run serve test bench eval fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) | grep -v '^ninja: no work to do' || true
	@test -x $(BUILD)/src/app/foresight

# The all-in-one server on this host's real metrics plus a simulated fleet (marked simulated in the API/UI).
run: build
	$(BUILD)/src/app/foresight serve --simulate $(SIMULATE) --data-dir $(DATA_DIR) $(DEMO_ARGS) $(ARGS)

# Only real sources (this host), no simulator.
serve: build
	$(BUILD)/src/app/foresight serve --data-dir $(DATA_DIR) $(ARGS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j2 --timeout 900

bench:
	@scripts/install-deps.sh --bench
	@[ -f $(BENCH_BUILD)/build.ninja ] || cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORESIGHT_BUILD_BENCH=ON -DFORESIGHT_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BENCH_BUILD)
	@scripts/bench.sh $(BENCH_BUILD)

# Every *_fuzz libFuzzer target (parsers), FUZZ_SECONDS each (default 60), clang from Debian.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh --fuzz
	@CC=clang-14 CXX=clang++-14 scripts/fuzz.sh $(FUZZ_SECONDS)

# Detection end to end on the simulator (the real binary over its API); results in eval-out/.
eval: build
	@mkdir -p eval-out
	@/usr/bin/python3 eval/pipeline_scenarios.py --binary $(BUILD)/src/app/foresight | tee eval-out/pipeline_scenarios.md
	@/usr/bin/python3 eval/nab_smd.py --build $(BUILD) --out eval-out | tee eval-out/nab_smd.md
	@$(BUILD)/src/app/foresight eval forecast --out eval-out/forecast | tee eval-out/forecast.md

clean:
	rm -rf $(BUILD) $(BENCH_BUILD)
