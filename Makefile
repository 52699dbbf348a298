# Every target sets itself up on a fresh machine: a .venv with the pinned packages,
# and the reference npm packages for the interop tests from their lock file.
VENV        := .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
PY_STAMP    := $(VENV)/.installed
NODE_DIR    := tests/peers
NODE_STAMP  := $(NODE_DIR)/node_modules/.installed
SIGMA_DIR   := examples/sigma_client
SIGMA_STAMP := $(SIGMA_DIR)/node_modules/.installed
PKG_STAMP   := $(VENV)/.installed-package

.PHONY: run serve test test-quick test-postgres bench setup clean package

setup: $(PY_STAMP) $(NODE_STAMP) $(SIGMA_STAMP)

$(PY_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[gui,test]'
	touch $@

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SIGMA_STAMP): $(SIGMA_DIR)/package.json $(SIGMA_DIR)/package-lock.json
	cd $(SIGMA_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(PY_STAMP)
	$(VENV)/bin/sigil

serve: $(PY_STAMP)
	$(VENV)/bin/sigil-server serve

test: $(PY_STAMP) $(NODE_STAMP) $(SIGMA_STAMP)
	tests/run-suite

# Without the slow real parts (browser, PostgreSQL, real relying parties, the .deb).
test-quick: $(PY_STAMP) $(NODE_STAMP)
	tests/run-suite -m 'not slow'

# The server suites again, every test server on a fresh database of a real PostgreSQL
# (the store tests in tests/operations run on both engines in every `make test`).
test-postgres: $(PY_STAMP) $(NODE_STAMP) $(SIGMA_STAMP)
	SIGIL_TEST_DB=postgresql tests/run-suite tests/signin tests/oauth tests/signer tests/operations

bench: $(PY_STAMP) $(NODE_STAMP)
	$(PY) -m bench.verify
	$(PY) -m bench.token
	$(PY) -m bench.startup
	$(PY) -m bench.signin
	$(PY) -m bench.ratelimit

$(PKG_STAMP): $(PY_STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[gui,package]'
	touch $@

# The PyInstaller app (dist/sigil) and the Debian package (dist/sigil_<version>_<arch>.deb);
# needs dpkg-deb and binutils (Debian). Prints the package size.
package: $(PKG_STAMP)
	PYTHON=$(PY) packaging/build.sh

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules $(SIGMA_DIR)/node_modules
