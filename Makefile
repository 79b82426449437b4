# The two commands a newcomer types: `make run` and `make test`. Both install what the
# project needs first (libpcap's headers; for the tests also Chromium, for the browser test of
# the HTML transcripts; Rust must already be there).

CAPTURE ?= captures/etherdump_msn.pcap
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps test-deps build pgo lint fmt golden samples install install-files bench

deps:
	@if ! pkg-config --exists libpcap 2>/dev/null && [ ! -e /usr/include/pcap/pcap.h ]; then \
		echo "installing libpcap-dev"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev; \
	fi
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }

# What the tests need beyond building: Chromium, for the browser test of the HTML transcripts,
# and GNU time, which measures the peak memory of the resource-attack tests.
test-deps:
	@if [ ! -x /usr/bin/time ]; then \
		echo "installing time (peak memory of the resource-attack tests)"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium (the browser test of the HTML transcripts)"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

build: deps
	cargo build --release

# The same program built with profile-guided optimisation, trained on the bundled captures
# and checked against the plain build's output: target/pgo/release/msnsniff (7 to 14 %
# less time on the benchmark; needs the rustup component llvm-tools, which it installs when it can). To install
# it: `make pgo install-files BIN=target/pgo/release/msnsniff`.
pgo: deps
	scripts/pgo-build.sh

run: build
	./target/release/msnsniff read $(CAPTURE)

test: deps test-deps
	cargo test

lint: deps
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

fmt:
	cargo fmt --all

# Rewrite the golden files under tests/golden/ from the current output.
golden: deps
	UPDATE_GOLDEN=1 cargo test --test golden

# Rewrite the output samples in README.md and docs/*.md from the current output.
samples: deps
	UPDATE_DOCS=1 cargo test --test doc_samples

# `make install [PREFIX=/usr/local] [DESTDIR=]`: the binary, a man page per subcommand, and the
# bash, zsh and fish completions. `install-files` does the copying for an existing binary
# (BIN), without building.
PREFIX ?= /usr/local
BIN ?= target/release/msnsniff

install: build install-files

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/msnsniff
	$(BIN) man --dir $(DESTDIR)$(PREFIX)/share/man/man1 >/dev/null
	$(BIN) completions bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/msnsniff
	$(BIN) completions zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_msnsniff
	$(BIN) completions fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/msnsniff.fish
	@echo "installed msnsniff under $(DESTDIR)$(PREFIX)"

# Throughput next to tcpdump and tshark (when installed) on a generated capture:
# `make bench [BENCH_MB=100] [BENCH_RUNS=3]`, the plain release build and, in the same run,
# the profile-guided one (`make pgo`; left out with a note when it cannot be built). See
# docs/performance.md.
BENCH_MB ?= 100
BENCH_RUNS ?= 3
bench: deps
	@if scripts/pgo-build.sh >/dev/null; then pgo=target/pgo/release/msnsniff; \
	else echo "note: no profile-guided build to measure"; pgo=; fi; \
	BENCH_MB=$(BENCH_MB) BENCH_RUNS=$(BENCH_RUNS) BENCH_PGO_BIN=$$pgo cargo bench --bench throughput
