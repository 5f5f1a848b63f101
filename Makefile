# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MOTO_PORT ?= 5000
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: setup browser run test lint bench package deploy lock clean

setup: $(VENV)/.installed node_modules/.installed

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here), and
# draw the transactiebon PDF's first page with poppler-utils' pdftoppm.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v pdftoppm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

# The venv holds exactly the dev lock (every package pinned, every file's hash checked), so it is
# rebuilt whenever a lock changes; pip-sync removes what the lock no longer lists.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	$(BIN)/pip-sync --quiet requirements-dev.txt
	touch $@

# Re-lock after editing requirements*.in (docs/deploy.md, "Dependencies"): pins with the hash of
# every file of each pinned version on PyPI (so the Lambda's manylinux wheels too), resolved on
# PyPI alone, not on this machine's pip settings. An existing pin moves only when its input asks
# for it; `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package boto3`) moves them on purpose.
LOCK = env -u PIP_FIND_LINKS -u PIP_CONSTRAINT -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: $(VENV)/.installed
	$(LOCK) --output-file=requirements.txt requirements.in
	$(LOCK) --output-file=requirements-dev.txt requirements-dev.in

# Front-end packages come from the npm registry, never from the repository.
node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p chalicelib/web/vendor
	cp node_modules/signature_pad/dist/signature_pad.umd.min.js chalicelib/web/vendor/
	# PDF.js (legacy build: older phone browsers too), as .js: /static/ serves js, css and svg only.
	cp node_modules/pdfjs-dist/legacy/build/pdf.min.mjs chalicelib/web/vendor/pdf.min.js
	cp node_modules/pdfjs-dist/legacy/build/pdf.worker.min.mjs chalicelib/web/vendor/pdf.worker.min.js
	cp node_modules/pdfjs-dist/wasm/openjpeg_nowasm_fallback.js chalicelib/web/vendor/  # JPEG 2000 scans
	# The typed signature's handwriting font, as a module of base64 strings that FontFace loads
	# (/static/ serves text files only; no font-src or data: needed in the CSP).
	{ for part in latin latin-ext; do printf 'export const %s = "%s";\n' "$${part/-/_}" \
	  "$$(base64 -w0 node_modules/@fontsource/dancing-script/files/dancing-script-$$part-400-normal.woff2)"; done; } \
	  > chalicelib/web/vendor/handwriting-font.js
	touch $@

run: setup
	$(BIN)/python -m local.run --port $(PORT) --moto-port $(MOTO_PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: setup browser lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench.run_all

# The app as a CloudFormation/SAM template in build/ (no AWS account needed).
package: setup
	infra/package.sh build

# The whole deployment, in order (docs/deploy.md): SENDER_EMAIL=... [ALERT_EMAIL=...] make deploy
deploy: setup
	infra/deploy.sh

clean:
	rm -rf $(VENV) node_modules chalicelib/web/vendor .pytest_cache .mypy_cache .ruff_cache build .chalice/deployments
