# smrlab: `make run` serves the browser lab, `make test` runs every test.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_PATH := $(GOROOT)/lib/wasm:$(GOROOT)/misc/wasm:$(PATH)
BIN       := bin
SEEDS     ?= 2000
BUG_SEEDS ?= $(SEEDS)
LESSON_SEEDS ?= 200

# The browser lab: the app in web/static, the simulator built to WebAssembly
# next to it, and a gzip -9 and a Brotli sibling of every file the labserver
# compresses. Brotli (quality 11, by tools/precompress in pure Go, so nothing
# needs installing) is a quarter smaller than gzip on the wasm and takes about
# a minute on it, only when it changed.
WEB_DIR   := web/static
WASM      := $(WEB_DIR)/smrlab.wasm
# The file tools (exports, imports), a second build the page loads on first use.
WASM_FILES := $(WEB_DIR)/smrlab-files.wasm
# Both builds leave inlining out of the packages listed in wasm/noinline-packages.
WASM_GCFLAGS := $(foreach p,$(shell sed '/^\#/d' wasm/noinline-packages),-gcflags=$(p)=-l)
# The simulator with the lesson player (-tags lessons), loaded when a lesson
# opens: the lab alone does not download core/lesson.
WASM_LESSONS := $(WEB_DIR)/smrlab-lessons.wasm
WASM_EXEC := $(WEB_DIR)/wasm_exec.js
WEB_FILES  = $(sort $(WASM) $(WASM_FILES) $(WASM_LESSONS) $(WASM_EXEC) $(shell find $(WEB_DIR) -type f \
	\( -name '*.html' -o -name '*.js' -o -name '*.mjs' -o -name '*.css' \) -not -path '*/[._]*' 2>/dev/null))
WEB_GZ     = $(addsuffix .gz,$(WEB_FILES))
BROTLI_QUALITY ?= 11

.PHONY: all build labserver web site run test deps test-native test-wasm vet bench bench-rooms bench-class explore fuzz clean FORCE

all: build

build:
	$(GO) build -o $(BIN)/smrlab ./cmd/smrlab

# The labserver embeds web/static, so the web is built first.
labserver: web
	$(GO) build -o $(BIN)/labserver ./cmd/labserver

# Build the browser lab and serve it; the labserver prints the URL, and on a
# first start the teacher key for classroom rooms. The rooms' store is the
# SQLite file bin/labserver.db (made if missing; `make clean` removes it).
run: labserver
	$(BIN)/labserver -db $(BIN)/labserver.db

web: $(WEB_GZ) $(WEB_DIR)/scenarios/index.json $(WEB_DIR)/lessons/index.json
	$(GO) run ./tools/precompress -quality $(BROTLI_QUALITY) $(WEB_FILES)
	@find $(WEB_DIR) -name '*.gz' -o -name '*.br' | while read -r f; do \
		[ -e "$${f%.*}" ] || { echo "rm $$f (its file is gone)"; rm -f "$$f"; }; done

# Go builds every time (its cache makes that quick); the file is replaced only
# when it changed, so an unchanged wasm is not compressed again.
$(WASM): FORCE
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" $(WASM_GCFLAGS) -o $@.tmp ./wasm
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(WASM_LESSONS): FORCE
	GOOS=js GOARCH=wasm $(GO) build -trimpath -tags lessons -ldflags="-s -w" $(WASM_GCFLAGS) -o $@.tmp ./wasm
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(WASM_FILES): FORCE
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" $(WASM_GCFLAGS) -o $@.tmp ./wasm/files
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# wasm_exec.js must come from the Go that built the wasm.
$(WASM_EXEC): FORCE
	@cmp -s $(GOROOT)/lib/wasm/wasm_exec.js $@ || install -m 0644 $(GOROOT)/lib/wasm/wasm_exec.js $@

$(WEB_DIR)/%.gz: $(WEB_DIR)/%
	gzip -9 -n -k -f $<

# The scenario picker's catalogue: the shipped scenarios and their index.
SCENARIOS := $(wildcard scenarios/*.scn)
$(WEB_DIR)/scenarios/index.json: $(SCENARIOS) build
	@mkdir -p $(WEB_DIR)/scenarios
	@rm -f $(WEB_DIR)/scenarios/*.scn
	cp $(SCENARIOS) $(WEB_DIR)/scenarios/
	$(BIN)/smrlab list --json $(SCENARIOS) > $@

# The course's catalogue: the lesson files and their index, which the
# page's lesson player reads (so `make site` needs no server for lessons).
LESSONS := $(wildcard lessons/*.lesson)
$(WEB_DIR)/lessons/index.json: $(LESSONS) build
	@mkdir -p $(WEB_DIR)/lessons
	@rm -f $(WEB_DIR)/lessons/*.lesson
	$(if $(LESSONS),cp $(LESSONS) $(WEB_DIR)/lessons/)
	$(BIN)/smrlab lesson list --json lessons/ > $@

# A folder that any static web host serves as is, with no labserver.
site: web
	rm -rf site
	cp -R $(WEB_DIR) site
	find site -mindepth 1 -name '[._]*' -prune -exec rm -rf {} +

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

bench: deps build bench-rooms bench-class
	$(GO) test -run '^$$' -bench . -benchmem ./core/...
	$(GO) test -run '^$$' -bench BenchmarkBrowser -benchtime 3x ./cmd/labserver
	PATH="$(WASM_PATH)" GOOS=js GOARCH=wasm $(GO) test -run '^$$' -bench . -benchmem ./core/sim
	$(BIN)/smrlab bench --nodes 5 --inflight 64 --entries 200000 --size 64 --against etcd

# The classroom server under load (cmd/labload): each run starts a labserver
# of its own (-serve: a free loopback port, a fresh SQLite store, a made-up
# teacher key), seats real websocket students from distinct loopback
# addresses, has each room's teacher act, and prints the time until an
# action reached every student (p50..max), bytes per student per second and
# the server's memory per room; -slow 1 adds a phase where one student per
# room stops reading, beside the first phase as its baseline (and, with
# -slow-every 2, beside the rooms without a slow reader in the same
# seconds: a loaded machine's noise hits both alike). The store's
# Apply on both engines is benchmarked too.
LOAD_DURATION ?= 40s
bench-rooms: labserver
	$(GO) build -o $(BIN)/labload ./cmd/labload
	$(BIN)/labload -q -serve $(BIN)/labserver -rooms 1 -students 300 -actions-per-sec 4 -duration $(LOAD_DURATION) -slow 1
	$(BIN)/labload -q -serve $(BIN)/labserver -rooms 30 -students 30 -actions-per-sec 1 -duration $(LOAD_DURATION) -slow 1 -slow-every 2
	$(GO) test -run '^$$' -bench Apply -benchtime 2s ./cmd/labserver/internal/store

# A class's load: 300 students in one room each play lesson 1's solution
# natively on their own seed and send their lesson logs as progress frames
# at a browser's pace, while the teacher reads the dashboard: the dashboard's
# latency after a progress frame (p50/p99), the server's native replay per
# progress event (smrlab_replay_seconds), bytes per student, the server's
# CPU and memory.
bench-class: labserver
	$(GO) build -o $(BIN)/labload ./cmd/labload
	$(BIN)/labload -q -serve $(BIN)/labserver -progress 01-elections -students 300 -pace 2s -duration 3m

# Longer explorations than the tests run: many seeds of every scenario, each
# with its seeds and verdict (.ci/explore-scenarios; it fails if any fails:
# a file without a bug must be clean on every seed, a bug file must catch its
# bug on its own seed; BUG_SEEDS=N explores bug files over fewer seeds).
# Then the exhaustive explorer: each bug of the election, commit and
# reconfiguration core within its bounds (it must be found), and the correct
# core within the same bounds and the reconfiguration bounds (no violation).
# commit-previous-term (Figure 8) is the longest pair: about 980,000 states
# to its violation and 1.2 million for the correct core, some six minutes of
# CPU and 380 MB at most.
MODELCHECK_BUGS ?= forget-vote-on-restart vote-without-log-check count-stale-votes ack-before-durable \
	match-index-from-next-index skip-log-consistency-check truncate-without-conflict learner-votes \
	commit-previous-term
explore: build
	@BIN=$(BIN) SEEDS=$(SEEDS) BUG_SEEDS=$(BUG_SEEDS) .ci/explore-scenarios scenarios/*.scn
	@for b in $(MODELCHECK_BUGS); do \
		echo "== modelcheck --bug $$b"; out=$$($(BIN)/smrlab modelcheck --bug $$b --quiet --out $(BIN)/modelcheck); \
		rc=$$?; echo "$$out" | head -5; [ $$rc -eq 1 ] || { echo "modelcheck did not find $$b"; exit 1; }; \
		echo "== modelcheck --bounds-of $$b (the correct core)"; $(BIN)/smrlab modelcheck --bounds-of $$b --quiet || exit 1; \
	done
	@echo "== modelcheck --reconfiguration --depth 12 (the correct core: a joint change, C_new committed, a crash)"; \
		$(BIN)/smrlab modelcheck --reconfiguration --depth 12 --quiet || exit 1
	@echo "== lesson check --seeds $(LESSON_SEEDS) lessons/ (every lesson on more students' seeds)"; \
		$(BIN)/smrlab lesson check --seeds $(LESSON_SEEDS) lessons/ || exit 1

# Every fuzz target for a minute; `make test` runs their corpora.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadMsgpack -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/tracefile
	$(GO) test -run '^$$' -fuzz FuzzReadJSONL -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/tracefile
	$(GO) test -run '^$$' -fuzz FuzzLiteMatchesCodec -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/tracefile
	$(GO) test -run '^$$' -fuzz 'FuzzString$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/minijson
	$(GO) test -run '^$$' -fuzz FuzzReadString -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/minijson
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/scenario
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/sharelink
	$(GO) test -run '^$$' -fuzz FuzzAct -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/lab
	$(GO) test -run '^$$' -fuzz FuzzManualSteps -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/lab
	$(GO) test -run '^$$' -fuzz FuzzStep -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/raft
	$(GO) test -run '^$$' -fuzz FuzzEDN -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/histfile
	$(GO) test -run '^$$' -fuzz FuzzJSONL -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/histfile
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/lesson
	$(GO) test -run '^$$' -fuzz FuzzRenderMarkdown -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/lesson
	$(GO) test -run '^$$' -fuzz 'FuzzFrame$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/room
	$(GO) test -run '^$$' -fuzz FuzzHello -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/room
	$(GO) test -run '^$$' -fuzz FuzzRoomFrame -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/room
	$(GO) test -run '^$$' -fuzz FuzzFrameMatchesJSON -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./core/room

clean:
	rm -rf $(BIN) site $(WASM) $(WASM_FILES) $(WASM_LESSONS) $(WASM_EXEC)
	find $(WEB_DIR) \( -name '*.gz' -o -name '*.br' \) -delete
