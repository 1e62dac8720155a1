# meltcon — operator console of a twin-chamber aluminium melting furnace.
#
#   make            build build/meltcon and build/meltsim
#   make demo       start the simulated furnace and the console against it
#   make test       build with -Werror, run check-layers, then every test
#   make SANITIZE=1 test    the same under ASan + UBSan (objects in build/san/)
#   make check-layers       the layering rules (tests/check_layers.sh): includes
#                   by folder, and `nm -u` purity of the control/core objects
#   make coverage   gcov build in build/cov/, every test, line coverage per
#                   folder and in total (gcovr: make deps DEPS_EXTRA=coverage)
#   make valgrind | cppcheck | fuzz | bench | install PREFIX=... DESTDIR=...
#   make deps       install the Debian packages the build needs (or print the
#                   command); DEPS_EXTRA="bench coverage" adds those targets' tools

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
WERROR  ?= 1

# COVERAGE=1 (what `make coverage` sets): gcov counts, objects in build/cov/.
# --coverage goes to the compiler *and* the link line: objects compiled with
# it call __gcov_* from libgcov, which only `cc --coverage` at link time pulls
# in (with the flag in CFLAGS alone, every program fails to link).
# MELTCON_COVERAGE makes config/cov.h's cov_flush() a __gcov_dump(), so the
# processes that leave by _exit() keep their counts.  -O1, not -O0: at -O0
# and -Og, gcc 12 raises -Wformat-truncation (an -Werror error) in
# control/server/server.c that the optimiser's range tracking rules out.
ifeq ($(COVERAGE),1)
ifeq ($(SANITIZE),1)
$(error COVERAGE=1 and SANITIZE=1 do not mix; run make coverage and make SANITIZE=1 test separately)
endif
BUILD   ?= build/cov
OPT     ?= -O1 -g
COVFLAGS = --coverage
CPPFLAGS += -DMELTCON_COVERAGE
SANFLAGS =
else ifeq ($(SANITIZE),1)
BUILD   ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD   ?= build
SANFLAGS =
endif

WARN = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wwrite-strings -Wpointer-arith -Wundef -Wcast-align -fno-common
ifeq ($(WERROR),1)
WARN += -Werror
endif

MODBUS_CFLAGS := $(shell pkg-config --cflags libmodbus 2>/dev/null || echo -I/usr/include/modbus)
MODBUS_LIBS   := $(shell pkg-config --libs libmodbus 2>/dev/null || echo -lmodbus)
NCURSES_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
NCURSES_LIBS  := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)

OPT      ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Iconfig -Icontrol/core -Icontrol/wire -Icontrol/server -Isimhw -Itui $(MODBUS_CFLAGS) $(NCURSES_CFLAGS)
CFLAGS   += $(OPT) $(WARN) $(SANFLAGS) $(COVFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS) $(COVFLAGS)
# -lsystemd: the system journal (sd_journal_send) and systemd's notify socket (sd_notify).
# -lnettle: SHA-256 of the config file's bytes (config/cfg.c), Debian's nettle-dev.
# -lsqlite3: the historian; -lmosquitto -lprotobuf-c: the Sparkplug B publisher.
LDLIBS   += -liniparser $(MODBUS_LIBS) -lm -lsystemd -lnettle -lsqlite3 -lmosquitto -lprotobuf-c

# Dependencies point one way: tui -> control -> config; simhw -> config and
# the shared tag codec and PLC contract (control/core/tag.h, plc_contract.h);
# tests -> anything.  Inside control/: server -> wire -> core.  make
# check-layers holds every file to this (tests/check_layers.sh has the rules).
CONFIG_SRC  := $(sort $(wildcard config/*.c))
CORE_SRC    := $(sort $(wildcard control/core/*.c))
CONTROL_SRC := $(sort $(wildcard control/core/*.c control/wire/*.c control/server/*.c))
SIM_SRC     := $(sort $(filter-out simhw/main.c,$(wildcard simhw/*.c)))
TUI_SRC     := $(sort $(filter-out tui/main.c,$(wildcard tui/*.c)))
TEST_SRC    := $(sort $(wildcard tests/test_*.c))
TOOL_SRC    := $(sort $(wildcard tests/tool_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBCONFIG  := $(BUILD)/lib/libmeltcfg.a
LIBCONTROL := $(BUILD)/lib/libmeltctl.a
LIBSIM     := $(BUILD)/lib/libmeltsim.a
LIBTUI     := $(BUILD)/lib/libmelttui.a

PROGRAMS := $(BUILD)/meltcon $(if $(wildcard simhw/main.c),$(BUILD)/meltsim) $(patsubst tests/tool_%.c,$(BUILD)/%,$(TOOL_SRC))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all deps demo test check check-layers coverage coverage-run valgrind cppcheck fuzz bench install uninstall clean format
.DEFAULT_GOAL := all
.SECONDARY:

all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBCONFIG):  $(call obj,$(CONFIG_SRC))
$(LIBCONTROL): $(call obj,$(CONTROL_SRC))
$(LIBSIM):     $(call obj,$(SIM_SRC))
$(LIBTUI):     $(call obj,$(TUI_SRC))
$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/meltcon: $(call obj,tui/main.c) $(LIBTUI) $(LIBCONTROL) $(LIBCONFIG)
	$(CC) $(LDFLAGS) $^ -o $@ $(NCURSES_LIBS) $(LDLIBS)

$(BUILD)/meltsim: $(call obj,simhw/main.c) $(LIBSIM) $(LIBCONTROL) $(LIBCONFIG)
	$(CC) $(LDFLAGS) $^ -o $@ $(NCURSES_LIBS) $(LDLIBS)

# The closed-loop harness is a family of files: tests/tool_closed-loop.c
# (main and the shift) and tests/closed_loop_*.c (its parts).
CLOSED_LOOP_SRC := $(sort $(wildcard tests/closed_loop_*.c))
$(BUILD)/closed-loop: $(call obj,tests/tool_closed-loop.c $(CLOSED_LOOP_SRC)) $(LIBTUI) $(LIBSIM) $(LIBCONTROL) $(LIBCONFIG)
	$(CC) $(LDFLAGS) $^ -o $@ $(NCURSES_LIBS) $(LDLIBS)

# Helper programs that live with the tests (the closed-loop harness, bench
# drivers): tests/tool_NAME.c -> build/NAME.
$(BUILD)/%: $(BUILD)/obj/tests/tool_%.o $(LIBTUI) $(LIBSIM) $(LIBCONTROL) $(LIBCONFIG)
	$(CC) $(LDFLAGS) $^ -o $@ $(NCURSES_LIBS) $(LDLIBS)

# The unit tests find the shipped files (config/meltcon.ini, simhw/scenarios/) under
# $$MELTCON_SRC, else in the source tree they were built from: they run from any folder.
$(BUILD)/obj/tests/%.o: CPPFLAGS += -DMELTCON_SRC_DIR='"$(CURDIR)"'

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIBTUI) $(LIBSIM) $(LIBCONTROL) $(LIBCONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(NCURSES_LIBS) $(LDLIBS)

deps:
	@sh tests/deps.sh $(DEPS_EXTRA)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)

# Every test binary and every test script; the runner prints one closing
# line "tests: N passed, N failed" and fails on any failure or missing test.
test: deps
	@$(MAKE) --no-print-directory all $(TESTS)
	@$(MAKE) --no-print-directory check-layers
	@sh tests/run.sh $(BUILD) $(TESTS)

check: test

# The layering, checked on the objects of this build: the includes of every
# file against its folder's rule, and `nm -u` of each control/core object
# against control/core, the config objects found pure, and an allow-list of
# pure libc.  One sentence per violation (file:line: what: why).
check-layers: $(call obj,$(CORE_SRC) $(CONFIG_SRC))
	@sh tests/check_layers.sh $(BUILD)

# Line coverage of the whole suite: a gcov build of its own (build/cov/;
# never build/ or build/san/), counts reset, every test run, then the figures
# per folder and in total (tests/coverage.sh; gcovr's per-file table and an
# HTML report land in build/cov/coverage/).  Fails if a test failed, after
# printing the figures all the same.
coverage: deps
	@DEPS_EXTRA=coverage sh tests/deps.sh
	@$(MAKE) --no-print-directory COVERAGE=1 coverage-run

coverage-run:
	@test "$(COVERAGE)" = 1 || { echo "coverage-run: use make coverage" >&2; exit 2; }
	@$(MAKE) --no-print-directory all $(TESTS)
	@find $(BUILD) -name '*.gcda' -delete
	@st=0; sh tests/run.sh $(BUILD) $(TESTS) || st=$$?; \
	  sh tests/coverage.sh $(BUILD) || st=$$?; exit $$st

valgrind: deps
	@$(MAKE) --no-print-directory SANITIZE=0 all $(TESTS)
	@VALGRIND=1 sh tests/run.sh $(BUILD) $(TESTS)

# invalidPointerCast: the schema tables reach struct fields by offsetof from a
# char pointer, which cppcheck cannot see is the field's own type.
cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --std=c11 --inline-suppr --suppress=missingIncludeSystem \
	  --suppress=invalidPointerCast \
	  -Iconfig -Icontrol/core -Icontrol/wire -Icontrol/server -Isimhw -Itui config control simhw tui

# libFuzzer targets: the config loader and the client protocol decoder
# (clang).  FUZZ_TIME seconds each.
FUZZ_TIME ?= 30
fuzz: deps
	@mkdir -p build/fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -Iconfig -Icontrol/core -Icontrol/wire \
	  tests/fuzz_config.c $(CONFIG_SRC) -o build/fuzz/fuzz_config -liniparser -lm -lnettle
	@mkdir -p build/fuzz/corpus && cp config/*.ini build/fuzz/corpus/
	build/fuzz/fuzz_config -max_total_time=$(FUZZ_TIME) -max_len=65536 -rss_limit_mb=1024 \
	  -dict=tests/fuzz_config.dict -artifact_prefix=build/fuzz/ build/fuzz/corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -Iconfig -Icontrol/core -Icontrol/wire \
	  tests/fuzz_proto.c control/wire/proto.c control/wire/snap.c config/util.c config/numtext.c -o build/fuzz/fuzz_proto -lm
	@mkdir -p build/fuzz/corpus_proto
	@printf 'snap 1 seq=1 t=2 link=1 ph=3\ntag x v=1 q=0\nloop b mode=1 pvq=2 fl=8 mi=4.5\nalarm a st=1 pr=2\nperm c ok=0 why=a%%20b' \
	  >build/fuzz/corpus_proto/snap
	@printf 'req 1 id=7 verb=set target=bath.sp value=745 reason=x' >build/fuzz/corpus_proto/req
	build/fuzz/fuzz_proto -max_total_time=$(FUZZ_TIME) -max_len=65536 \
	  -artifact_prefix=build/fuzz/ build/fuzz/corpus_proto

bench: deps
	@DEPS_EXTRA=bench sh tests/deps.sh
	@$(MAKE) --no-print-directory OPT="-O2 -g" all
	@sh tests/bench.sh $(BUILD)

# make install: the programs, the templated unit meltcon@.service (the real
# paths substituted), sysusers.d and tmpfiles.d entries, the man pages
# (meltcon.ini(5) generated from the schema by the program itself), the
# example config as $(sysconfdir)/meltcon/tcf1.ini (named for its furnace) only if there is none,
# the scenarios, the real-time drop-in example and LICENSE.  Debian 12 keeps
# units in /lib/systemd/system, hence unitdir for PREFIX=/usr.  The schema's
# page is made last: everything else is in place if that step fails.
BINDIR      ?= $(PREFIX)/bin
datadir     ?= $(PREFIX)/share
mandir      ?= $(datadir)/man
docdir      ?= $(datadir)/doc/meltcon
sysconfdir  ?= /etc
unitdir     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
sysusersdir ?= $(PREFIX)/lib/sysusers.d
tmpfilesdir ?= $(PREFIX)/lib/tmpfiles.d
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' -e 's|@DOCDIR@|$(docdir)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(unitdir) $(DESTDIR)$(sysusersdir) \
	  $(DESTDIR)$(tmpfilesdir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 \
	  $(DESTDIR)$(datadir)/meltcon/scenarios $(DESTDIR)$(docdir)/examples \
	  $(DESTDIR)$(sysconfdir)/meltcon $(BUILD)/man
	install -m 0755 $(BUILD)/meltcon $(BUILD)/meltsim $(DESTDIR)$(BINDIR)/
	$(SUBST) config/meltcon@.service.in >$(BUILD)/meltcon@.service
	install -m 0644 $(BUILD)/meltcon@.service $(DESTDIR)$(unitdir)/meltcon@.service
	$(SUBST) config/realtime.conf >$(BUILD)/realtime.conf
	install -m 0644 $(BUILD)/realtime.conf $(DESTDIR)$(docdir)/examples/realtime.conf
	install -m 0644 config/meltcon.sysusers $(DESTDIR)$(sysusersdir)/meltcon.conf
	install -m 0644 config/meltcon.tmpfiles $(DESTDIR)$(tmpfilesdir)/meltcon.conf
	install -m 0644 tui/meltcon.1 simhw/meltsim.1 $(DESTDIR)$(mandir)/man1/
	install -m 0644 config/meltcon.ini $(DESTDIR)$(datadir)/meltcon/meltcon.ini
	install -m 0644 simhw/scenarios/*.ini $(DESTDIR)$(datadir)/meltcon/scenarios/
	install -m 0644 LICENSE $(DESTDIR)$(docdir)/LICENSE
	test -e $(DESTDIR)$(sysconfdir)/meltcon/tcf1.ini || \
	  install -m 0644 config/meltcon.ini $(DESTDIR)$(sysconfdir)/meltcon/tcf1.ini
	$(BUILD)/meltcon check-config --man >$(BUILD)/man/meltcon.ini.5.tmp
	mv $(BUILD)/man/meltcon.ini.5.tmp $(BUILD)/man/meltcon.ini.5
	install -m 0644 $(BUILD)/man/meltcon.ini.5 $(DESTDIR)$(mandir)/man5/meltcon.ini.5
	@test -n "$(DESTDIR)" || echo "installed; as root: systemd-sysusers meltcon.conf;" \
	  "systemd-tmpfiles --create meltcon.conf; systemctl daemon-reload;" \
	  "then one furnace: $(sysconfdir)/meltcon/NAME.ini and systemctl enable --now meltcon@NAME"

# Everything install put, except the configuration in $(sysconfdir)/meltcon.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/meltcon $(DESTDIR)$(BINDIR)/meltsim \
	  $(DESTDIR)$(unitdir)/meltcon@.service $(DESTDIR)$(sysusersdir)/meltcon.conf \
	  $(DESTDIR)$(tmpfilesdir)/meltcon.conf $(DESTDIR)$(mandir)/man1/meltcon.1 \
	  $(DESTDIR)$(mandir)/man1/meltsim.1 $(DESTDIR)$(mandir)/man5/meltcon.ini.5
	rm -rf $(DESTDIR)$(datadir)/meltcon $(DESTDIR)$(docdir)

format:
	clang-format -i config/*.[ch] control/*/*.[ch] simhw/*.[ch] tui/*.[ch] tests/*.c

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Sparkplug B (control/wire/sparkplug_b.proto, the Eclipse Tahu schema): C
# generated by protoc-c into $(BUILD)/gen, never committed; its object joins
# libmeltctl.  The MQTT publisher (control/server/mqtt*.c), `meltcon plant`
# (tui/plant*.c) and their tests include it as <sparkplug_b.pb-c.h>, like a
# library's header (check-layers resolves only the repository's own).  The
# generated file is compiled without $(WARN): it is protoc-c's code, not ours.
SPB_GEN := $(BUILD)/gen/sparkplug_b.pb-c.c
$(SPB_GEN): control/wire/sparkplug_b.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=control/wire --c_out=$(dir $@) $<
$(BUILD)/gen/sparkplug_b.pb-c.h: $(SPB_GEN)
$(BUILD)/obj/gen/sparkplug_b.pb-c.o: $(SPB_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(OPT) $(SANFLAGS) $(COVFLAGS) -I$(BUILD)/gen -c $< -o $@
$(LIBCONTROL): $(BUILD)/obj/gen/sparkplug_b.pb-c.o
SPB_USERS := $(call obj,$(wildcard control/server/mqtt*.c tui/plant*.c tests/test_mqtt*.c tests/tool_spb*.c))
$(SPB_USERS): $(BUILD)/gen/sparkplug_b.pb-c.h
$(SPB_USERS): CPPFLAGS += -I$(BUILD)/gen
