# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make            build notifier and notifierd (dynamic) into build/
# make static     the same, statically linked, for the VM test bed
# make test       every test: host unit tests and the QEMU test bed
# make unit       host unit tests only
# make bench      benchmarks (host decode/aggregate, VM probe overhead)

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


LIB_SRCS := $(filter-out user/notifier.c user/notifierd.c,$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))


all: $(OUT)/notifier $(OUT)/notifierd

$(OUT) $(OUT)/obj $(OUT)/sobj $(OUT)/static:
	mkdir -p $@

$(OUT)/notifier.bpf.o: bpf/notifier.bpf.c bpf/notifier.h bpf/core_fixes.bpf.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/notifier.skel.h: $(OUT)/notifier.bpf.o
	$(BPFTOOL) gen skeleton $< name notifier_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/obj/%.o: user/%.c $(OUT)/notifier.skel.h $(wildcard user/*.h) bpf/notifier.h | $(OUT)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/sobj/%.o: user/%.c $(OUT)/notifier.skel.h $(wildcard user/*.h) bpf/notifier.h | $(OUT)/sobj
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libnotifier.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(OUT)/notifier: $(OUT)/obj/notifier.o $(OUT)/libnotifier.a
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUT)/notifierd: $(OUT)/obj/notifierd.o $(OUT)/libnotifier.a
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

static: $(OUT)/static/notifier $(OUT)/static/notifierd

$(OUT)/static/%: $(OUT)/obj/%.o $(OUT)/libnotifier.a | $(OUT)/static
	$(CC) $(CFLAGS) -static $^ -lbpf -lelf -lz -ljansson -o $@

unit: all
	$(MAKE) -C tests/unit OUT=$(abspath $(OUT))/unit run

test:
	tests/run-all.sh

bench:
	tests/bench/run.sh

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h

clean:
	rm -rf $(OUT)

.PHONY: all static unit test bench format clean
.DELETE_ON_ERROR:
