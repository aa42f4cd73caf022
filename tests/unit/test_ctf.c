// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CTF writer (user/report/ctf.h): its streams read back packet by
 * packet as the metadata declares them, each in time order whatever
 * order the events came in; directories it must refuse, and what a
 * failed export leaves (nothing). tests/cli/ctf.sh has babeltrace2 read
 * the traces.
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "ctf.h"
#include "ctf_int.h"
#include "names.h"

static char dir[] = "/tmp/ntf-test-ctf.XXXXXX";

static struct ntf_event ev(unsigned int class, __u64 ts, __u32 tgid)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = class;
	e.ts_ns = ts;
	e.latency_ns = 1000 + ts % 977;
	e.tgid = tgid;
	e.pid = tgid + 1;
	e.mech = NTF_MECH_FENTRY;
	e.origin = NTF_ORIGIN_MADVISE;
	snprintf(e.comm, sizeof(e.comm), "proc%u", tgid);
	if (class == NTF_CLASS_CALLBACK)
		e.callback = 40;
	e.range.start = 0x7f0000000000ull + ts;
	e.range.end = e.range.start + 4096;
	return e;
}

static struct ntf_rec_meta *test_meta(void)
{
	static struct ntf_rec_meta m;

	memset(&m, 0, sizeof(m));
	snprintf(m.host, sizeof(m.host), "host \"quoted\"\\");
	snprintf(m.kernel, sizeof(m.kernel), "6.1.0-test");
	snprintf(m.boot_id, sizeof(m.boot_id), "0b5e4c5a-6f0e-4a8e-9d6c-7a1f2e3d4c5b");
	m.wall_ns = 1700000000ull * 1000000000;
	m.mono_ns = 5000000000ull;
	ntf_rec_meta_set_callback(&m, 40, "testdrv", NULL);
	return &m;
}

static void path_of(char *buf, size_t len, const char *sub, const char *name)
{
	snprintf(buf, len, "%s/%s%s%s", dir, sub, name ? "/" : "", name ? name : "");
}

static __u64 le(const unsigned char *p, unsigned int size)
{
	__u64 v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

static size_t read_file(const char *sub, const char *name, void *buf, size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	path_of(path, sizeof(path), sub, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, len, f);
	fclose(f);
	assert_true(n < len);
	return n;
}

struct read_back {
	unsigned int streams;
	__u64 events, packets, discarded;
	__u64 per_class[NTF_CLASS_MAX];
	char driver_of_40[32];
	char comm_first[32];
	__u64 ts_first;
};

/*
 * One stream file, as the metadata says it is laid out: every packet's
 * header and context checked, every event's fields walked, its
 * timestamps never going back.
 */
static void read_stream(const char *sub, const char *name, unsigned int instance,
			struct read_back *rb)
{
	static unsigned char buf[1 << 22];
	__u64 last = 0, seq = 0, discarded = 0;
	size_t len = read_file(sub, name, buf, sizeof(buf)), off = 0;
	while (off < len) {
		const unsigned char *p = buf + off;
		__u64 content = le(p + 48, 8) / 8, size = le(p + 56, 8) / 8, end = off + content;
		size_t at = off + CTF_PACKET_HEADER;

		assert_true(len - off >= CTF_PACKET_HEADER);
		assert_int_equal(le(p, 4), CTF_MAGIC);
		assert_int_equal(le(p + 20, 4), 0);
		assert_int_equal(le(p + 24, 8), instance);
		assert_true(content <= size && off + size <= len);
		assert_int_equal(le(p + 64, 8), seq++);
		assert_true(le(p + 72, 8) >= discarded);
		discarded = le(p + 72, 8);
		assert_true(le(p + 32, 8) >= last && le(p + 40, 8) >= le(p + 32, 8));
		for (size_t i = content; i < size; i++)
			assert_int_equal(p[i], 0);
		while (at < end) {
			unsigned int class = (unsigned int)le(buf + at, 2);
			__u64 ts = le(buf + at + 2, 8);
			const struct ctf_field *fl;

			assert_true(class > NTF_CLASS_NONE && class < NTF_CLASS_MAX);
			assert_true(ts >= last && ts >= le(p + 32, 8) && ts <= le(p + 40, 8));
			if (!rb->events) {
				rb->ts_first = ts;
				/* after latency_ns, pid and tgid */
				snprintf(rb->comm_first, sizeof(rb->comm_first), "%s",
					 (const char *)buf + at + CTF_EVENT_HEADER + 16);
			}
			last = ts;
			at += CTF_EVENT_HEADER;
			for (unsigned int i = 0; (fl = ctf_field(class, i)); i++) {
				size_t n = ctf_types[fl->type].size;

				if (!n) {
					const char *s = (const char *)buf + at;

					n = strnlen(s, end - at) + 1;
					if (fl->src == CTF_SRC_DRIVER &&
					    class == NTF_CLASS_CALLBACK)
						snprintf(rb->driver_of_40, sizeof(rb->driver_of_40),
							 "%s", s);
				}
				at += n;
			}
			assert_true(at <= end);
			rb->events++;
			rb->per_class[class]++;
		}
		rb->packets++;
		off += size;
	}
	rb->discarded += discarded;
}

/* Every stream file of sub; the names are consecutive, nothing else is there but metadata. */
static void read_trace(const char *sub, struct read_back *rb)
{
	char path[512], name[32];
	unsigned int files = 0;
	struct dirent *de;
	DIR *d;

	memset(rb, 0, sizeof(*rb));
	path_of(path, sizeof(path), sub, NULL);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		files += de->d_name[0] != '.';
	closedir(d);
	for (;; rb->streams++) {
		snprintf(name, sizeof(name), "stream_%u", rb->streams);
		path_of(path, sizeof(path), sub, name);
		if (access(path, F_OK))
			break;
		read_stream(sub, name, rb->streams, rb);
	}
	assert_int_equal(files, rb->streams + 1);
}

static char *slurp(const char *sub, const char *name)
{
	static char text[1 << 16];

	text[read_file(sub, name, text, sizeof(text) - 1)] = '\0';
	return text;
}

static void export(const char *sub, const struct ntf_event *evs, unsigned int n,
		   const struct ntf_ctf_opts *opts, struct ntf_ctf_stats *st)
{
	char path[512], why[256] = "";
	struct ntf_ctf *c;

	path_of(path, sizeof(path), sub, NULL);
	assert_int_equal(ntf_ctf_begin(&c, path, test_meta(), opts, why, sizeof(why)), 0);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(ntf_ctf_add(c, &evs[i]), 0);
	assert_int_equal(ntf_ctf_finish(c, "complete: test", st, why, sizeof(why)), 0);
}

static void fields_match_members(void **state)
{
	const struct ctf_field *f;

	(void)state;
	/* a type narrower than its member would cut values without a word */
	for (unsigned int class = 1; class < NTF_CLASS_MAX; class ++)
		for (unsigned int i = 0; (f = ctf_field(class, i)); i++)
			if (f->src == CTF_SRC_EVENT)
				assert_int_equal(ctf_types[f->type].size, f->size);
	/* every enumeration names each value its names table has */
	assert_string_equal(ctf_enum_label(CTF_T_ORIGIN, NTF_ORIGIN_MAX - 1),
			    ntf_origin_name(NTF_ORIGIN_MAX - 1));
	assert_null(ctf_enum_label(CTF_T_ORIGIN, NTF_ORIGIN_MAX));
	assert_string_equal(ctf_enum_label(CTF_T_MMU_EVENT, 0), ntf_mmu_event_name(0));
	assert_null(ctf_enum_label(CTF_T_MMU_EVENT, 64));
}

static void sorted_input_one_stream(void **state)
{
	static struct ntf_event evs[5000];
	struct ntf_ctf_stats st;
	struct read_back rb;
	const char *md;

	(void)state;
	for (unsigned int i = 0; i < 5000; i++)
		evs[i] = ev(1 + i % 7, 6000000000ull + i * 1000, 100 + i % 3);
	export("sorted", evs, 5000, &(struct ntf_ctf_opts){ .packet_size = 4096 }, &st);
	read_trace("sorted", &rb);
	assert_int_equal(rb.streams, 1);
	assert_int_equal(st.streams, 1);
	assert_int_equal(rb.events, 5000);
	assert_int_equal(st.events, 5000);
	assert_int_equal(rb.packets, st.packets);
	assert_true(rb.packets > 100);
	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++)
		assert_true(rb.per_class[c] >= 714);
	assert_string_equal(rb.driver_of_40, "testdrv");
	assert_string_equal(rb.comm_first, "proc100");
	assert_int_equal(rb.ts_first, 6000000000ull);

	md = slurp("sorted", "metadata");
	assert_memory_equal(md, "/* CTF 1.8 */\n", 14);
	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++) {
		char want[64];

		snprintf(want, sizeof(want), "name = \"%s\";\n\tid = %u;", ntf_class_name(c), c);
		assert_non_null(strstr(md, want));
	}
	/* wall - mono = 1699999995 s: readers print wall-clock times */
	assert_non_null(strstr(md, "offset_s = 1699999995;\n\toffset = 0;"));
	assert_non_null(strstr(md, "hostname = \"host \\\"quoted\\\"\\\\\";"));
	assert_non_null(strstr(md, "uuid = \"0b5e4c5a-6f0e-4a8e-9d6c-7a1f2e3d4c5b\";"));
	assert_non_null(strstr(md, "source_status = \"complete: test\";"));
}

/* As the ring buffer gives them: in the order they ended, which is not that of their starts. */
static void disorder_within_the_window(void **state)
{
	static struct ntf_event evs[3000];
	struct ntf_ctf_stats st;
	struct read_back rb;

	(void)state;
	for (unsigned int i = 0; i < 3000; i++)
		evs[i] = ev(1 + i % 7, 9000000000ull + i * 1000 - (i % 10) * 3000, 7);
	export("window", evs, 3000, &(struct ntf_ctf_opts){ .window = 64 }, &st);
	read_trace("window", &rb);
	assert_int_equal(rb.streams, 1);
	assert_int_equal(rb.events, 3000);
	assert_int_equal(rb.discarded, 0);
}

/* Events later than the window can sort open a stream of their own, in order too. */
static void later_than_the_window(void **state)
{
	static struct ntf_event evs[1000];
	struct ntf_ctf_stats st;
	struct read_back rb;

	(void)state;
	/* every 100th event began long before its neighbours: a long fence wait */
	for (unsigned int i = 0; i < 1000; i++)
		evs[i] = ev(i % 100 ? 1 : NTF_CLASS_FENCE_WAIT,
			    i % 100 ? 9000000000ull + i * 1000 : 8000000000ull + i, 7);
	export("late", evs, 1000, &(struct ntf_ctf_opts){ .window = 8 }, &st);
	read_trace("late", &rb);
	assert_int_equal(rb.streams, 2);
	assert_int_equal(st.streams, 2);
	assert_int_equal(rb.events, 1000);
	assert_int_equal(rb.per_class[NTF_CLASS_FENCE_WAIT], 10);
	assert_int_equal(st.discarded, 0);
}

/* Past max_streams, an event is dropped and counted where readers look: events_discarded. */
static void streams_bounded(void **state)
{
	static struct ntf_event evs[100];
	struct ntf_ctf_stats st;
	struct read_back rb;

	(void)state;
	for (unsigned int i = 0; i < 100; i++)
		evs[i] = ev(1, 9000000000ull - i * 1000, 7);
	export("bounded", evs, 100, &(struct ntf_ctf_opts){ .window = 1, .max_streams = 3 }, &st);
	read_trace("bounded", &rb);
	assert_int_equal(rb.streams, 3);
	assert_int_equal(st.events + st.discarded, 100);
	assert_int_equal(rb.events, st.events);
	assert_int_equal(rb.discarded, st.discarded);
	assert_true(st.discarded >= 90);
}

static void empty_trace(void **state)
{
	struct ntf_ctf_stats st;
	struct read_back rb;

	(void)state;
	export("empty", NULL, 0, NULL, &st);
	read_trace("empty", &rb);
	assert_int_equal(rb.streams, 0);
	assert_int_equal(st.events, 0);
	assert_non_null(strstr(slurp("empty", "metadata"), "/* CTF 1.8 */"));
}

static void directories_refused(void **state)
{
	char path[512], file[600], why[256];
	struct ntf_ctf *c = NULL;
	struct stat sb;
	int fd;

	(void)state;
	path_of(path, sizeof(path), "full", NULL);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(file, sizeof(file), "%s/metadata", path);
	fd = open(file, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "mine", 4), 4);
	close(fd);
	assert_int_equal(ntf_ctf_begin(&c, path, NULL, NULL, why, sizeof(why)), -ENOTEMPTY);
	assert_non_null(strstr(why, "not empty"));
	/* the files there are left as they were */
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_size, 4);

	assert_int_equal(ntf_ctf_begin(&c, file, NULL, NULL, why, sizeof(why)), -ENOTDIR);
	path_of(path, sizeof(path), "absent/deeper", NULL);
	assert_int_equal(ntf_ctf_begin(&c, path, NULL, NULL, why, sizeof(why)), -ENOENT);

	/* an empty one is taken */
	path_of(path, sizeof(path), "was-empty", NULL);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ntf_ctf_begin(&c, path, NULL, NULL, why, sizeof(why)), 0);
	ntf_ctf_abort(c);
	/* abort leaves a directory that was there, empty */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(rmdir(path), 0);
}

static void abort_removes_what_it_made(void **state)
{
	struct ntf_event e = ev(1, 1000, 7);
	char path[512], why[256];
	struct ntf_ctf *c;

	(void)state;
	path_of(path, sizeof(path), "aborted", NULL);
	assert_int_equal(ntf_ctf_begin(&c, path, NULL, &(struct ntf_ctf_opts){ .window = 1 }, why,
				       sizeof(why)),
			 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ntf_ctf_add(c, &e), 0);
	ntf_ctf_abort(c);
	assert_int_equal(access(path, F_OK), -1);
}

/* A write that fails (here a file size limit) fails the export, and nothing is left. */
static void failed_write_leaves_nothing(void **state)
{
	char path[512];
	int status;
	pid_t pid;

	(void)state;
	path_of(path, sizeof(path), "limited", NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit rl = { 100000, 100000 };
		struct ntf_event e = ev(1, 1000, 7);
		char why[256] = "";
		struct ntf_ctf *c;
		int err = 0;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) ||
		    ntf_ctf_begin(&c, path, NULL, &(struct ntf_ctf_opts){ .window = 16 }, why,
				  sizeof(why)))
			_exit(2);
		for (int i = 0; i < 10000 && !err; i++) {
			e.ts_ns += 10;
			err = ntf_ctf_add(c, &e);
		}
		err = ntf_ctf_finish(c, NULL, NULL, why, sizeof(why));
		_exit(err == -EFBIG && strstr(why, "writing") && strstr(why, "stream_0.tmp") ? 0 :
											       3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(path, F_OK), -1);
}

/* Names a file gives later (NAMES blocks) are used from then on. */
static void names_added_later(void **state)
{
	struct ntf_rec_meta *m = test_meta();
	struct ntf_event a = ev(NTF_CLASS_CALLBACK, 1000, 7), b = a;
	static unsigned char buf[8192];
	char path[512], why[256];
	struct ntf_ctf *c;
	size_t n;

	(void)state;
	a.callback = b.callback = 41;
	b.ts_ns = 2000;
	path_of(path, sizeof(path), "names", NULL);
	assert_int_equal(
		ntf_ctf_begin(&c, path, m, &(struct ntf_ctf_opts){ .window = 1 }, why, sizeof(why)),
		0);
	/* a window of one: a leaves when b comes */
	assert_int_equal(ntf_ctf_add(c, &a), 0);
	assert_int_equal(ntf_ctf_add(c, &b), 0);
	ntf_rec_meta_set_callback(m, 41, "latedrv", NULL);
	b.ts_ns = 3000;
	assert_int_equal(ntf_ctf_add(c, &b), 0);
	assert_int_equal(ntf_ctf_finish(c, NULL, NULL, why, sizeof(why)), 0);
	n = read_file("names", "stream_0", buf, sizeof(buf));
	/* a: its id unnamed when it left the window */
	assert_non_null(memmem(buf, n, "unknown", 8));
	assert_non_null(memmem(buf, n, "latedrv", 8));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_match_members),
		cmocka_unit_test(sorted_input_one_stream),
		cmocka_unit_test(disorder_within_the_window),
		cmocka_unit_test(later_than_the_window),
		cmocka_unit_test(streams_bounded),
		cmocka_unit_test(empty_trace),
		cmocka_unit_test(directories_refused),
		cmocka_unit_test(abort_removes_what_it_made),
		cmocka_unit_test(failed_write_leaves_nothing),
		cmocka_unit_test(names_added_later),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
