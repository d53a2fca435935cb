# credreport build and test targets. `make test` is what CI runs.
GO ?= go
PKGS := ./...

.PHONY: all build test vet fuzz bench function package run emulator clean

all: build

build:
	$(GO) build $(PKGS)
	$(GO) build -o bin/credreport ./cmd/credreport
	$(GO) build -o bin/emulator ./cmd/emulator

vet:
	$(GO) vet $(PKGS)
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# The fuzz targets also run as ordinary tests over their seed corpus here.
test: vet
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# Short coverage-guided fuzzing of every fuzz target (not part of CI).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./internal/...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The function binary as Function Compute's go1 runtime runs it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
function:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -o dist/main ./function

package: function
	rm -f dist/function.zip
	cd dist && zip -q function.zip main
	@echo "dist/function.zip ready: upload it as the code of a go1 function with handler main"

emulator:
	$(GO) build -o bin/emulator ./cmd/emulator

# The demo: the function under the emulated FC runtime on a 50-user account.
run: function emulator
	$(GO) run ./tools/demo -emulator bin/emulator -function dist/main

# Builds at the API quota and the cached path, measured as separate
# processes; see docs/benchmarks.md. Takes about 40 minutes with 50,000 users.
BENCH_USERS ?= 3500,50000
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/report ./internal/synth ./function
	$(GO) run ./tools/bench -users $(BENCH_USERS) -qps 100 -latency 20ms

clean:
	rm -rf bin dist
