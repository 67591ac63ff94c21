# Two commands do all set-up on a fresh machine:
#   make run    install what is missing, create the demo device, run appliance + bridge
#   make test   install what is missing, build, lint, run every test
#   make check  the fast loop while editing: typecheck, lint, the pure layers' unit tests
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.stamp-npm-ci
SOFTHSM_MODULE ?= /usr/lib/softhsm/libsofthsm2.so
HSM_VAR ?= var

.PHONY: all setup system-deps build typecheck lint format-check check test run clean bench crash-test fuzz soak redteam chaos
BENCH_SMOKE ?=

all: build

setup: system-deps $(NODE_MODULES_STAMP)

# SoftHSM2 from Debian's packages when it is absent (root, as in CI), faketime (libfaketime: the
# device-clock tests start the appliance with the host clock moved) and Chromium (the passkey tests
# drive a real browser with its DevTools virtual authenticator; playwright-core downloads no browser) and
# PostgreSQL (the ledger's tests and benchmark start throwaway servers of their own; no service is used)
# and Prometheus for its promtool (the metrics tests pipe each /metrics scrape through `promtool check
# metrics`; the package's service is not used).
system-deps:
	@if [ ! -e "$(SOFTHSM_MODULE)" ] && ! ls /usr/lib/*/softhsm/libsofthsm2.so >/dev/null 2>&1; then \
	  echo "setup: installing softhsm2 with apt-get"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq softhsm2 >/dev/null; \
	fi
	@if [ ! -e /usr/lib/faketime/libfaketime.so.1 ] && ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then \
	  echo "setup: installing faketime with apt-get"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq faketime >/dev/null; \
	fi
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "setup: installing chromium with apt-get"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "setup: installing postgresql with apt-get"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi
	@if [ ! -x /usr/bin/promtool ]; then \
	  echo "setup: installing prometheus (for promtool) with apt-get"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq prometheus >/dev/null; \
	fi

# npm ci only: the lock is complete (every platform's optional packages), so nothing rewrites it.
# A node_modules that is a symbolic link (a git worktree sharing another checkout's packages) is left
# alone: `npm ci` through the link would empty the folder it points to.
$(NODE_MODULES_STAMP): package.json package-lock.json
	@if [ -L node_modules ]; then echo "setup: node_modules is a link; not running npm ci"; else npm ci --no-audit --no-fund && touch $@; fi

build: setup
	npx tsc -p tsconfig.json
	npx tsc -p tsconfig.sdk.json
	node dist/attestation/write-measurement.js

typecheck: setup
	npx tsc -p tsconfig.json --noEmit

# The pure layers typechecked without Node's types, then ESLint: typescript-eslint's recommended rules
# and the import rules that hold the layers (eslint.config.js; docs/tests.md "Lint and format").
lint: setup
	npx tsc -p tsconfig.pure.json
	npx eslint .
	npx prettier --check --log-level warn .

# Prettier's verdict on the formatting alone (.prettierrc.json); `npx prettier --write .` fixes it.
format-check: setup
	npx prettier --check .

# Typecheck (the build), lint, and the unit tests that start no SoftHSM, anvil or appliance process:
# test/protocol, test/firmware-policy and the lint rules' own test.
CHECK_TESTS = $$(find dist/test/protocol dist/test/firmware-policy -name '*.test.js' | sort) dist/test/repository/lint-rules.test.js
check: build lint
	node --test $(CHECK_TESTS)

# Lint and the build side by side (each is one single-threaded process reading the sources; neither
# lint reads dist/, which the build writes), then the benchmark's smoke run, a short crash test, a
# small fuzz, the red team and a small chaos run side by side (reliability/side-by-side.sh), then the
# tests two files at a time, so the test runner's summary closes the output. A test that hangs fails
# after 10 minutes, and the whole run is stopped after 30 (`timeout`: about three times its length on
# 2 cores), so a test file that never exits (something it started still open) shows up as a failure
# with its output, never as a run that does not end. Not --test-force-exit: on Node 20 it drops results
# of tests that ran (a file reported 85 of its 88 tests, exit 0), so a count, or a failure, could vanish.
test: setup
	$(MAKE) --no-print-directory -j2 lint build
	bash reliability/side-by-side.sh
	timeout --kill-after=30 1800 node --test --test-concurrency=2 --test-timeout=600000 $$(find dist/test -name '*.test.js' | sort)

# SIGKILL under signing load, restart, check the log, the signatures, the counters and retries.
CRASH_CYCLES ?= 50
crash-test: build
	CRASH_CYCLES=$(CRASH_CYCLES) node dist/reliability/crash-test.js

# Hostile frames at the socket and malformed requests at every bridge route.
FUZZ_FRAMES ?= 200000
FUZZ_BODIES ?= 50000
fuzz: build
	FUZZ_FRAMES=$(FUZZ_FRAMES) FUZZ_BODIES=$(FUZZ_BODIES) node dist/reliability/fuzz.js

# Compromised bridge, orchestrator, host user, admin or approver against the real parts (about a minute).
redteam: build
	node dist/reliability/redteam.js

# Withdrawals under injected faults with two workers on PostgreSQL, one killed with SIGKILL (a few minutes).
CHAOS_WITHDRAWALS ?= 200
chaos: build
	CHAOS_WITHDRAWALS=$(CHAOS_WITHDRAWALS) node dist/reliability/chaos.js

# A steady load at half capacity: error rate, p99 drift, RSS growth (SOAK_SECONDS, default 600).
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) node dist/reliability/soak.js

# The full benchmark (about 10 minutes); BENCH_SMOKE=1 runs the tiny version CI runs in `make test`.
bench: build
	BENCH_SMOKE=$(BENCH_SMOKE) node dist/bench/run.js

run: build
	node dist/cli/hsmctl.js run --var $(HSM_VAR) $(if $(PORT),--port $(PORT)) $(if $(CUSTODY_PORT),--custody-port $(CUSTODY_PORT))

clean:
	rm -rf dist
