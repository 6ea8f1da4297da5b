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
	  'utils_dirs: [$(CURDIR)/_utils]' \
	  'reactor:' \
	  "  - 'salt/minion/*/start':" \
	  '      - $(CURDIR)/reactor/minion-start.sls' \
	  > $@

# The unit and render tests (independent masterless minions) on two
# processes, a file each; the functional and integration tests (real
# glusterd, ovsdb-server, Keystone, a master) one at a time.
test: setup lint
	$(BIN)/pytest -ra -n 2 --dist loadfile tests/unit tests/render
	$(BIN)/pytest -ra tests/functional tests/integration

lint: venv
	$(BIN)/ruff check _modules _states _runners _utils tests
	$(BIN)/ruff format --check _modules _states _runners _utils tests
	$(BIN)/yamllint -s .
	$(BIN)/salt-lint $$(find salt pillar reactor -name '*.sls')

# The main job: the guide's hosts as containers on this machine (lab/README.md),
# the orchestration into them (only changed or failed states are listed; each
# stage's duration is in its summary), the guide's section 10 as checks, then
# the security audit (each check's PASS/FAIL/SKIP, time and finding in full;
# the audit runs even when a verification check failed), then how to reach
# the cloud. Fails if the deployment, a verification check or an audit check
# failed. Salt's own log lines are kept to critical ones: the states' results
# already name what failed.
# `make lab STOP_AFTER=glusterfs` stops the deployment after that stage (the
# names are salt/stages.yaml's) and skips the verification and the audit; a
# later `make lab` carries on from where it is. `make lab ONLY=kvm` runs one
# stage alone.
# At the end: each host's CPU seconds since the orchestration began (its
# container's cgroup), their total, and wall / (CPU seconds / cores).
# `make lab LAB_SUITE=bookworm` makes the hosts Debian 12 instead of pillar
# lab:suite's (trixie); a running lab keeps its suite (make lab-down first).
STOP_AFTER ?=
ONLY ?=
LAB_SUITE ?=
LAB_CPU := echo "CPU seconds of the hosts since the orchestration began:"; \
	$(BIN)/salt-run -l critical --out=yaml lab.cpu since=saved
ORCH_PILLAR := $(if $(STOP_AFTER),pillar='{"stop_after": "$(STOP_AFTER)"}',$(if $(ONLY),pillar='{"only": "$(ONLY)"}'))
lab: setup
	$(BIN)/salt-run lab.up $(if $(LAB_SUITE),suite=$(LAB_SUITE))
	@$(BIN)/salt-run -l critical --out=quiet lab.cpu
	@start=$$SECONDS; \
	$(BIN)/salt-run -l critical -t 1800 --state-verbose=False state.orchestrate openstack $(ORCH_PILLAR); rc=$$?; \
	echo "orchestration: $$((SECONDS - start)) s, exit $$rc"; exit $$rc
ifeq ($(STOP_AFTER)$(ONLY),)
	@start=$$SECONDS; \
	$(BIN)/salt-run -l critical -t 1800 --state-output=full state.orchestrate openstack.verify; rc=$$?; \
	echo "verification: $$((SECONDS - start)) s, exit $$rc"; \
	start=$$SECONDS; \
	$(BIN)/salt-run -l critical -t 600 --state-output=full state.orchestrate openstack.audit; arc=$$?; \
	echo "audit: $$((SECONDS - start)) s, exit $$arc"; \
	$(LAB_CPU); \
	$(BIN)/salt-run lab.access; [ $$rc -ne 0 ] && exit $$rc; exit $$arc
else
	@echo "stopped as asked ($(if $(STOP_AFTER),after stage $(STOP_AFTER),stage $(ONLY) only)): no verification, no audit; 'make lab' carries on"
	@$(LAB_CPU)
endif

lab-down: setup
	$(BIN)/salt-run lab.down

# The lab tier: brings a lab up, checks it against the guide, brings it down.
lab-test: setup
	$(BIN)/pytest -o addopts="-p no:cacheprovider" -m lab -ra -v $(or $(ARGS),tests/lab)

clean:
	rm -rf $(RUN)
