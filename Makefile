# `make run` and `make test` are the whole set-up: each creates .venv when it is missing
# and installs the pinned dependencies (requirements.lock) before doing its job.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
REPORT_DIR ?= out/run
DAYS ?= 90
SEED ?= 1
SCHEDULE ?= cron(0 2 * * ? *)
FAULTS ?= flaky

TARGET ?= embedded

.PHONY: run test test-fast fuzz swarm lint typecheck unit bench clean deploy up down logs browser browser-start

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m harness run --schedule "$(SCHEDULE)" --days $(DAYS) --seed $(SEED) --faults $(FAULTS) --report-dir $(REPORT_DIR)

# The suite runs on every core (pytest-xdist; each worker starts its own embedded AWS).
# The report page test needs a chromium: when there is none, `browser-start` installs one
# in the background (as `make browser` does) while lint and type checks run, and the test
# waits for it (out/browser.rc holds the install's exit status, out/browser-install.log its log).
test: $(STAMP) browser-start lint typecheck
	HARNESS_BROWSER_RC=out/browser.rc HARNESS_REQUIRE_BROWSER=1 $(PY) -m pytest -n auto

browser-start: $(STAMP)
	@mkdir -p out; rm -f out/browser.rc
	@( $(MAKE) --no-print-directory browser; echo $$? > out/browser.rc.tmp; \
	   mv out/browser.rc.tmp out/browser.rc ) < /dev/null > out/browser-install.log 2>&1 &

# A chromium for the report page test: one already on PATH (or CHROMIUM=/path/to/it),
# else Debian's package (as root, or with passwordless sudo), else Playwright's own build.
browser: $(STAMP)
	@if [ -n "$$CHROMIUM" ] || command -v chromium >/dev/null 2>&1; then \
	  echo "chromium: $${CHROMIUM:-$$(command -v chromium)}"; exit 0; fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	if command -v apt-get >/dev/null 2>&1 && $$sudo true 2>/dev/null; then \
	  echo "Installing Debian's chromium for the report page test"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$sudo apt-get install -y -q -o DPkg::Lock::Timeout=120 chromium || \
	  { $$sudo apt-get update -q && $$sudo apt-get install -y -q -o DPkg::Lock::Timeout=120 chromium; } || \
	  { echo "Debian's chromium did not install; trying Playwright's"; \
	    $(PY) -m playwright install --with-deps chromium; }; \
	else \
	  echo "Installing Playwright's chromium for the report page test (without root, its"; \
	  echo "system libraries must be there already: see 'playwright install-deps')"; \
	  $(PY) -m playwright install chromium; \
	fi

# The same without the slow randomized runs (the chaos test): a few minutes less.
test-fast: $(STAMP)
	$(PY) -m pytest -n auto -m "not slow"

lint: $(STAMP) $(CHECKOV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/cfn-lint deploy/template.yaml examples/*/template.yaml
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov -f deploy/template.yaml \
	  --framework cloudformation --compact --quiet --skip-download

# checkov in a virtual environment of its own (its dependencies pin versions of their
# own), from requirements-checkov.lock. Every skip in the template says why.
$(CHECKOV_STAMP): requirements-checkov.lock
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.lock
	@touch $(CHECKOV_STAMP)

# Deploy deploy/template.yaml and the function's zip: TARGET=embedded (default),
# localstack, or aws (then YES=1 after checking the account and region it shows).
deploy: $(STAMP)
	$(PY) -m harness deploy --target $(TARGET) $(if $(filter 1,$(YES)),--yes) $(DEPLOY_ARGS)

# The Compose stack: LocalStack, the mock API, and the harness firing live
# (needs Docker and LOCALSTACK_AUTH_TOKEN).
up: $(STAMP)
	$(PY) -m harness up

down: $(STAMP)
	$(PY) -m harness down

logs: $(STAMP)
	$(PY) -m harness logs

typecheck: $(STAMP)
	$(PY) -m mypy

# The fuzzers (tests/test_fuzz_*.py) with many more examples than `make test` runs.
fuzz: $(STAMP)
	HARNESS_FUZZ_EXAMPLES=5000 $(PY) -m pytest -n auto tests/test_fuzz_inputs.py tests/test_fuzz_user_inputs.py

# A big swarm: the chaos workload (our sync, 30 days, 50 changes a day) for SEEDS, each
# seed's random plan, on every core; failures shrunk. `make test` runs bounded ones.
SEEDS ?= 1-200
swarm: $(STAMP)
	$(PY) -m harness swarm --seeds $(SEEDS) --days 30 --changes-per-day 50 --report-dir out/swarm

# PYTHONPATH=.: two benchmarks fire the small handlers in tests/fixture_handlers.py.
bench: $(STAMP)
	PYTHONPATH=. $(PY) bench/bench_schedules.py
	PYTHONPATH=. $(PY) bench/bench_mock_api.py
	PYTHONPATH=. $(PY) bench/bench_delivery.py
	PYTHONPATH=. $(PY) bench/bench_executors.py
	PYTHONPATH=. $(PY) bench/bench_virtual_time.py
	PYTHONPATH=. $(PY) bench/bench_latency.py
	PYTHONPATH=. $(PY) bench/bench_chaos.py
	PYTHONPATH=. $(PY) bench/bench_run.py
	PYTHONPATH=. $(PY) bench/bench_report.py
	PYTHONPATH=. $(PY) bench/bench_swarm.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) out .mypy_cache .ruff_cache .pytest_cache
