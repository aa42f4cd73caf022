/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The trace file (.ntr, docs/trace-format.md): a writer that streams
 * events into checksummed, compressed blocks, and a reader that gives
 * them back, says where and why it stopped, and reads a file while it
 * is being written.
 *
 * Writing: ntf_rec_writer_open, ntf_rec_write per event, ntf_rec_flush
 * when what is buffered should reach the file (a block per call), and
 * ntf_rec_close, which writes the index and the trailer. An error is
 * sticky: once a write failed (a full disk: -ENOSPC, -EFBIG, -EIO),
 * every later call returns it, the file keeps every block committed
 * before, and the caller decides what to say and whether to go on.
 * A process that writes to a size-limited file should ignore SIGXFSZ so
 * that the limit comes back as -EFBIG instead of killing it.
 *
 * Reading: ntf_rec_reader_open, ntf_rec_read_meta, then ntf_rec_next
 * until it returns 0 or an error; ntf_rec_reader_status says how the
 * file ended or where and why it could not be read further.
 *
 * A writer or a reader is used by one thread at a time.
 *
 * Built on them: recorder.h, files one after another in a directory
 * (notifierd --record), and flight.h, the last events kept in memory and
 * written on demand (notifierd --flight).
 */
#ifndef NTF_RECORD_H
#define NTF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "callbacks.h"
#include "notifier.h"
#include "probe_points.h"
#include "source.h"

#define NTF_REC_STR_LEN 128
#define NTF_REC_ID_LEN 48
#define NTF_REC_FUNC_LEN 64
#define NTF_REC_MAX_PROBES 64
#define NTF_REC_MAX_CALLBACKS NTF_CALLBACK_IDS

struct ntf_rec_probe {
	char id[NTF_REC_ID_LEN];
	char func[NTF_REC_FUNC_LEN]; /* the kernel function, or the tracepoint */
	__u32 class; /* enum ntf_class */
	__u32 mech; /* enum ntf_mech: the rung attached; NONE when none */
	bool attached;
};

struct ntf_rec_callback {
	__u32 id; /* as events carry it */
	char driver[NTF_DRIVER_LEN];
	char func[NTF_REC_FUNC_LEN]; /* the kernel symbol; may be empty */
};

/*
 * A flight recorder's snapshot (flight.h): what asked for it, when, and
 * which events it keeps. trigger is empty in a file that is not one.
 */
struct ntf_rec_flight {
	char trigger[NTF_REC_STR_LEN]; /* "SIGUSR1", "socket", "policy:<rule>" */
	__u64 trigger_wall_ns; /* CLOCK_REALTIME when it fired */
	__u64 trigger_mono_ns; /* CLOCK_MONOTONIC then: events' clock */
	__u64 window_ns; /* kept events at most this much older than the newest; 0: no bound */
	__u64 window_bytes; /* kept event blocks' compressed bytes at most; 0: no bound */
	__u64 from_ns, to_ns; /* the ts_ns the file covers: the oldest kept event's, the newest's */
	__u64 dropped; /* events the recorder saw but let go: older than its window */
};

/* What wrote a file, where and when: its META block. */
struct ntf_rec_meta {
	char writer[NTF_REC_STR_LEN]; /* "notifierd 0.1.0" */
	char host[NTF_REC_STR_LEN];
	char kernel[NTF_REC_STR_LEN]; /* uname -r */
	char kernel_version[NTF_REC_STR_LEN]; /* uname -v */
	char arch[NTF_REC_STR_LEN]; /* uname -m */
	char boot_id[NTF_REC_STR_LEN]; /* monotonic times compare only within one boot */
	char compression[NTF_REC_STR_LEN]; /* set by the writer */
	__u64 wall_ns; /* CLOCK_REALTIME at start */
	__u64 mono_ns; /* CLOCK_MONOTONIC at the same instant: events' ts_ns clock */
	__u32 event_size; /* sizeof(struct ntf_event) of the writer */
	unsigned int nprobes;
	struct ntf_rec_probe probes[NTF_REC_MAX_PROBES];
	unsigned int ncallbacks;
	struct ntf_rec_callback callbacks[NTF_REC_MAX_CALLBACKS];
	struct ntf_rec_flight flight; /* format 1.1: a flight snapshot's trigger and window */
};

/*
 * Fills meta for this machine, now: host, kernel, boot id, both clocks,
 * and the names of every callback id this process knows (the table's
 * and those discovery named). writer names the program ("notifierd
 * 0.1.0"). Probes are the caller's to add.
 */
void ntf_rec_meta_init(struct ntf_rec_meta *meta, const char *writer);
/* Adds or replaces a probe point by id; -ENOSPC when full. */
int ntf_rec_meta_add_probe(struct ntf_rec_meta *meta, const struct ntf_rec_probe *probe);
/* Adds each probe state (what the tracer attached, or did not); -ENOSPC when full. */
int ntf_rec_meta_add_probes(struct ntf_rec_meta *meta, const struct ntf_probe_state *probes,
			    unsigned int n);
/* Names a callback id (replacing its name if it had one); -ENOSPC when full. */
int ntf_rec_meta_set_callback(struct ntf_rec_meta *meta, __u32 id, const char *driver,
			      const char *func);
/* The driver a file names callback id by: "chain" for 0, NULL when it does not name it. */
const char *ntf_rec_meta_driver(const struct ntf_rec_meta *meta, __u32 id);

/* ---- what META means to this process (rec_apply.c) ---- */

/*
 * Gives this process's driver table (core/callbacks.h), through which
 * every report names drivers, the file's names: discovered ids take
 * them. A table id the file names otherwise (a file from another
 * notifier's table) keeps this notifier's name; the first such id is
 * returned for the caller to say so, 0 when there is none. Called again
 * after reading, it adds names NAMES blocks gave on the way.
 */
__u32 ntf_rec_meta_apply_names(const struct ntf_rec_meta *meta);
/*
 * The file's probes as this notifier's probe states, NTF_PROBE_MAX of
 * them (ntf_probe_count used): what each class was traced by.
 */
void ntf_rec_meta_probe_states(const struct ntf_rec_meta *meta, struct ntf_probe_state *st);
/* Wall-clock seconds since the epoch when the file's clock read ts_ns. */
double ntf_rec_meta_wall_s(const struct ntf_rec_meta *meta, __u64 ts_ns);

/*
 * A frame of a kernel stack as a file keeps it (format 1.2): enough to
 * read the stack on a machine without this kernel's symbols.
 */
#define NTF_REC_SYM_LEN 128
#define NTF_REC_MOD_LEN 64 /* the kernel's MODULE_NAME_LEN is 56 */
/* Frames a stack keeps at most: BPF's NTF_STACK_DEPTH and the traced function put first. */
#define NTF_REC_MAX_DEPTH 64

struct ntf_rec_frame {
	__u64 addr; /* a return address; the traced function's entry when put first */
	__u64 offset; /* addr - the symbol's address; 0 without a symbol */
	char sym[NTF_REC_SYM_LEN]; /* the function; "" when kallsyms did not say */
	char module[NTF_REC_MOD_LEN]; /* "" for the kernel itself */
};

/* ---- writing ---- */

/* perf record -z's default too: level 3 saves 3-4% more for 1.5 times the time */
#define NTF_REC_DEFAULT_LEVEL 1
#define NTF_REC_DEFAULT_BLOCK_EVENTS 65536
#define NTF_REC_DEFAULT_BLOCK_BYTES (1u << 20)

struct ntf_rec_writer_opts {
	int level; /* zstd level (negative: zstd's fast ones); 0: NTF_REC_DEFAULT_LEVEL */
	bool uncompressed; /* blocks stored as encoded, without zstd */
	__u32 block_events; /* events a block holds at most; 0: the default */
	__u32 block_bytes; /* encoded bytes (before zstd) a block holds at most; 0: the default */
};

struct ntf_rec_writer;

struct ntf_rec_writer_stats {
	__u64 events; /* accepted by ntf_rec_write */
	__u64 committed_events; /* in blocks written whole */
	__u64 blocks; /* written whole, of any kind */
	__u64 bytes; /* the file's length up to its last whole block */
	__u64 raw_bytes; /* event blocks' payloads before compression */
	__u32 pending; /* events buffered, not yet in the file */
	int err; /* the sticky error, 0 while writing works */
};

/*
 * Creates (or truncates) path and writes the preamble and META (meta
 * may be NULL: a file that says nothing of where it was made). 0 and
 * *out, or a negative errno (nothing to free).
 */
int ntf_rec_writer_open(struct ntf_rec_writer **out, const char *path,
			const struct ntf_rec_meta *meta, const struct ntf_rec_writer_opts *opts);
/*
 * The same onto an open fd (a file, a pipe, a socket), written from its
 * current position; the fd stays the caller's to close.
 */
int ntf_rec_writer_fdopen(struct ntf_rec_writer **out, int fd, const struct ntf_rec_meta *meta,
			  const struct ntf_rec_writer_opts *opts);
/*
 * Buffers one event; a full block is compressed and written. 0, -EINVAL
 * for an event ntf_decode would refuse (not sticky), or the sticky error.
 */
int ntf_rec_write(struct ntf_rec_writer *w, const struct ntf_event *e);
/* Writes what is buffered as a block (none when nothing is). 0 or the sticky error. */
int ntf_rec_flush(struct ntf_rec_writer *w);
/* Flushes, then records callback ids named since META (a driver found later). */
int ntf_rec_write_names(struct ntf_rec_writer *w, const struct ntf_rec_callback *cbs,
			unsigned int n);
/*
 * The file's id for a kernel stack (frames innermost first), for an
 * event's stack_id: the same frames always get the same id (stacks are
 * told apart by content, never by the kernel's ids, which collisions
 * reuse), and a new one is defined in a STACKS block written before the
 * next block of events. 0 and *id; -EINVAL for no frames or more than
 * NTF_REC_MAX_DEPTH; -ENOSPC when the file holds as many stacks or
 * frames as readers take (NTR_MAX_STACKS, NTR_MAX_FRAMES); -ENOMEM
 * (none of these sticky); or the sticky error.
 */
int ntf_rec_stack_add(struct ntf_rec_writer *w, const struct ntf_rec_frame *frames, unsigned int n,
		      __u32 *id);
void ntf_rec_writer_stats(const struct ntf_rec_writer *w, struct ntf_rec_writer_stats *st);
/*
 * Flushes, writes the index and the trailer, closes what open opened and
 * frees w. 0, or the first error (the file then reads back up to its
 * last whole block, without trailer).
 */
int ntf_rec_close(struct ntf_rec_writer *w);

/* ---- reading ---- */

enum ntf_rec_stop {
	NTF_REC_READING = 0, /* not stopped */
	NTF_REC_COMPLETE, /* read up to the trailer: the writer closed the file */
	NTF_REC_UNFINISHED, /* ends after a whole block, without a trailer */
	NTF_REC_TRUNCATED, /* ends inside a block */
	NTF_REC_CORRUPT, /* a block failed its checks */
	NTF_REC_FOREIGN, /* not a trace file */
	NTF_REC_VERSION, /* a major version this reader does not read */
	NTF_REC_IO, /* the file could not be read */
	NTF_REC_NOMEM,
};

struct ntf_rec_status {
	enum ntf_rec_stop stop;
	int err; /* 0, or the negative errno that reading stopped with */
	__u64 offset; /* the byte where reading stopped */
	__u32 block; /* the block being read there */
	__u32 blocks; /* blocks read whole */
	__u64 events; /* events delivered */
	__u64 size; /* the file's size when last looked at */
	char why[256]; /* one line, "truncated at byte 81234 in block 17: ..." */
};

struct ntf_rec_reader;

/*
 * Opens a trace file and reads its preamble and META. 0 and *out, or a
 * negative errno with st (may be NULL) saying where and why.
 */
int ntf_rec_reader_open(struct ntf_rec_reader **out, const char *path, struct ntf_rec_status *st);
/* The same over an fd the caller keeps (read with pread: its position is not used). */
int ntf_rec_reader_fdopen(struct ntf_rec_reader **out, int fd, struct ntf_rec_status *st);
/* The same over bytes in memory, which must outlive the reader. */
int ntf_rec_reader_mem(struct ntf_rec_reader **out, const void *data, size_t len,
		       struct ntf_rec_status *st);
/* The file's META, with the callback names NAMES blocks read so far added. */
const struct ntf_rec_meta *ntf_rec_read_meta(const struct ntf_rec_reader *r);
/*
 * The next event into *e (padding and unused union bytes zero): 1; 0 at
 * the end of what the file holds (status: COMPLETE, or UNFINISHED or
 * TRUNCATED for a file still being written or whose writer stopped;
 * calling again reads what was added since); or a negative errno when a
 * block is damaged or the file unreadable (-EBADMSG, -EIO, -ENOMEM), for
 * good.
 */
int ntf_rec_next(struct ntf_rec_reader *r, struct ntf_event *e);
/*
 * The frames of stack id (an event's stack_id), innermost first: at most
 * max into out, and their number; -ENOENT when the file defines no such
 * stack. Every stack an event read so far names is defined.
 */
int ntf_rec_stack(const struct ntf_rec_reader *r, __u32 id, struct ntf_rec_frame *out,
		  unsigned int max);
/* The stacks the file defined up to where it was read (ids 1..this). */
__u32 ntf_rec_stack_count(const struct ntf_rec_reader *r);
/*
 * A frame as reports print it: "func+0x1c [module]", "func+0x1c" in the
 * kernel itself, the address alone when no symbol was known.
 */
void ntf_rec_frame_name(char *buf, size_t len, const struct ntf_rec_frame *f);
/*
 * Moves to the first block that holds events at or after ts_ns in the
 * order they were written (every such event is in it or after it),
 * through the index when the file has one, else reading block headers
 * from the start. 0 or the error next would give.
 */
int ntf_rec_seek(struct ntf_rec_reader *r, __u64 ts_ns);
void ntf_rec_reader_status(const struct ntf_rec_reader *r, struct ntf_rec_status *st);
/* Whether the file ended with a trailer and its index was read. */
bool ntf_rec_reader_indexed(const struct ntf_rec_reader *r);
void ntf_rec_reader_close(struct ntf_rec_reader *r);

/* ---- as an event source ---- */

struct ntf_rec_source_opts {
	__u32 batch; /* events per poll; 0: 4096 */
	bool follow; /* at the end, wait for more (a file being written) instead of ending */
};

/*
 * A recorded file as an event source (stream/source.h); takes r (and
 * closes it when it cannot be made) and closes it with the source. poll gives -ENODATA at the end (without
 * follow), or the reader's error when a block is damaged.
 */
struct ntf_source *ntf_source_rec_new(struct ntf_rec_reader *r,
				      const struct ntf_rec_source_opts *opts, ntf_event_fn fn,
				      void *ctx);
struct ntf_rec_reader *ntf_source_rec_reader(struct ntf_source *src);

#endif
