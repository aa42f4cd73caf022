# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make            build notifier and notifierd (dynamic) into build/
# make static     the same, statically linked, for the VM test bed
# make test       every test: host unit tests and the QEMU test bed
# make unit       host unit tests only
# make bench      benchmarks (host decode/aggregate, VM probe overhead)
# make bench-top  notifier-top's own cost at 10,000 keys (SECONDS=600 for the daemon run)

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
OUT := build
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -std=gnu11 -Ibpf -I$(OUT) -Iuser
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf \
	-Wall -Wextra -Wno-unused-parameter -Wno-unused-function
LIBS := -lbpf -lelf -lz -ljansson


MAINS := user/notifier.c user/notifierd.c user/notifier-top.c
# The curses view goes into notifier-top only: the library stays free of ncurses.
TUI_SRCS := user/top_tui.c
LIB_SRCS := $(filter-out $(MAINS) $(TUI_SRCS),$(wildcard user/*.c))
TUI_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
LIB_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))


BINS := $(OUT)/notifier $(OUT)/notifierd $(if $(wildcard user/notifier-top.c),$(OUT)/notifier-top)

all: $(BINS)

$(OUT) $(OUT)/obj $(OUT)/static:
	mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

SKELS := $(OUT)/notifier.skel.h $(OUT)/subscriber.skel.h $(OUT)/discover.skel.h

$(OUT)/obj/%.o: user/%.c $(SKELS) $(wildcard user/*.h) bpf/notifier.h | $(OUT)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libnotifier.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(OUT)/notifier: $(OUT)/obj/notifier.o $(OUT)/libnotifier.a
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUT)/notifierd: $(OUT)/obj/notifierd.o $(OUT)/libnotifier.a
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# From the objects, not the archive: the daemon feed's top_feed_daemon_new
# must replace the weak stand-in, and ld never pulls an archive member in
# to override a weak symbol that is already defined.
TOP_OBJS := $(OUT)/obj/notifier-top.o $(patsubst user/%.c,$(OUT)/obj/%.o,$(TUI_SRCS)) $(LIB_OBJS)

$(OUT)/notifier-top: $(TOP_OBJS)
	$(CC) $(CFLAGS) $^ $(LIBS) $(TUI_LIBS) -o $@

static: $(patsubst $(OUT)/%,$(OUT)/static/%,$(BINS))

$(OUT)/static/notifier-top: $(TOP_OBJS) | $(OUT)/static
	$(CC) $(CFLAGS) -static $^ -lbpf -lelf -lz -ljansson -lncursesw -ltinfo -o $@

$(OUT)/static/%: $(OUT)/obj/%.o $(OUT)/libnotifier.a | $(OUT)/static
	$(CC) $(CFLAGS) -static $^ -lbpf -lelf -lz -ljansson $(if $(findstring top,$*),-lncursesw -ltinfo) -o $@

# libFuzzer harnesses (clang): tests/fuzz/fuzz_*.c against the library.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))

$(OUT)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(SKELS)
	mkdir -p $(OUT)/fuzz
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -Ibpf -I$(OUT) -Iuser $< \
		$(LIB_SRCS) $(LIBS) -o $@

unit: all
	$(MAKE) -C tests/unit OUT=$(abspath $(OUT))/unit run

test:
	tests/run-all.sh

bench:
	tests/bench/run.sh

# notifier-top on its own synthetic feed for a minute, then reading a
# synthetic notifierd over the socket for SECONDS.
SECONDS ?= 600
bench-top: all
	tests/bench/top_bench.sh 60
	tests/bench/daemon_bench.sh $(SECONDS)

format:
	clang-format -i bpf/*.bpf.c bpf/*.h user/*.c user/*.h tests/unit/*.c tests/workloads/*.[ch] \
		tests/bench/*.c tests/fuzz/*.c

clean:
	rm -rf $(OUT)

.PHONY: all static unit test bench bench-top fuzz format format-check clean
.DELETE_ON_ERROR:

# Fails when a C file differs from what .clang-format makes of it.
format-check:
	@bad=$$(for f in bpf/*.bpf.c bpf/*.h user/*.c user/*.h tests/unit/*.c tests/workloads/*.[ch] \
		tests/bench/*.c tests/fuzz/*.c; do \
		clang-format "$$f" | cmp -s - "$$f" || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "not formatted: $$bad" >&2; exit 1; fi
