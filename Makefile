# floorgate — the two commands: `make run` and `make test`.
GO       ?= go
BIN      := bin/floorgate
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/floorgate/floorgate.Version=$(VERSION)
STATE    ?= ./state
LISTEN   ?= :8080
DURATION ?= 10s
FUZZTIME ?= 30s
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

.PHONY: help run build deb test bench fuzz check fmt vet deps test-deps clean

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

build: deps ## build bin/floorgate
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/floorgate

deb: build ## build the Debian package bin/floorgate_VERSION_ARCH.deb (systemd/nfpm.yaml; DEB_DIR, DEB_VERSION override)
	@mkdir -p $(DEB_DIR)
	DEB_VERSION='$(DEB_VERSION)' DEB_ARCH='$(DEB_ARCH)' $(NFPM) package --config systemd/nfpm.yaml \
	  --packager deb --target $(DEB_DIR)/floorgate_$(DEB_VERSION)_$(DEB_ARCH).deb

run: build ## start a demo gateway on $(LISTEN), state in $(STATE)
	$(BIN) run --demo --state-dir $(STATE) --listen $(LISTEN)

test: test-deps ## run every test (starts real Mosquitto brokers on free ports)
	$(GO) test -count=1 -timeout 20m ./...

bench: build ## measure scans against raw bbolt commits, and the MQTT drain against a plain publish loop
	$(BIN) bench scan --pdas 1 --duration $(DURATION)
	$(BIN) bench scan --pdas 256 --duration $(DURATION)
	$(BIN) bench sync --events 200000
	$(BIN) bench sync --events 1000000
	$(BIN) bench print --labels 400 --printers 20

fuzz: ## run every fuzz target for FUZZTIME (30s) each
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

check: test-deps fmt vet test ## gofmt, go vet and the tests

fmt: ## fail if a file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet: deps ## go vet
	$(GO) vet ./...

deps: ## check Go; install a CJK font (Chinese labels) and libusb's headers (USB scanners) when missing
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/doc/install (or apt-get install golang)"; exit 1; }
	@missing=""; \
	test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	pkg-config --exists libusb-1.0 2>/dev/null || missing="$$missing libusb-1.0-0-dev"; \
	$(INSTALL_MISSING)

test-deps: deps ## also install Mosquitto (the tests' MQTT broker), Chromium (the web pages' tests), and systemd-analyze and debootstrap (the package's tests) when missing
	@missing=""; \
	command -v mosquitto >/dev/null || test -x /usr/sbin/mosquitto || missing="$$missing mosquitto"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v debootstrap >/dev/null || test -x /usr/sbin/debootstrap || missing="$$missing debootstrap"; \
	$(INSTALL_MISSING)

clean: ## remove build output (not the state directory)
	rm -rf bin
