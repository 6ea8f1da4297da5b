# Entry points. `make test` is what CI runs; `make lab` is the main job.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN := .run

.PHONY: all setup venv test test-unit test-integration lint lab lab-down lab-test clean

all: test

# One step: the virtualenv with the pinned dependencies.
venv: $(BIN)/.installed
$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The absolute paths Salt needs, written for wherever this checkout lives.
setup: venv $(RUN)/conf.d/paths.conf
$(RUN)/conf.d/paths.conf: Makefile
	mkdir -p $(RUN)/conf.d $(RUN)/var/cache/salt/master/proc $(RUN)/var/log/salt
	printf '%s\n' \
	  '# Written by `make setup`: paths of this checkout ($(CURDIR)).' \
	  'root_dir: $(CURDIR)/$(RUN)' \
	  'file_roots: {base: [$(CURDIR)/salt]}' \
	  'pillar_roots: {base: [$(CURDIR)/pillar]}' \
	  'module_dirs: [$(CURDIR)/_modules]' \
	  'runner_dirs: [$(CURDIR)/_runners]' \
	  'reactor:' \
	  "  - 'salt/minion/*/start':" \
	  '      - $(CURDIR)/reactor/minion-start.sls' \
	  > $@

test: setup lint
	$(BIN)/pytest -ra tests

lint: venv
	$(BIN)/ruff check _modules _states _runners tests
	$(BIN)/ruff format --check _modules _states _runners tests
	$(BIN)/yamllint -s .
	$(BIN)/salt-lint $$(find salt pillar reactor -name '*.sls')

# The main job: the guide's hosts as containers on this machine (lab/README.md),
# then the orchestration into them, then how to reach the cloud.
lab: setup
	$(BIN)/salt-run lab.up
	@if [ -f salt/openstack/init.sls ] || [ -f salt/openstack.sls ]; then \
	  echo "salt-run state.orchestrate openstack"; \
	  $(BIN)/salt-run state.orchestrate openstack; \
	fi
	@$(BIN)/salt-run --out=newline_values_only lab.access

lab-down: setup
	$(BIN)/salt-run lab.down

# The lab tier: brings a lab up, checks it against the guide, brings it down.
lab-test: setup
	$(BIN)/pytest -o addopts="-p no:cacheprovider" -m lab -ra -v $(or $(ARGS),tests/lab)

clean:
	rm -rf $(RUN)
