# lumicert — plain GNU Makefile: library (static + shared), command-line tool, tests, sanitizer build, fuzzers.
# Targets: all check asan fuzz demo bench install clean deps.

PREFIX    ?= /usr/local
CC        ?= cc
BUILD     ?= build
PKGS      := sqlite3 jansson xgboost zlib liblzma liblz4 libzstd libxxhash libcurl
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT       ?= -O2 -g
CFLAGS    ?=
override CFLAGS += $(WARN) $(OPT) -D_POSIX_C_SOURCE=200809L -fPIC -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS))
override LDLIBS += $(shell pkg-config --libs $(PKGS)) -lpthread -lm
# root:// inputs: the XRootD client (libxrootd-client-dev) has a C++ API and no pkg-config file; its one user is the
# C++ unit src/root/io_xrootd.cc, built as the module lumicert-xrootd.so that io_url.c loads on first use (loading
# XrdCl costs a DNS lookup: no other command pays for it), compiled with the same optimisation/sanitizer flags
LC_CXXFLAGS = -std=c++17 -Wall -Wextra $(filter -Werror,$(CFLAGS)) $(OPT) -fPIC -Iinclude -Isrc -isystem /usr/include/xrootd
VERSION   := $(shell sed -n 's/^\#define LC_VERSION "\(.*\)"/\1/p' include/lumicert.h)

LIB_SRC   := $(sort $(wildcard src/*.c src/*/*.c))
CLI_SRC   := $(sort $(wildcard cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
LIB_CXX   := $(sort $(wildcard src/*/*.cc))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
XRD_MOD   := $(BUILD)/lumicert-xrootd.so
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
STATIC    := $(BUILD)/liblumicert.a
SHARED    := $(BUILD)/liblumicert.so

all: bin/lumicert $(STATIC) $(SHARED) $(XRD_MOD) $(BUILD)/lumicert.pc

$(XRD_MOD): $(LIB_CXX:%.cc=$(BUILD)/%.o)
	$(CXX) -shared -o $@ $^ $(LDFLAGS) -lXrdCl

# the build directory is the module's last place to be looked for (after the installed layouts)
$(BUILD)/src/root/io_url.o: override CFLAGS += -DLC_BUILD_DIR='"$(abspath $(BUILD))"'

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(LC_CXXFLAGS) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

bin/lumicert: $(CLI_OBJ) $(STATIC)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(STATIC) tests/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(STATIC) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(STATIC) $(LDFLAGS) $(LDLIBS)

$(BUILD)/lumicert.pc: Makefile
	@mkdir -p $(dir $@)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: lumicert\nDescription: ML certification of per-lumisection detector data\nVersion: %s\nRequires.private: %s\nLibs: -L$${libdir} -llumicert\nLibs.private: -lpthread -lm\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(VERSION)' '$(PKGS)' > $@

# Unit tests, then command-line tests; tests/run.sh prints the total line "N passed, M failed".
check: all $(TEST_BIN)
	@BUILD=$(BUILD) ./tests/run.sh $(TEST_BIN)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer).
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" check
	rm -f bin/lumicert # that build wrote the sanitized tool to bin/: the next plain make rebuilds the normal one

# libFuzzer targets (clang), each run for FUZZ_SECONDS on its seed corpus.
FUZZ_SECONDS ?= 20
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	$(MAKE) CC=clang CXX=clang++ BUILD=build-fuzz OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/liblumicert.a
	@set -e; for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); c=$${n#fuzz_}; \
		clang $(CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build-fuzz/$$n $$f build-fuzz/liblumicert.a $(LDLIBS); \
		mkdir -p build-fuzz/corpus-$$c; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		./build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=0 build-fuzz/corpus-$$c tests/fuzz/corpus/$$c > build-fuzz/$$n.log 2>&1 \
			|| { tail -n 40 build-fuzz/$$n.log; exit 1; }; \
		tail -n 1 build-fuzz/$$n.log; \
	done

demo: all
	./scripts/demo.sh

bench: all
	./bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 bin/lumicert $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(STATIC) $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	install -d $(DESTDIR)$(PREFIX)/lib/lumicert
	install -m 644 $(XRD_MOD) $(DESTDIR)$(PREFIX)/lib/lumicert/
	install -m 644 include/lumicert.h include/lumicert_report.h include/lumicert_root.h include/lumicert_extract.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/lumicert.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

# Debian packages the build, tests, demo and benchmarks need (run as root or through sudo).
deps:
	./scripts/deps.sh

clean:
	rm -rf build build-asan build-fuzz bin

.PHONY: all check asan fuzz demo bench install deps clean
-include $(LIB_OBJ:.o=.d) $(LIB_CXX:%.cc=$(BUILD)/%.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
