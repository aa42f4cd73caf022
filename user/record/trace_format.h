/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The trace file (.ntr) on disk: the numbers docs/trace-format.md
 * describes, shared by the writer and the reader. Little endian, no
 * struct written as is.
 *
 *   preamble (16 bytes): magic, major, minor, reserved
 *   block 0: META                   what wrote it, where, when, with what
 *   blocks:  EVENTS | NAMES | STACKS | ...   each committed by its checksums
 *   INDEX block, TRAILER block       written by a clean close only
 */
#ifndef NTF_TRACE_FORMAT_H
#define NTF_TRACE_FORMAT_H

#include <linux/types.h>

#define NTR_MAGIC "\x89NTR\r\n\x1a\n"
#define NTR_MAGIC_LEN 8
#define NTR_PREAMBLE_LEN 16
/* A reader reads every minor of its major; a new major is refused. */
#define NTR_MAJOR 1
/* 1.1: META says what triggered a flight snapshot; 1.2: kernel stacks (STACKS, stream stack) */
#define NTR_MINOR 2

#define NTR_BLOCK_MAGIC "NTRB"
#define NTR_BLOCK_HDR_LEN 48
/* A header_len a reader accepts: room for fields a minor may add. */
#define NTR_BLOCK_HDR_MAX 256

/* Block header offsets. */
#define NTR_H_MAGIC 0
#define NTR_H_KIND 4 /* u8, enum ntr_kind */
#define NTR_H_CODEC 5 /* u8, enum ntr_codec */
#define NTR_H_LEN 6 /* u16: header length, its checksum included */
#define NTR_H_SEQ 8 /* u32: the block's number, 0 for META */
#define NTR_H_COUNT 12 /* u32: events (EVENTS), entries (others) */
#define NTR_H_STORED 16 /* u32: payload bytes on disk after the header */
#define NTR_H_RAW 20 /* u32: payload bytes once decompressed */
#define NTR_H_TS_MIN 24 /* u64: smallest event ts_ns; 0 without events */
#define NTR_H_TS_MAX 32 /* u64: largest */
#define NTR_H_PAYLOAD_CRC 40 /* u32: CRC32C of the stored payload */
/* the header's last 4 bytes: CRC32C of the header before them */

enum ntr_kind {
	NTR_K_META = 1, /* TLV: writer, host, kernel, clocks, probes, callbacks */
	NTR_K_EVENTS = 2, /* events in columns (streams) */
	NTR_K_STACKS = 3, /* 1.2: frames (address, symbol, module), stacks as frame ids */
	NTR_K_NAMES = 4, /* TLV: callback ids named after META (drivers found later) */
	NTR_K_INDEX = 5, /* runs of blocks by offset and time, and every name */
	NTR_K_TRAILER = 6, /* where the index is; the last block of a closed file */
};

enum ntr_codec {
	NTR_C_NONE = 0,
	NTR_C_ZSTD = 1, /* one zstd frame holding the whole payload */
};

/*
 * Bounds: a reader refuses a block over them, so what it allocates never
 * follows the file beyond these.
 */
#define NTR_MAX_RAW (8u << 20) /* decompressed payload */
#define NTR_MAX_STORED (NTR_MAX_RAW + (NTR_MAX_RAW >> 7) + 4096) /* >= zstd's bound */
#define NTR_MAX_META (256u << 10)
#define NTR_MAX_TASKS 65536 /* task contexts per EVENTS block */
#define NTR_MAX_INDEX 65536 /* entries of the INDEX (runs of blocks) */
#define NTR_TRAILER_LEN 24 /* payload: index offset, events, blocks */
/* Frames and stacks a file defines at most (its STACKS blocks together). */
#define NTR_MAX_FRAMES 65536
#define NTR_MAX_STACKS 65536

/* EVENTS payload: a directory (count, then id and length of each stream), then the streams. */
enum ntr_stream {
	NTR_S_CLASS = 1, /* varint class */
	NTR_S_TIME, /* zigzag ts_ns - previous event's ts_ns (or END instead) */
	NTR_S_LATENCY, /* varint */
	NTR_S_TASK, /* varint task id; the next new id: defined in TASKDEF */
	NTR_S_TASKDEF, /* tgid, zigzag pid - tgid, cgroup_id, zigzag mm - previous, comm */
	NTR_S_FLAGS, /* varint flags ^ the previous event of the class's flags */
	NTR_S_CALLBACK, /* varint */
	NTR_S_MECH, /* varint */
	NTR_S_ORIGIN, /* varint */
	NTR_S_SYSCALL, /* zigzag syscall_nr */
	NTR_S_RET, /* zigzag ret */
	NTR_S_ADDR, /* zigzag address - previous address: range.start, unmap.address, pin.start */
	NTR_S_SIZE, /* varint range.end - range.start */
	NTR_S_MMU, /* varint range.event, range.owner */
	NTR_S_PAGES, /* varint pin.nr_pages, unmap.notifier_calls */
	NTR_S_ARGS, /* varint unmap.notifier_ns; pin.gup_flags, pin.variant */
	NTR_S_FENCE, /* varint context, zigzag seqno - previous, varint ops, zigzag timeout */
	/*
	 * Reserved for stack ids by 1.0, yet 1.0 and 1.1 readers take it for
	 * one of their own and refuse a block whose events leave it unread:
	 * never written, so that they skip stack ids (NTR_S_STACK) instead.
	 */
	NTR_S_UNUSED_18,
	/*
	 * zigzag (ts_ns + latency_ns) - the previous event's: a block has
	 * this or TIME, whichever is shorter. Events reach the ring buffer
	 * as they end, so their end times rise steadily where start times
	 * jump back by the latency.
	 */
	NTR_S_END,
	/*
	 * 1.2: varint stack id, 0 for none, defined by a STACKS block before
	 * this block; left out of blocks whose events have none.
	 */
	NTR_S_STACK,
	NTR_S_MAX,
};

/* META and NAMES: tag, length, value; readers skip tags they do not know. */
enum ntr_tag {
	NTR_T_WRITER = 1, /* string: program and version */
	NTR_T_HOST, /* string: host name */
	NTR_T_KERNEL, /* string: uname -r */
	NTR_T_KERNEL_VERSION, /* string: uname -v */
	NTR_T_ARCH, /* string: uname -m */
	NTR_T_BOOT_ID, /* string: /proc/sys/kernel/random/boot_id */
	NTR_T_WALL_NS, /* varint: CLOCK_REALTIME at start, ns since the epoch */
	NTR_T_MONO_NS, /* varint: CLOCK_MONOTONIC at the same instant (events' clock) */
	NTR_T_PROBE, /* nested: one probe point */
	NTR_T_CALLBACK, /* nested: one callback id's names */
	NTR_T_EVENT_SIZE, /* varint: sizeof(struct ntf_event) where written */
	NTR_T_COMPRESSION, /* string: "zstd 1.5.4 level 3" */
	NTR_T_FLIGHT, /* nested, 1.1: a flight snapshot's trigger and window */
};

/* Inside NTR_T_PROBE. */
enum ntr_probe_tag {
	NTR_TP_ID = 1, /* string */
	NTR_TP_FUNC, /* string: the kernel function or tracepoint */
	NTR_TP_CLASS, /* varint enum ntf_class */
	NTR_TP_MECH, /* varint enum ntf_mech: the rung attached, 0 when none */
	NTR_TP_ATTACHED, /* varint 0 or 1 */
};

/* Inside NTR_T_FLIGHT. */
enum ntr_flight_tag {
	NTR_TF_TRIGGER = 1, /* string: "SIGUSR1", "socket", "policy:<rule>" */
	NTR_TF_WALL_NS, /* varint: CLOCK_REALTIME when it fired */
	NTR_TF_MONO_NS, /* varint: CLOCK_MONOTONIC then */
	NTR_TF_WINDOW_NS, /* varint: the time window, 0 when none */
	NTR_TF_WINDOW_BYTES, /* varint: the size window, 0 when none */
	NTR_TF_FROM_NS, /* varint: the oldest kept event's ts_ns */
	NTR_TF_TO_NS, /* varint: the newest's */
	NTR_TF_DROPPED, /* varint: events let go as older than the window */
};

/* Inside NTR_T_CALLBACK. */
enum ntr_callback_tag {
	NTR_TC_ID = 1, /* varint callback id, as events carry it */
	NTR_TC_DRIVER, /* string */
	NTR_TC_FUNC, /* string: the kernel symbol, when known */
};

#endif
