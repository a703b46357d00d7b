# floorgate — the two commands: `make run` and `make test`.
GO       ?= go
BIN      := bin/floorgate
BENCH    := bin/floorgate-bench
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/floorgate/floorgate.Version=$(VERSION)
STATE    ?= ./state
LISTEN   ?= :8080
DURATION ?= 10s
FUZZTIME ?= 30s
# Minimising a new input is bounded by runs, not time: targets that commit to
# bbolt have background goroutines, so their coverage is not exactly
# repeatable and the default 60s of minimising would eat FUZZTIME.
FUZZMINIMIZE ?= 100x
CHAOS_ROUNDS ?= 200
# nfpm builds the .deb. Pinned: v2.46 and later pull in modules that are not on
# the Go module proxy.
NFPM     ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
# A Debian version starts with a digit: v1.2.3-4-gabc1234 → 1.2.3+4.gabc1234;
# with no tag, 0.0.0+git<commits>.g<hash>; +dirty for uncommitted changes.
DEB_VERSION ?= $(shell v=$$(git describe --tags --match 'v[0-9]*' 2>/dev/null | sed -e 's/^v//' -e 's/-\([0-9]*\)-g/+\1.g/') ; \
	[ -n "$$v" ] || v=0.0.0+git$$(git rev-list --count HEAD 2>/dev/null || echo 0).g$$(git rev-parse --short HEAD 2>/dev/null || echo 0); \
	git diff --quiet HEAD 2>/dev/null || v=$$v+dirty; echo $$v)
DEB_ARCH ?= $(shell $(GO) env GOARCH)
DEB_DIR  ?= bin

.PHONY: help run build deb test chaos bench bench-peer-deps fuzz check fmt vet deps decoder test-deps clean

# INSTALL_MISSING installs the Debian packages named in $$missing: as root
# with apt-get, otherwise it says what to install and stops.
define INSTALL_MISSING
if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "needed:$$missing — run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
endef

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: deps ## build bin/floorgate (and bin/floorgate-bench, the benches' program, which the package does not ship)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/floorgate
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BENCH) ./cmd/floorgate-bench

deb: build ## build the Debian package bin/floorgate_VERSION_ARCH.deb (systemd/nfpm.yaml; DEB_DIR, DEB_VERSION override)
	@mkdir -p $(DEB_DIR)
	DEB_VERSION='$(DEB_VERSION)' DEB_ARCH='$(DEB_ARCH)' $(NFPM) package --config systemd/nfpm.yaml \
	  --packager deb --target $(DEB_DIR)/floorgate_$(DEB_VERSION)_$(DEB_ARCH).deb

run: build ## start a demo gateway on $(LISTEN), state in $(STATE)
	$(BIN) run --demo --state-dir $(STATE) --listen $(LISTEN)

test: test-deps ## run every test, the fault scenarios' short round included (starts real Mosquitto brokers and NATS clusters on free ports)
	$(GO) test -tags chaos -count=1 -timeout 20m ./...

chaos: test-deps ## the fault scenarios' long round (200 kill -9 rounds), one CHAOS line each; full log in bin/chaos.log
	@mkdir -p bin
	@FLOORGATE_CHAOS_ROUNDS=$(CHAOS_ROUNDS) $(GO) test -count=1 -v -tags chaos -run Chaos -timeout 60m ./tests/chaos/ >bin/chaos.log 2>&1; \
	  s=$$?; grep -E '^(CHAOS |--- FAIL|FAIL|ok )' bin/chaos.log; exit $$s

bench: build ## run every bench (DURATION each) and write bench/report.md, bench/report.json and bench/latency.png
	@mkdir -p bench && rm -f bench/lines.txt
	@set -e; for n in 1 64 256 1000; do \
	  $(BENCH) scan --pdas $$n --duration $(DURATION) >> bench/lines.txt; tail -n 1 bench/lines.txt; \
	done
	$(BENCH) degraded --pdas 64 --duration $(DURATION) >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) mem --pdas 500 --rate 1 --duration $(DURATION) >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) sync --events 200000 >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) sync --events 1000000 >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) print --labels 400 --printers 20 >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) kpi --events 1000000 >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) cluster --pdas 64 --orders 5000 --duration $(DURATION) >> bench/lines.txt && tail -n 1 bench/lines.txt
	@$(MAKE) --no-print-directory bench-peer-deps
	$(BENCH) backbone >> bench/lines.txt && tail -n 1 bench/lines.txt
	$(BENCH) peer --pdas 1,64,256 --duration $(DURATION) >> bench/lines.txt && grep "^BENCH peer" bench/lines.txt
	$(BENCH) peer --pdas 64,256 --tls off --batch-events 100 --kill=false --instructions=false --duration $(DURATION) >> bench/lines.txt && grep "^BENCH peer.* batch=" bench/lines.txt
	$(BENCH) report --in bench/lines.txt --out bench

bench-peer-deps: test-deps ## install bench peer's Node-RED (bench/peers/nodered, with npm; never needed by make test)
	@command -v npm >/dev/null || { echo "bench peer needs Node.js 18 or later and npm (apt-get install nodejs npm) to install its Node-RED peer"; exit 1; }
	@cd bench/peers/nodered && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }

fuzz: ## run every fuzz target for FUZZTIME (30s) each, one summary line per target
	@fail=0; summary=""; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg 2>&1); rc=$$?; \
	    echo "$$out" | tail -n 3; \
	    execs=$$(echo "$$out" | sed -n 's/.*execs: \([0-9]*\).*/\1/p' | tail -n 1); \
	    if [ $$rc = 0 ]; then res=ok; else res=FAIL; fail=1; echo "$$out" | grep -A3 'Failing input\|--- FAIL' || true; fi; \
	    summary="$$summary$$(printf '%-4s %-52s %-24s %10s execs' $$res $${pkg#github.com/floorgate/floorgate/} $$f $${execs:-0})\n"; \
	  done; \
	done; printf "\nfuzz summary (FUZZTIME $(FUZZTIME) each):\n$$summary"; exit $$fail

check: test-deps fmt vet test ## gofmt, go vet and the tests

fmt: ## fail if a file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet: deps ## go vet
	$(GO) vet -tags chaos ./...

deps: ## check Go; install a CJK font (Chinese labels), libusb's headers (USB scanners) and Node.js with npm (the PDA app's camera decoder) when missing; then the decoder
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/doc/install (or apt-get install golang)"; exit 1; }
	@missing=""; \
	test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	pkg-config --exists libusb-1.0 2>/dev/null || missing="$$missing libusb-1.0-0-dev"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	$(INSTALL_MISSING)
	@$(MAKE) --no-print-directory decoder

# The PDA app's camera decoder: the BarcodeDetector ponyfill on ZXing
# WebAssembly (web/decoder/package.json, pinned by its package-lock.json),
# installed from the npm registry and copied with its licences into
# web/static/pda/decoder/, which git ignores and the binary embeds. Without
# it the binary still builds, and the app's camera mode says it is missing.
DECODER_SRC := web/decoder
DECODER_OUT := web/static/pda/decoder
decoder: ## install the PDA app's camera decoder (npm ci in web/decoder) into web/static/pda/decoder
	@command -v npm >/dev/null || { echo "the PDA camera decoder needs Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	@if [ $(DECODER_OUT)/barcode-detector.js -nt $(DECODER_SRC)/package-lock.json ] && \
	    [ -f $(DECODER_OUT)/zxing_reader.wasm ]; then exit 0; fi; \
	  set -e; ( cd $(DECODER_SRC) && npm ci --no-audit --no-fund --loglevel=error ) || { echo "npm ci in $(DECODER_SRC) failed: the PDA camera decoder needs the npm registry"; exit 1; }; \
	  m=$(DECODER_SRC)/node_modules; \
	  cp $$m/barcode-detector/dist/iife/ponyfill.js $(DECODER_OUT)/barcode-detector.tmp; \
	  cp $$m/zxing-wasm/dist/reader/zxing_reader.wasm $(DECODER_OUT)/zxing_reader.wasm; \
	  cp $$m/barcode-detector/LICENSE $(DECODER_OUT)/LICENSE.barcode-detector.txt; \
	  cp $$m/zxing-wasm/LICENSE $(DECODER_OUT)/LICENSE.zxing-wasm.txt; \
	  printf '%s\n' "barcode-detector $$(node -p "require('./$$m/barcode-detector/package.json').version")" \
	    "zxing-wasm $$(node -p "require('./$$m/zxing-wasm/package.json').version")" > $(DECODER_OUT)/VERSIONS.txt; \
	  mv $(DECODER_OUT)/barcode-detector.tmp $(DECODER_OUT)/barcode-detector.js; \
	  echo "PDA camera decoder: $$(tr '\n' ' ' < $(DECODER_OUT)/VERSIONS.txt)installed in $(DECODER_OUT)"

test-deps: deps ## also install Mosquitto (the tests' MQTT broker), Chromium (the web pages' tests), systemd-analyze and debootstrap (the package's tests), iproute2 and setpriv (the locked-door suite's LAN host and other user), and Node.js and npm (print/template's test against an independent ZPL interpreter) when missing
	@missing=""; \
	command -v mosquitto >/dev/null || test -x /usr/sbin/mosquitto || missing="$$missing mosquitto"; \
	command -v mosquitto_pub >/dev/null || missing="$$missing mosquitto-clients"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v debootstrap >/dev/null || test -x /usr/sbin/debootstrap || missing="$$missing debootstrap"; \
	command -v ip >/dev/null || test -x /usr/sbin/ip || test -x /sbin/ip || missing="$$missing iproute2"; \
	command -v setpriv >/dev/null || missing="$$missing util-linux"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	$(INSTALL_MISSING)

clean: ## remove build output (not the state directory)
	rm -rf bin
