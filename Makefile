# MemberLedger: every target installs what it needs first (Python venv, npm packages, the
# solc-js compiler wrapper, Anvil on the venv's PATH), so a fresh clone needs only `make`.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps
SOLC_VERSION := 0.8.30
ANVIL_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,amd64)
ANVIL_BIN  := node_modules/@foundry-rs/anvil-linux-$(ANVIL_ARCH)/bin/anvil
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solcx

.PHONY: setup compile test demo lint slither fuzz bench bench-quick node serve web clean help

# The dead-code pass: Alembic reads its versions' attributes by name, so they are left out
# (the vault's and the chain index's).
VULTURE_PATHS := memberledger scripts bench tools/vulture_allowlist.py \
  --exclude memberledger/store/migrations/versions,memberledger/index/migrations/versions

SERVE_NETWORK ?= ethereum:local:foundry
SERVE_PORT    ?= 8000
# make demo: empty = an Anvil of the demo's own on a free port; or a node's URL.
DEMO_NETWORK  ?=
# make node: where the persistent local node keeps its state, and how it mines (it listens
# at MEMBERLEDGER_NODE_HOST).
NODE_STATE    ?= data/anvil-state.json
NODE_FLAGS    ?= --prune-history 16 --state-interval 300

help:
	@echo "make demo   - install, then run the whole flow on an Anvil of its own (DEMO_NETWORK=URL: on that node)"
	@echo "make test   - install, then run every test (Anvil, Hardhat, the in-process chain, Chromium, PostgreSQL)"
	@echo "make lint   - ruff, mypy, tsc, solhint, Slither"
	@echo "make fuzz   - the contracts' state machine with many more random examples"
	@echo "make bench  - bulk enrollment and issuance (100,000 members), then the reads (the"
	@echo "              chain index) on 1,000,000 members, the relay and private proofs, each on"
	@echo "              a private Anvil"
	@echo "make bench-quick - the same, the reads on 100,000 members"
	@echo "make node   - a persistent local Anvil at MEMBERLEDGER_NODE_HOST (default 127.0.0.1:8545; state in $(NODE_STATE))"
	@echo "make serve  - the member page, its gas-free relay and history on http://127.0.0.1:$(SERVE_PORT),"
	@echo "              and the staff dashboard on /admin"
	@echo "make clean  - remove the environment, build output and local data"

setup: $(STAMPS)/toolchain

# Installing prints one line per step; everything pip and npm say goes to $(INSTALL_LOG), whose
# last lines are shown if a step fails.
INSTALL_LOG := $(STAMPS)/install.log
define logged
	@$(1) >>$(INSTALL_LOG) 2>&1 || { echo "failed: $(1)"; tail -n 30 $(INSTALL_LOG); exit 1; }
endef

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	@echo "installing npm packages (solc-js, Anvil, Hardhat, OpenZeppelin, page tools; log: $(INSTALL_LOG))"
	$(call logged,npm install --no-audit --no-fund --loglevel=error)
	@touch $@

$(STAMPS)/venv: requirements.txt constraints.txt pyproject.toml
	@mkdir -p $(STAMPS)
	@echo "installing Python packages into $(VENV) (pinned; log: $(INSTALL_LOG))"
	$(call logged,test -x $(BIN)/python || $(PYTHON) -m venv $(VENV))
	$(call logged,$(BIN)/python -m pip install --quiet --upgrade pip)
	$(call logged,$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt)
	$(call logged,$(BIN)/python -m pip install --quiet --no-deps -e .)
	@touch $@

# tools/venv_env.py, run by every Python in the venv through a .pth file, points py-solc-x at
# the compiler wrapper and puts the venv's bin folder (where Anvil is linked) on PATH.
$(STAMPS)/toolchain: $(STAMPS)/npm $(STAMPS)/venv tools/solc-wrapper.cjs tools/venv_env.py
	@chmod +x tools/solcx/solc-v$(SOLC_VERSION) tools/solc-wrapper.cjs
	@site=$$($(BIN)/python -c "import site; print(site.getsitepackages()[0])") && \
	  sed 's|@SOLCX_BINARY_PATH@|$(SOLCX_BINARY_PATH)|' tools/venv_env.py > $$site/_memberledger_env.py && \
	  echo "import _memberledger_env" > $$site/memberledger-env.pth && rm -f $$site/memberledger-solc.pth
	@ln -sf $(CURDIR)/$(ANVIL_BIN) $(BIN)/anvil
	@echo "toolchain ready: $$($(BIN)/anvil --version | head -1), solc $(SOLC_VERSION) (solc-js)"
	@touch $@

# Browser tests drive Debian's Chromium (no test tool downloads a browser); a CJK font lets
# the Simplified Chinese page render in tests and screenshots.
$(STAMPS)/chromium:
	@mkdir -p $(STAMPS)
	command -v chromium >/dev/null && fc-list | grep -qi zenhei || \
	  (apt-get update && apt-get install -y chromium chromium-driver fonts-wqy-zenhei)
	@touch $@

# PostgreSQL tests (MEMBERLEDGER_DATABASE_URL) run a server of their own from Debian's binaries:
# tests/pg_kit.py initdbs a cluster in a temporary folder (as the `memberledger-pg` user when run
# by root, which PostgreSQL refuses to run as) and stops it at the end.
$(STAMPS)/postgresql:
	@mkdir -p $(STAMPS)
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update && apt-get install -y postgresql)
	@touch $@

compile: setup
	$(BIN)/ape compile

# The member page: TypeScript checked by tsc, bundled by esbuild from npm (no CDN).
web: $(STAMPS)/npm
	npx --no-install tsc -p web
	node web/build.mjs

test: setup $(STAMPS)/chromium $(STAMPS)/postgresql web
	$(BIN)/ape compile
	MEMBERLEDGER_NODE_HOST=auto $(BIN)/ape test tests --network ethereum:local:foundry --disable-isolation
	MEMBERLEDGER_NODE_HOST=auto $(BIN)/ape test tests/contracts --network ethereum:local:test --disable-isolation

fuzz: setup
	$(BIN)/ape compile
	HYPOTHESIS_PROFILE=fuzz MEMBERLEDGER_NODE_HOST=auto $(BIN)/ape test \
	  tests/contracts/test_invariants.py --network ethereum:local:foundry

# Bulk enrollment and issuance end to end on its own Anvil (then the vault's size per member
# and per journal row, archived and compacted), then the reads (the chain index against
# today's way) on another with 1,000,000 members, then the relay section (bench/relay.py:
# relayed consent changes and redemptions a second, valid requests under a flood), then
# private proofs (bench/zk.py: gas, proof time in Chromium at depth 20), then the staff
# dashboard's reads on an index of 1,000,000 members (bench/dashboard.py); figures in
# bench/results.json.
bench: setup $(STAMPS)/chromium $(STAMPS)/postgresql
	$(BIN)/ape compile
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/zk.py

bench-quick: setup $(STAMPS)/chromium $(STAMPS)/postgresql
	$(BIN)/ape compile
	$(BIN)/python bench/bench.py --read-members 100000
	$(BIN)/python bench/zk.py

# Host and port from MEMBERLEDGER_NODE_HOST (environment or .env), like ethereum:local:foundry.
# Anvil mines a block per transaction (its default automine; no block on an idle chain), keeps
# the states of the last 16 blocks in memory, not of every block (--prune-history 16), and
# saves its state every 5 minutes and on exit: memory stays bounded for a long-lived programme
# (README, "A long-lived local node").
node: setup
	@mkdir -p $(dir $(NODE_STATE))
	@options=$$($(BIN)/python -m memberledger.chain.local_node) && \
	  echo "persistent Anvil: $$options, state in $(NODE_STATE)" && \
	  exec $(BIN)/anvil $$options --state $(NODE_STATE) $(NODE_FLAGS)

serve: setup web
	$(BIN)/ape compile
	$(BIN)/ape run relay --network $(SERVE_NETWORK) --port $(SERVE_PORT) --deploy --admin

demo: setup
	$(BIN)/ape compile
	$(BIN)/ape run demo $(if $(DEMO_NETWORK),--network $(DEMO_NETWORK))

# Slither compiles through the same solc-js wrapper (crytic-compile has no solc-js support of
# its own) and fails on any medium or high finding; solhint allows no warning.
lint: setup
	$(BIN)/ruff check memberledger scripts tests bench
	$(BIN)/ruff format --check memberledger scripts tests bench
	$(BIN)/mypy
	$(BIN)/vulture $(VULTURE_PATHS) --min-confidence 60
	npx --no-install tsc -p web
	npx --no-install solhint --max-warnings 0 'contracts/**/*.sol'
	$(MAKE) --no-print-directory slither

slither: setup
	$(BIN)/slither tools/slither-input.json --compile-force-framework solc-json \
	  --solc tools/solcx/solc-v$(SOLC_VERSION) --config-file slither.config.json

clean:
	rm -rf $(VENV) node_modules .build .cache $(STAMPS) data
