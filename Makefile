# attache: build, run and test.  `make`, `make run`, `make test`, `make bench`,
# `make install`, `make deb`.

CC      ?= cc
PKGS    := libevent libevent_openssl libevent_pthreads openssl
VERSION := 0.1.0

# Debian packages each target needs; scripts/need-packages installs the missing
# ones when run as root and otherwise prints the apt-get line to run.
BUILD_DEBS := gcc make pkg-config libevent-dev libssl-dev
# `make deb` builds the Debian package (debian/) and checks it with lintian;
# dpkg-buildpackage wants build-essential besides its Build-Depends.
DEB_DEBS   := $(BUILD_DEBS) build-essential dpkg-dev debhelper lintian
TEST_DEBS  := $(DEB_DEBS) clang python3 python3-pytest curl lynx openssl \
              mandoc man-db systemd logrotate haproxy gnutls-bin \
              php8.2-fpm fcgiwrap
# The peers `make bench` measures attache against, and what starts them.
BENCH_DEBS := $(TEST_DEBS) molly-brown gophernicus iproute2 util-linux \
              systemd gnutls-bin golang-go strace

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD   := build-san
BIN     := $(BUILD)/attache
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     := -O1
else
BUILD   := build
BIN     := attache
SANFLAGS :=
OPT     := -O2
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla
# src/ is cut by layer (src/README.md); a file includes another by its
# name alone, as every folder is on the include path.
SRC_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard src/*/*.[ch]))))
# CPPFLAGS, CFLAGS, LDFLAGS and LDLIBS, from the command line or the
# environment (as dpkg-buildflags sets them), come after the build's own:
# added to them, and last, so that they win (CFLAGS=-O0 builds with -O0).
# None replaces the options the build needs.
ALL_CPPFLAGS = -D_GNU_SOURCE -DATTACHE_VERSION='"$(VERSION)"' -Isrc \
            $(addprefix -I,$(SRC_DIRS)) $(CPPFLAGS)
ALL_CFLAGS = -std=c17 -g $(OPT) $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) \
             -MMD -MP
ALL_LDLIBS = $(LDLIBS) $(PKG_LIBS) -lpthread -lm

SRCS     := $(sort $(wildcard src/*.c src/*/*.c))
OBJS     := $(SRCS:src/%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/main.o,$(OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
LOADGEN_SRCS := tests/bench/loadgen.c tests/bench/loadgen_idle.c
FLOOR_SRCS   := tests/bench/floor.c tests/bench/tls_floor.c \
                tests/bench/tls_floor_ev.c
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/%)

PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all run test test-one unit content integration bench torture deps deps-test \
        deps-bench clean clang-check fuzz install uninstall deb
# The packages first: on a fresh machine a missing header would otherwise be
# the first thing said, instead of the apt-get line.
all: deps
	@$(MAKE) --no-print-directory $(BIN)

$(BIN): $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(ALL_LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_OBJS) | $(BUILD)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(ALL_LDLIBS)

$(BUILD):
	mkdir -p $@

deps:
	@scripts/need-packages $(BUILD_DEBS)

deps-test:
	@scripts/need-packages $(TEST_DEBS)

deps-bench:
	@scripts/need-packages $(BENCH_DEBS)

# Serves ./capsule on gemini://localhost:1965/ and gopher://localhost:7070/.
run: all
	./attache -f attache.conf.example

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do ./$$t; done

# The capsule's content as files (tests/content): no server, no build.
content:
	$(PYTEST) -q -p no:cacheprovider tests/content

integration: $(BIN)
	ATTACHE_BIN=$(abspath $(BIN)) ATTACHE_SANITIZE=$(SANITIZE) \
	    $(PYTEST) -q -p no:cacheprovider tests/integration

# One pass of the whole suite on this build (plain or SANITIZE=1).
test-one: $(BIN) $(UNIT_BINS)
	@echo "== unit tests ($(BUILD)) =="
	@set -e; for t in $(UNIT_BINS); do ./$$t; done
	@echo "== integration tests ($(BUILD)) =="
	ATTACHE_BIN=$(abspath $(BIN)) ATTACHE_SANITIZE=$(SANITIZE) \
	    $(PYTEST) -q -p no:cacheprovider tests/integration

# libFuzzer targets over the pure parsers (clang), each run FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
FUZZ_SRCS := $(filter-out src/main.c,$(SRCS))
build/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) | build
	clang $(ALL_CPPFLAGS) -std=c17 $(WARN) -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

fuzz: build/fuzz_gemini build/fuzz_gopher build/fuzz_conf build/fuzz_titan \
    build/fuzz_search_query build/fuzz_gophermap_file build/fuzz_proxy \
    build/fuzz_cgi_header build/fuzz_fcgi_record
	@set -e; for f in $^; do mkdir -p build/corpus-$${f##*/}; \
	    ./$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	    build/corpus-$${f##*/} 2>&1 | tail -1; done

# Every C file must also compile clean under clang.
clang-check:
	@echo "== clang -Werror =="
	@set -e; for f in $(SRCS) $(UNIT_SRCS) $(LOADGEN_SRCS) $(FLOOR_SRCS); do \
	    clang $(ALL_CPPFLAGS) -Itests/unit -std=c17 $(WARN) $(PKG_CFLAGS) \
	    -fsyntax-only $$f; done

# The content once, then the whole suite twice: plain, then under
# AddressSanitizer and UBSan.
test: deps-test
	@$(MAKE) --no-print-directory clang-check
	@echo "== content tests =="
	@$(MAKE) --no-print-directory content
	@$(MAKE) --no-print-directory test-one SANITIZE=1
	@$(MAKE) --no-print-directory test-one

# Speed and memory against molly-brown and Gophernicus (tests/bench/README),
# then the FastCGI hello (not with an --*-only of bench.py's);
# `make bench BENCH_ARGS=--quick` takes about two and a half minutes.
bench: deps-bench $(BIN) build/loadgen build/tls_floor build/tls_floor_ev build/goclient
	/usr/bin/python3 tests/bench/bench.py --bin $(abspath $(BIN)) --loadgen $(abspath build/loadgen) --floor $(abspath build/tls_floor) --floor-ev $(abspath build/tls_floor_ev) --goclient $(abspath build/goclient) $(BENCH_ARGS)
	$(if $(filter %-only,$(BENCH_ARGS)),@true,/usr/bin/python3 tests/bench/bench_fastcgi.py --bin $(abspath $(BIN)) --loadgen $(abspath build/loadgen) $(filter --quick,$(BENCH_ARGS)))

# Readers against operators' writers (in place, rename, removed and
# created, git checkout), every answer counted: whole or torn
# (tests/torture/torture.py).  Counted, not timed: not part of `make test`.
TORTURE_SECONDS ?= 10
torture: deps-test $(BIN)
	/usr/bin/python3 tests/torture/torture.py --bin $(abspath $(BIN)) --seconds $(TORTURE_SECONDS)

build/loadgen: $(LOADGEN_SRCS) tests/bench/loadgen.h
	@mkdir -p build
	$(CC) -std=c17 $(WARN) -g -O2 $(shell pkg-config --cflags openssl) -o $@ $(LOADGEN_SRCS) $(shell pkg-config --libs openssl) -lpthread

# The OpenSSL floors of the bench's reference rows: threads blocking
# (tests/bench/tls_floor.c), one thread on epoll (tests/bench/tls_floor_ev.c).
FLOOR_DEPS := tests/bench/floor.c tests/bench/floor.h
build/tls_floor: tests/bench/tls_floor.c $(FLOOR_DEPS)
	@mkdir -p build
	$(CC) -std=c17 $(WARN) -g -O2 $(shell pkg-config --cflags openssl) -o $@ $< tests/bench/floor.c $(shell pkg-config --libs openssl) -lpthread

build/tls_floor_ev: tests/bench/tls_floor_ev.c $(FLOOR_DEPS)
	@mkdir -p build
	$(CC) -std=c17 $(WARN) -g -O2 $(shell pkg-config --cflags openssl) -o $@ $< tests/bench/floor.c $(shell pkg-config --libs openssl)

# The Go client of the bench's latency table (tests/bench/goclient), standard
# library only: built offline, its caches under build/.
build/goclient: tests/bench/goclient/main.go tests/bench/goclient/go.mod
	@mkdir -p build
	cd tests/bench/goclient && GOCACHE=$(abspath build/gocache) GOPATH=$(abspath build/gopath) GOENV=off GOPROXY=off GOFLAGS= go build -o $(abspath $@) .

clean:
	rm -rf build build-san attache

# make install [PREFIX=/usr/local] [DESTDIR=]: what README's "Installing as a
# service" starts from.  Needs no root with DESTDIR.  The unit goes where
# systemd looks: $(PREFIX)/lib/systemd/system, or /lib/systemd/system (where
# Debian's packages put theirs) when PREFIX is /usr; UNITDIR=... puts it
# elsewhere.  The logrotate snippet goes in /etc whatever PREFIX is.
# `make uninstall` with the same PREFIX and DESTDIR removes exactly these
# files (and examples/attache once empty); /etc/attache, the certificates
# and the logs are the administrator's.
PREFIX       ?= /usr/local
SBINDIR      ?= $(PREFIX)/sbin
MANDIR       ?= $(PREFIX)/share/man
EXAMPLESDIR  ?= $(PREFIX)/share/examples/attache
ifeq ($(PREFIX),/usr)
UNITDIR      ?= /lib/systemd/system
else
UNITDIR      ?= $(PREFIX)/lib/systemd/system
endif
LOGROTATEDIR ?= /etc/logrotate.d
INSTALL      ?= install

INSTALLED := $(SBINDIR)/attache $(MANDIR)/man8/attache.8 \
             $(MANDIR)/man5/attache.conf.5 $(EXAMPLESDIR)/attache.conf.example \
             $(UNITDIR)/attache.service $(LOGROTATEDIR)/attache

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(EXAMPLESDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(LOGROTATEDIR)
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/attache
	$(INSTALL) -m 0644 man/attache.8 $(DESTDIR)$(MANDIR)/man8/attache.8
	$(INSTALL) -m 0644 man/attache.conf.5 $(DESTDIR)$(MANDIR)/man5/attache.conf.5
	$(INSTALL) -m 0644 attache.conf.example $(DESTDIR)$(EXAMPLESDIR)/attache.conf.example
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/attache.service.in \
	    > $(DESTDIR)$(UNITDIR)/attache.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/attache.service
	$(INSTALL) -m 0644 contrib/attache.logrotate $(DESTDIR)$(LOGROTATEDIR)/attache

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(EXAMPLESDIR) 2>/dev/null || true

# make deb [DEB_DIR=build/deb] [DEB_REBUILD=N]: the Debian package, built by
# dpkg-buildpackage in a copy of what it reads, $(DEB_DIR)/attache-$(VERSION),
# removed after (kept when the build fails, to look into): the .deb, .changes
# and .buildinfo land in $(DEB_DIR), and nothing of the build in this tree.  Then lintian, which must find no error
# and no warning.  DEB_REBUILD=N makes the same source version
# $(VERSION)+bN, a rebuild as a binNMU is, to test an upgrade.
DEB_DIR  ?= build/deb
DEB_TREE := Makefile README attache.conf.example capsule contrib debian docs \
            man scripts src tests/unit
DEB_WORK  = $(DEB_DIR)/attache-$(VERSION)

deb:
	@scripts/need-packages $(DEB_DEBS)
	rm -rf $(DEB_WORK) $(DEB_DIR)/attache_$(VERSION)* \
	    $(DEB_DIR)/attache-dbgsym_$(VERSION)*
	mkdir -p $(DEB_WORK)
	tar -cf - $(DEB_TREE) | tar -xf - --no-same-owner -C $(DEB_WORK)
ifneq ($(DEB_REBUILD),)
	{ printf 'attache ($(VERSION)+b%s) unstable; urgency=low, binary-only=yes\n\n  * Rebuild with no change of source.\n\n -- %s  %s\n\n' \
	    '$(DEB_REBUILD)' "$$(sed -n 's/^Maintainer: //p' debian/control)" \
	    "$$(date -R)"; cat debian/changelog; } > $(DEB_WORK)/debian/changelog
endif
	cd $(DEB_WORK) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    -u MAKEOVERRIDES dpkg-buildpackage -us -uc -b -Jauto
	rm -rf $(DEB_WORK)
	lintian --fail-on error,warning \
	    $(DEB_DIR)/attache_$(VERSION)*.changes

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)
