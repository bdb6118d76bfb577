# smrlab: `make run` opens the lab, `make test` runs every test.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_PATH := $(GOROOT)/lib/wasm:$(GOROOT)/misc/wasm:$(PATH)
BIN       := bin
SEEDS     ?= 2000

.PHONY: all build run test deps test-native test-wasm vet bench explore fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/smrlab ./cmd/smrlab

# The lab at this stage: run a scenario and print its timeline and summary.
run: build
	$(BIN)/smrlab run scenarios/leader-crash.scn

test: deps vet test-native test-wasm

# Node.js and Chromium, installed with apt-get when missing (as root on Debian).
deps:
	@.ci/deps

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || \
		{ echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

test-native:
	$(GO) test -count=1 ./...

# The core's tests again under WebAssembly in Node.js: the parity test there
# proves that traces are byte-identical to the native ones.
test-wasm:
	PATH="$(WASM_PATH)" GOOS=js GOARCH=wasm $(GO) test -count=1 ./core/...

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./core/...
	PATH="$(WASM_PATH)" GOOS=js GOARCH=wasm $(GO) test -run '^$$' -bench . -benchmem ./core/lab
	$(BIN)/smrlab bench --nodes 5 --inflight 64 --entries 200000 --size 64

# Longer explorations than the tests run: many seeds of every scenario.
explore: build
	@for f in scenarios/*.scn; do \
		echo "== $$f"; $(BIN)/smrlab explore $$f --seeds $(SEEDS) | tail -3; \
	done

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadMsgpack -fuzztime 60s ./core/tracefile
	$(GO) test -run '^$$' -fuzz FuzzReadJSONL -fuzztime 60s ./core/tracefile

clean:
	rm -rf $(BIN)
