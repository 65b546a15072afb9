# The two commands a newcomer needs:
#   make demo   build every binary and run the main job on embedded defaults
#   make test   run every test (what CI runs through .ci/run)

GO        ?= go
BIN       ?= $(CURDIR)/bin
VERSION   ?= 0.0.0-dev
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG       := github.com/gofluvio/fluvio/internal/buildinfo
LDFLAGS   := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
BINARIES  := fluvio fluvio-run ssdk fvm
FUZZTIME  ?= 60s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build demo test test-short vet lint bench fuzz clean

all: build

build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

demo: build
	@BIN=$(BIN) ./scripts/demo.sh

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

test-short:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./cluster/protocol/...
	$(GO) test -run '^$$' -bench Broker -benchtime 1x -timeout 15m ./bench/

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf $(BIN) dist

# Release builds (issue #6). goreleaser comes from the Go module proxy at a
# pinned version. v2.14.3: v2.18+ needs Go 1.27, and v2.15-v2.17 depend on
# go.digitalxero.dev/go-msix, which not every module proxy serves.
GORELEASER_VERSION ?= v2.14.3
GORELEASER        ?= $(GO) run github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
GORELEASER_FLAGS  ?= --clean

.PHONY: release-snapshot release cross bench-fvm

# Builds every target of tiers.yaml into dist/ without publishing.
release-snapshot:
	$(GORELEASER) release --snapshot $(GORELEASER_FLAGS)

# The tagged release (CI: .github/workflows/release.yml).
release:
	$(GORELEASER) release $(GORELEASER_FLAGS)

# Cross-builds every binary for every target of tiers.yaml into
# $(BIN)/cross/<triple>/ and prints the sizes.
cross:
	@BIN=$(BIN) LDFLAGS='$(LDFLAGS)' ./scripts/cross.sh

# fvm install from a loopback Hub against curl fetching the same bytes.
bench-fvm:
	$(GO) test -run '^$$' -bench BenchmarkInstall -benchtime 5x ./hub/...

# `fluvio produce` of 100,000 lines from stdin and `fluvio consume -B -d`
# of them against `cat` of the same file through a pipe, in one run
# (issue #5), against an in-process cluster.
.PHONY: bench-cli
bench-cli:
	$(GO) test -run '^$$' -bench BenchmarkCLI -benchtime 3x ./cli/e2e/

# SmartModules (issue #4): engine-only records per CPU-second (accelerated
# and as built), the Go SDK filter against the Rust one, consuming through
# filter-on-a.wasm and the Go SDK filter as a share of plain consuming
# (interleaved, medians), and memory per open stream.
.PHONY: bench-smartmodules
bench-smartmodules:
	$(GO) test -run '^$$' -bench BenchmarkProcess -benchtime 1s ./cluster/smartengine
	$(GO) test -run '^$$' -bench 'BenchmarkGoFilter|BenchmarkOpenGoChain' -benchtime 3s ./smartmodule/examples
	$(GO) test -run '^$$' -bench 'BenchmarkConsumeRatio|BenchmarkStreamMemory' -benchtime 20x ./cluster/spu/smartmodules
