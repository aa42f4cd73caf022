# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make            build notifier and notifierd (dynamic) into build/
# make static     the same, statically linked, for the VM test bed
# make test       every test: host unit tests and the QEMU test bed
# make unit       host unit tests only
# make bench      benchmarks: host decode/aggregate, trace file; VM probe overhead
#                 against bpftrace and funclatency on the same functions
# make bench-top  notifier-top's own cost at 10,000 keys (SECONDS=600 for the daemon run)

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
OUT := build
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -std=gnu11
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf \
	-Wall -Wextra -Wno-unused-parameter -Wno-unused-function
# notifierd --metrics: libmicrohttpd serves, protobuf-c encodes the native histograms
METRICS_LIBS := -lmicrohttpd -lprotobuf-c
LIBS := -lbpf -lelf -lz -ljansson -lm -lzstd $(METRICS_LIBS)
# Static binaries (the test bed's) serve no --metrics: a static libmicrohttpd
# needs static TLS libraries Debian does not ship. metrics_http_none.c
# stands in for the server there.
STATIC_METRICS_LIBS := -lprotobuf-c
# Libraries a program does not call are not loaded: notifier and
# notifier-top serve no metrics, and libmicrohttpd with the TLS libraries
# behind it would cost each 2.4 MiB resident.
LDFLAGS += -Wl,--as-needed

# user/ is one pipeline in stages, lowest first (user/README.md). A folder
# is compiled with the include paths of its own stage and those below it
# only, so a header of a higher stage does not even resolve: the layering
# is checked by every build. The three programs see every stage.
LAYERS := core query stream record wire report probe policy cli
PROGRAMS := cmd daemon top
# The words of list $(2) up to and including $(1).
upto = $(if $(filter $(1),$(firstword $(2))),$(1),$(firstword $(2)) $(call upto,$(1),$(wordlist 2,$(words $(2)),$(2))))
# While files still stand flat in user/ (a move under way), everyone sees them.
FLAT_INC := $(if $(wildcard user/*.h),-Iuser)
INC_ALL := -Ibpf -I$(OUT) $(foreach d,$(LAYERS) $(PROGRAMS),-Iuser/$(d)) $(FLAT_INC)

SRCS := $(filter-out %/metrics_http_none.c,$(wildcard user/*.c user/*/*.c))
MAINS := $(filter %/notifier.c %/notifierd.c %/notifier-top.c,$(SRCS))
# The curses view goes into notifier-top only: the library stays free of ncurses.
TUI_SRCS := $(filter %/top_tui.c,$(SRCS))
LIB_SRCS := $(filter-out $(MAINS) $(TUI_SRCS),$(SRCS))
TUI_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
obj_of = $(patsubst user/%.c,$(OUT)/obj/%.o,$(1))
# Code protoc-c generates from a .proto of report/ (the metrics' protobuf
# exposition), compiled into the library beside report/'s own objects.
PROTOS := $(wildcard user/report/*.proto)
PB_HDRS := $(patsubst user/report/%.proto,$(OUT)/%.pb-c.h,$(PROTOS))
PB_OBJS := $(patsubst user/report/%.proto,$(OUT)/obj/gen/%.pb-c.o,$(PROTOS))
LIB_OBJS := $(call obj_of,$(LIB_SRCS)) $(PB_OBJS)
# The stages that never touch BPF: unit tests link them without libbpf.
LOW_LAYERS := core query stream record wire
LOW_OBJS := $(call obj_of,$(filter $(addprefix user/,$(addsuffix /%,$(LOW_LAYERS))),$(LIB_SRCS)))

main_obj = $(call obj_of,$(filter %/$(1).c,$(MAINS)))
BINS := $(OUT)/notifier $(OUT)/notifierd $(OUT)/notifier-top

# The example policies (examples/policies): built as a user builds one
POLICIES := $(patsubst examples/policies/%.bpf.c,$(OUT)/policies/%.bpf.o,$(wildcard examples/policies/*.bpf.c))

all: $(BINS) $(OUT)/liblow.a $(POLICIES)

$(OUT)/policies/%.bpf.o: examples/policies/%.bpf.c bpf/notifier_policy.h bpf/notifier.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT) $(OUT)/static:
	mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The same programs calling the companion module's kfunc: loaded where its
# struct_ops type is registered, so an attached policy judges in the kernel
$(OUT)/%_judge.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -DNTF_POLICY_KFUNC -c $< -o $@

# BPF objects of the tests (tests/bpf): the same flags, the project's headers
$(OUT)/%.bpf.o: tests/bpf/%.bpf.c $(wildcard bpf/*.h) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

SKELS := $(OUT)/notifier.skel.h $(OUT)/callback.skel.h $(OUT)/discover.skel.h \
	$(OUT)/notifier_judge.skel.h $(OUT)/callback_judge.skel.h
# Kept, not intermediate: otherwise make deletes the objects and every
# build regenerates the skeletons and recompiles what includes them.
.SECONDARY: $(SKELS:.skel.h=.bpf.o) $(OUT)/bucket_check.bpf.o $(OUT)/stack_check.bpf.o $(OUT)/slot_check.bpf.o \
	$(PB_HDRS) $(PB_HDRS:.h=.c)

# Per stage: its own include path and those below it (see LAYERS).
define stage_rule
$(OUT)/obj/$(1)/%.o: user/$(1)/%.c | $(SKELS) $(PB_HDRS)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -MMD -MP -Ibpf -I$(OUT) $$(foreach d,$(2),-Iuser/$$(d)) $(FLAT_INC) -c $$< -o $$@
endef
$(foreach l,$(LAYERS),$(eval $(call stage_rule,$(l),$(call upto,$(l),$(LAYERS)))))
$(foreach p,$(PROGRAMS),$(eval $(call stage_rule,$(p),$(LAYERS) $(p))))
$(OUT)/obj/%.o: user/%.c | $(SKELS) $(PB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP $(INC_ALL) -c $< -o $@
-include $(wildcard $(OUT)/obj/*.d $(OUT)/obj/*/*.d)

$(OUT)/%.pb-c.c $(OUT)/%.pb-c.h: user/report/%.proto | $(OUT)
	protoc-c --proto_path=user/report --c_out=$(OUT) $<

$(OUT)/obj/gen/%.pb-c.o: $(OUT)/%.pb-c.c $(OUT)/%.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(OUT) -c $< -o $@

$(OUT)/libnotifier.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(OUT)/liblow.a: $(LOW_OBJS)
	$(AR) rcs $@ $^

$(OUT)/notifier: $(call main_obj,notifier) $(OUT)/libnotifier.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUT)/notifierd: $(call main_obj,notifierd) $(OUT)/libnotifier.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# From the objects, not the archive: the daemon feed's top_feed_daemon_new
# must replace the weak stand-in, and ld never pulls an archive member in
# to override a weak symbol that is already defined.
TOP_OBJS := $(call main_obj,notifier-top) $(call obj_of,$(TUI_SRCS)) $(LIB_OBJS)

$(OUT)/notifier-top: $(TOP_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $(filter-out %/metrics_http.o,$^) $(LIBS) $(TUI_LIBS) -o $@

static: $(patsubst $(OUT)/%,$(OUT)/static/%,$(BINS)) $(OUT)/static/bucket-check

# The test bed's check that its kernels' BPF buckets as user space does.
$(OUT)/static/bucket-check: tests/bpf/bucket_check_main.c tests/bpf/bucket_agree.c \
		$(OUT)/bucket_check.skel.h $(OUT)/liblow.a | $(OUT)/static
	$(CC) $(CFLAGS) -static -Itests/bpf -Ibpf -I$(OUT) -Iuser/core $(filter %.c,$^) \
		$(OUT)/liblow.a -lbpf -lelf -lz -lm -o $@

$(OUT)/static/notifier-top: $(TOP_OBJS) | $(OUT)/static
	$(CC) $(CFLAGS) -static $(filter-out %/metrics_http.o,$^) -lbpf -lelf -lz -ljansson -lm -lzstd $(STATIC_METRICS_LIBS) -lncursesw -ltinfo -o $@

$(OUT)/static/notifier: $(call main_obj,notifier) $(OUT)/libnotifier.a | $(OUT)/static
	$(CC) $(CFLAGS) -static $^ -lbpf -lelf -lz -ljansson -lm -lzstd $(STATIC_METRICS_LIBS) -o $@

$(OUT)/static/notifierd: $(call main_obj,notifierd) $(OUT)/obj/daemon/metrics_http_none.o \
		$(OUT)/libnotifier.a | $(OUT)/static
	$(CC) $(CFLAGS) -static $^ -lbpf -lelf -lz -ljansson -lm -lzstd $(STATIC_METRICS_LIBS) -o $@

# libFuzzer harnesses (clang): tests/fuzz/fuzz_*.c against the library.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))

# The library is compiled once for all of them, instrumented; each harness links it.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS := $(patsubst user/%.c,$(OUT)/fuzz-obj/%.o,$(LIB_SRCS)) \
	$(patsubst user/report/%.proto,$(OUT)/fuzz-obj/gen/%.pb-c.o,$(PROTOS))

$(OUT)/fuzz-obj/%.o: user/%.c $(SKELS) $(PB_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(INC_ALL) -c $< -o $@

$(OUT)/fuzz-obj/gen/%.pb-c.o: $(OUT)/%.pb-c.c $(PB_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(INC_ALL) -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(OUT)/fuzz
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined $(INC_ALL) $< $(FUZZ_OBJS) \
		$(LIBS) -o $@

unit: all $(OUT)/liblow.a
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
	clang-format -i bpf/*.bpf.c bpf/*.h $(wildcard user/*.[ch] user/*/*.[ch]) tests/unit/*.c tests/workloads/*.[ch] \
		tests/bench/*.c tests/fuzz/*.c tests/bpf/*.c examples/policies/*.c $(filter-out %.mod.c,$(wildcard kmod/*/*.c))

clean:
	rm -rf $(OUT)

.PHONY: all static unit test bench bench-top fuzz format format-check clean
.DELETE_ON_ERROR:

# Fails when a C file differs from what .clang-format makes of it.
format-check:
	@bad=$$(for f in bpf/*.bpf.c bpf/*.h $(wildcard user/*.[ch] user/*/*.[ch]) tests/unit/*.c tests/workloads/*.[ch] \
		tests/bench/*.c tests/fuzz/*.c tests/bpf/*.c examples/policies/*.c $(filter-out %.mod.c,$(wildcard kmod/*/*.c)); do \
		clang-format "$$f" | cmp -s - "$$f" || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "not formatted: $$bad" >&2; exit 1; fi
