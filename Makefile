# swisor: `make demo` builds and runs the examples; `make test` runs every test.
# Everything a fresh Debian machine lacks is installed here (never by hand), so CI's
# fresh clone and a newcomer's machine take the same path.

SWIFT        ?= swift
PREFIX       ?= /usr/local
# A static Swift runtime leaves ~38,000 relative relocations for the dynamic loader
# at every start (a sixth of `swisor list`); packed as DT_RELR (lld) they take 7 KiB.
# Running such a binary needs glibc 2.36 or newer: only used when this machine has it.
GLIBC_MINOR  := $(shell getconf GNU_LIBC_VERSION 2>/dev/null | sed -n 's/^glibc 2\.\([0-9]*\).*/\1/p')
RELR_FLAGS   := $(shell [ "$(GLIBC_MINOR)" -ge 36 ] 2>/dev/null && echo "-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs")
# What else a start costs the dynamic loader and the kernel, cut for both executables
# (docs/design.md, "CLI start-up"; each measured on `swisor --version`):
# - libstdc++ statically: the loader binds ~1,650 of its symbols at every start. The Swift
#   driver links -lstdc++; a folder searched first that holds only libstdc++.a (the
#   toolchain's clang says where it is) makes that the archive. Without one: the .so.
# - libgcc_eh instead of libgcc_s (the unwinder, for libstdc++.a): one library less.
# - --no-export-dynamic: the static runtime exports every public symbol of swisor's own
#   modules (~4,900) for dlsym, which nothing here calls; the runtime's dladdr at start
#   scans them. --disable-local-rpath: no $ORIGIN search for each library (17 failed opens).
STATIC_LIBS  := .build/static-libs
LIBSTDCXX_A  := $(shell "$(dir $(realpath $(shell command -v $(SWIFT))))clang" -print-file-name=libstdc++.a 2>/dev/null)
STATIC_CXX   := $(if $(filter /%,$(LIBSTDCXX_A)),$(if $(wildcard $(LIBSTDCXX_A)),-Xswiftc -L$(CURDIR)/$(STATIC_LIBS) -Xlinker -lgcc_eh))
START_FLAGS  := $(STATIC_CXX) -Xlinker --no-export-dynamic --disable-local-rpath
# Each function in a section of its own (the static runtime's already are), so that the
# daemon's link can lay out the code it runs together: tools/swisord.order, written by
# tools/order-file from a run of the daemon under callgrind. The kernel maps a binary's
# pages 64 KiB around each fault; the daemon's code spread over its 10 MiB text kept
# most of it resident (docs/design.md, "The daemon's memory").
ORDER_FILE   := tools/swisord.order
BUILD_FLAGS  ?= -c release --static-swift-stdlib $(RELR_FLAGS) $(START_FLAGS) -Xswiftc -Xfrontend -Xswiftc -function-sections
DAEMON_FLAGS ?= $(if $(wildcard $(ORDER_FILE)),-Xlinker --symbol-ordering-file=$(CURDIR)/$(ORDER_FILE) -Xlinker --no-warn-symbol-ordering)
# The CLI alone is linked position-dependent: a PIE's ~38,000 relocations (packed or
# not) write into 500 KiB of Swift metadata, and each of those ~130 pages is a
# copy-on-write fault at every start, a quarter of `swisor --version`. The cost is ASLR
# for the CLI's own code (not its libraries, heap or stack) in a process that runs for a
# few milliseconds with its user's rights; the daemon, long-running and often root,
# stays PIE.
CLI_FLAGS    ?= -Xlinker -no-pie
# Two executables, always side by side: swisor (the CLI) and swisord (the daemon it starts,
# and the unit runs). The daemon's path follows the CLI's, so RELEASE_BIN=... moves both.
RELEASE_BIN   = .build/release/swisor
RELEASE_DAEMON = $(dir $(RELEASE_BIN))swisord
DEBUG_BIN     = .build/debug/swisor
APT_PACKAGES  = libsystemd-dev zlib1g-dev pkg-config

.PHONY: all deps build debug test demo demo-stop bench fuzz test-asan test-tsan install uninstall clean test-vm vm-deps order-file

all: build

# Installs what is missing, only when it is missing (apt-get needs root).
deps:
	@missing=""; \
	pkg-config --exists libsystemd 2>/dev/null || missing="$$missing libsystemd-dev pkg-config"; \
	pkg-config --exists zlib 2>/dev/null || missing="$$missing zlib1g-dev pkg-config"; \
	pkg-config --exists yaml-0.1 2>/dev/null || missing="$$missing libyaml-dev pkg-config"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	command -v setpriv >/dev/null 2>&1 || missing="$$missing util-linux"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(if $(STATIC_CXX),mkdir -p $(STATIC_LIBS) && ln -sfn $(LIBSTDCXX_A) $(STATIC_LIBS)/libstdc++.a)
	$(SWIFT) build $(BUILD_FLAGS) $(CLI_FLAGS) --product swisor
	$(SWIFT) build $(BUILD_FLAGS) $(DAEMON_FLAGS) --product swisord

debug: deps
	$(SWIFT) build --product swisor
	$(SWIFT) build --product swisord

# Unit tests (pure core) and integration tests (a real daemon, the real CLI binary and
# real processes under a temporary SWISOR_HOME).
test: deps
	$(SWIFT) build --build-tests
	SWISOR_BIN=$(CURDIR)/$(DEBUG_BIN) $(SWIFT) test --skip-build

# The guest suite under a real systemd (PID 1) on a pure cgroup v2 kernel: builds (or reuses,
# .build/vm/image-<key>) a minimal Debian image, boots it under qemu with TCG, runs
# vm/guest/ inside against the release binary, across a real reboot, and prints PASS/FAIL
# (results, journal, console log: .build/vm/last/). See vm/run and docs/design.md.
test-vm: build vm-deps
	vm/run $(RELEASE_BIN)

# What vm/run needs that a fresh Debian lacks: qemu (qemu-system-x86), mmdebstrap (the
# image; the guest's kernel comes from the archive through it), e2fsprogs (mkfs.ext4 -d,
# debugfs). Installed only when missing; the apt lists are refreshed for the image's key.
vm-deps:
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$$missing qemu-system-x86"; \
	command -v mmdebstrap >/dev/null 2>&1 || missing="$$missing mmdebstrap"; \
	command -v debugfs >/dev/null 2>&1 && command -v mkfs.ext4 >/dev/null 2>&1 || missing="$$missing e2fsprogs"; \
	if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	if [ -n "$$missing" ] || ! apt-cache policy linux-image-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then \
		$$SUDO apt-get update -qq || exit 1; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Starts the examples under a throw-away home and shows them; `make demo-stop` ends it.
DEMO_HOME ?= /tmp/swisor-demo
demo: build
	@echo "== swisor demo: SWISOR_HOME=$(DEMO_HOME)"
	SWISOR_HOME=$(DEMO_HOME) $(RELEASE_BIN) start examples/ecosystem.json
	@sleep 2
	SWISOR_HOME=$(DEMO_HOME) $(RELEASE_BIN) list
	SWISOR_HOME=$(DEMO_HOME) $(RELEASE_BIN) logs web --lines 5 --nostream
	SWISOR_HOME=$(DEMO_HOME) $(RELEASE_BIN) ping
	@echo "== the apps keep running; stop them all with: make demo-stop"

demo-stop:
	SWISOR_HOME=$(DEMO_HOME) $(RELEASE_BIN) kill

bench: build
	bench/run

# Rewrites tools/swisord.order from the current daemon (a few minutes under callgrind),
# then links the daemon with it.
order-file: build
	tools/order-file $(dir $(RELEASE_BIN))
	$(SWIFT) build $(BUILD_FLAGS) $(DAEMON_FLAGS) --product swisord

# The whole suite against an AddressSanitizer build of swisor and the tests (in .build/asan).
# Every process writes its reports under ASAN_LOGS; any report fails the target.
# replace_intrin=0: swift-corelibs-foundation's Process.run (the test harness's launcher)
# reads past a dirent buffer in memcpy; leaks are not checked (the Swift runtime's caches).
ASAN_LOGS ?= /tmp/swisor-asan
test-asan: deps
	$(SWIFT) build --build-tests --sanitize=address --build-path .build/asan
	rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	SWISOR_SANITIZER=address SWISOR_BIN=$(CURDIR)/.build/asan/debug/swisor \
		ASAN_OPTIONS=detect_leaks=0:replace_intrin=0:log_path=$(ASAN_LOGS)/asan \
		$(SWIFT) test --skip-build --sanitize=address --build-path .build/asan; status=$$?; \
	if ls $(ASAN_LOGS)/asan.* >/dev/null 2>&1; then cat $(ASAN_LOGS)/asan.*; echo "AddressSanitizer reports above"; exit 1; fi; \
	exit $$status

# The same with ThreadSanitizer (the daemon's loop and its log writer and compressor
# threads; the CLI): reports go under TSAN_LOGS, and any report fails the target.
TSAN_LOGS ?= /tmp/swisor-tsan
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --build-path .build/tsan
	rm -rf $(TSAN_LOGS) && mkdir -p $(TSAN_LOGS)
	SWISOR_SANITIZER=thread SWISOR_BIN=$(CURDIR)/.build/tsan/debug/swisor \
		TSAN_OPTIONS=halt_on_error=0:log_path=$(TSAN_LOGS)/tsan \
		$(SWIFT) test --skip-build --sanitize=thread --build-path .build/tsan; status=$$?; \
	if ls $(TSAN_LOGS)/tsan.* >/dev/null 2>&1; then cat $(TSAN_LOGS)/tsan.*; echo "ThreadSanitizer reports above"; exit 1; fi; \
	exit $$status

# The seeded mutation fuzzers of the ecosystem loader and the request decoder, for longer
# than `make test` runs them (3000 rounds each there).
FUZZ_ITERATIONS ?= 300000
fuzz: deps
	$(SWIFT) build --build-tests
	SWISOR_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(SWIFT) test --skip-build --filter 'FuzzTests|RequestFuzzTests'

# The shipped units (dist/): root's daemon with the default home, ExecStart= naming the
# installed daemon (swisord), ExecReload= the installed CLI. systemd reads packaged system
# units from /usr/local/lib/systemd/system and /usr/lib/systemd/system (`make install
# PREFIX=/usr` puts them in the latter);
# `swisor startup` writes units for one installation to /etc/systemd/system, which
# takes precedence over both. Installed, not enabled: `systemctl enable swisor.service`.
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
UNITS         = swisor.service swisor.socket

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/swisor
	install -m 0755 $(RELEASE_DAEMON) $(DESTDIR)$(PREFIX)/bin/swisord
	install -m 0644 man/swisor.1 $(DESTDIR)$(PREFIX)/share/man/man1/swisor.1
	install -m 0644 man/swisor-ecosystem.5 $(DESTDIR)$(PREFIX)/share/man/man5/swisor-ecosystem.5
	for unit in $(UNITS); do \
		sed 's|/usr/local/bin/swisor|$(PREFIX)/bin/swisor|g' dist/$$unit > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit.tmp && \
		mv -f $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit.tmp $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/swisor $(DESTDIR)$(PREFIX)/bin/swisord $(DESTDIR)$(PREFIX)/share/man/man1/swisor.1 $(DESTDIR)$(PREFIX)/share/man/man5/swisor-ecosystem.5
	rm -f $(addprefix $(DESTDIR)$(SYSTEMD_UNIT_DIR)/,$(UNITS))

clean:
	rm -rf .build
