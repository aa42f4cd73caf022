// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TRIGGER and TRIGGERED (proto.h): a flight recorder snapshot asked over
 * the daemon's socket. The frames round-trip and refuse what does not
 * decode; the server answers only a peer as privileged as itself, says
 * why it cannot, and closes; ntf_client_trigger turns each answer (an
 * older daemon's too) into an errno and a line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "client_trigger.h"
#include "proto.h"
#include "server.h"

static struct ntf_proto_frame parse_ok(const __u8 *p, size_t n)
{
	struct ntf_proto_frame f;
	size_t used;

	assert_int_equal(ntf_proto_parse(p, n, NTF_PROTO_MAX_PAYLOAD, &f, &used), 0);
	assert_int_equal(used, n);
	return f;
}

static void frames_round_trip(void **state)
{
	struct ntf_proto_triggered t = { .events = 123456,
					 .bytes = 789,
					 .from_ns = 5,
					 .to_ns = 2000000005,
					 .wall_ns = 1700000000000000000ULL },
				   got;
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;

	(void)state;
	assert_int_equal(ntf_proto_put_trigger(&b), 0);
	assert_int_equal(b.len, NTF_PROTO_HDR_LEN);
	f = parse_ok(b.data, b.len);
	assert_int_equal(f.type, NTF_PROTO_TRIGGER);
	assert_int_equal(ntf_proto_decode_trigger(&f), 0);
	/* a TRIGGER has nothing to say: a payload is malformed */
	f.len = 1;
	assert_int_equal(ntf_proto_decode_trigger(&f), -EBADMSG);

	b.len = 0;
	snprintf(t.path, sizeof(t.path), "/var/lib/notifier/notifier-flight-20250102-030405.ntr");
	assert_int_equal(ntf_proto_put_triggered(&b, &t), 0);
	f = parse_ok(b.data, b.len);
	assert_int_equal(ntf_proto_decode_triggered(&f, &got), 0);
	assert_string_equal(got.path, t.path);
	assert_int_equal(got.events, t.events);
	assert_int_equal(got.bytes, t.bytes);
	assert_int_equal(got.from_ns, t.from_ns);
	assert_int_equal(got.to_ns, t.to_ns);
	assert_int_equal(got.wall_ns, t.wall_ns);
	/* every truncation refused */
	for (__u32 len = 0; len < f.len; len++) {
		struct ntf_proto_frame cut = f;

		cut.len = len;
		assert_int_equal(ntf_proto_decode_triggered(&cut, &got), -EBADMSG);
	}
	assert_int_equal(ntf_proto_decode_triggered(&f, &got), 0);
	f.type = NTF_PROTO_NAMES;
	assert_int_equal(ntf_proto_decode_triggered(&f, &got), -EBADMSG);

	/* a path that says nothing is no answer */
	b.len = 0;
	t.path[0] = '\0';
	assert_int_equal(ntf_proto_put_triggered(&b, &t), 0);
	f = parse_ok(b.data, b.len);
	assert_int_equal(ntf_proto_decode_triggered(&f, &got), -EBADMSG);
	assert_string_equal(ntf_proto_type_name(NTF_PROTO_TRIGGER), "trigger");
	assert_string_equal(ntf_proto_type_name(NTF_PROTO_TRIGGERED), "triggered");
	ntf_proto_buf_free(&b);
}

/* ---- the server ---- */

struct asked {
	int calls;
	uid_t uid;
	pid_t pid;
	int fail; /* the errno to fail with; 0: write it */
};

static int trigger_cb(void *ctx, uid_t uid, pid_t pid, struct ntf_proto_triggered *out, char *why,
		      size_t why_len)
{
	struct asked *a = ctx;

	a->calls++;
	a->uid = uid;
	a->pid = pid;
	if (a->fail) {
		snprintf(why, why_len, "writing /x/snap.ntr: %s", strerror(a->fail));
		return -a->fail;
	}
	snprintf(out->path, sizeof(out->path), "/x/snap.ntr");
	out->events = 42;
	out->bytes = 4096;
	return 0;
}

static struct ntf_server *server(struct ntf_agg *agg, struct asked *a)
{
	struct ntf_server_opts o = { .trigger = a ? trigger_cb : NULL, .ctx = a };
	struct ntf_server *s = ntf_server_new(agg, NULL, 0, &o);

	assert_non_null(s);
	return s;
}

/* Everything the server wrote to fd until it closed: its frames' types, the last decoded. */
static int answer(int fd, struct ntf_proto_frame *last, __u8 *buf, size_t cap)
{
	size_t len = 0, off = 0, used;
	int frames = 0;
	ssize_t n;

	while ((n = recv(fd, buf + len, cap - len, MSG_DONTWAIT)) > 0)
		len += n;
	/* closed once answered */
	assert_int_equal(n, 0);
	while (off < len) {
		assert_int_equal(
			ntf_proto_parse(buf + off, len - off, NTF_PROTO_MAX_PAYLOAD, last, &used),
			0);
		off += used;
		frames++;
	}
	return frames;
}

/* A TRIGGER through a socketpair (this process's own uid): the server's frames in reply. */
static struct ntf_proto_frame ask(struct ntf_server *s, __u8 *buf, size_t cap, bool hello_first)
{
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(ntf_server_add(s, sv[0], 1000));
	if (hello_first)
		assert_int_equal(ntf_proto_put_hello(&b, 100), 0);
	assert_int_equal(ntf_proto_put_trigger(&b), 0);
	assert_int_equal(send(sv[1], b.data, b.len, 0), (ssize_t)b.len);
	for (int i = 0; i < 5; i++)
		ntf_server_tick(s, 1000);
	answer(sv[1], &f, buf, cap);
	close(sv[1]);
	ntf_proto_buf_free(&b);
	return f;
}

static void server_answers_its_own(void **state)
{
	static __u8 buf[1 << 20];
	struct ntf_agg *agg = ntf_agg_new(0);
	struct asked a = {};
	struct ntf_server *s = server(agg, &a);
	struct ntf_server_stats st;
	struct ntf_proto_triggered t;
	struct ntf_proto_error e;
	struct ntf_proto_frame f;

	(void)state;
	f = ask(s, buf, sizeof(buf), false);
	assert_int_equal(f.type, NTF_PROTO_TRIGGERED);
	assert_int_equal(ntf_proto_decode_triggered(&f, &t), 0);
	assert_string_equal(t.path, "/x/snap.ntr");
	assert_int_equal(t.events, 42);
	/* the socket said who asked */
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.uid, getuid());
	assert_int_equal(a.pid, getpid());

	/* a snapshot that cannot be written: FAILED, in the daemon's words */
	a.fail = ENOSPC;
	f = ask(s, buf, sizeof(buf), false);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_FAILED);
	assert_string_equal(e.msg, "writing /x/snap.ntr: No space left on device");

	/* only in place of HELLO: a live client's TRIGGER is out of place */
	a.fail = 0;
	f = ask(s, buf, sizeof(buf), true);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_STATE);
	assert_int_equal(a.calls, 2);
	ntf_server_stats(s, &st);
	assert_int_equal(st.triggers, 1);
	assert_int_equal(st.clients, 0);
	ntf_server_free(s);

	/* without a flight recorder: UNAVAILABLE, saying how to get one */
	s = server(agg, NULL);
	f = ask(s, buf, sizeof(buf), false);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_UNAVAILABLE);
	assert_non_null(strstr(e.msg, "--flight"));
	ntf_server_free(s);
	ntf_agg_free(agg);
}

/* A connection without a socket names no peer: nobody to trust. */
static void unknown_peer_denied(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct asked a = {};
	struct ntf_server *s = server(agg, &a);
	struct ntf_proto_buf b = {};
	struct ntf_proto_error e;
	struct ntf_proto_frame f;
	struct ntf_conn *c = ntf_server_add(s, -1, 1000);
	const __u8 *out;
	size_t len, used;

	(void)state;
	assert_int_equal(ntf_proto_put_trigger(&b), 0);
	assert_int_equal(ntf_server_input(s, c, b.data, b.len, 1000), -EACCES);
	out = ntf_server_pending(c, &len);
	assert_int_equal(ntf_proto_parse(out, len, NTF_PROTO_MAX_PAYLOAD, &f, &used), 0);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_DENIED);
	assert_int_equal(a.calls, 0);
	ntf_proto_buf_free(&b);
	ntf_server_free(s);
	ntf_agg_free(agg);
}

/* ---- the client, against a server on a socket ---- */

struct result {
	int err;
	char why[256];
	struct ntf_proto_triggered t;
};

/*
 * ntf_client_trigger in a child (as uid when not -1), while serve runs
 * the server side here: what the child got.
 */
static struct result client_in_child(const char *path, uid_t uid, gid_t gid,
				     void (*serve)(void *ctx, pid_t child), void *ctx)
{
	struct result r = {};
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(fds[0]);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) || setgid(gid) || setuid(uid)))
			_exit(3);
		r.err = ntf_client_trigger(path, 5000, &r.t, r.why, sizeof(r.why));
		_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 4);
	}
	close(fds[1]);
	serve(ctx, pid);
	assert_int_equal(read(fds[0], &r, sizeof(r)), sizeof(r));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return r;
}

/* Ticks the server until the child is done with it. */
static void tick_until_exit(void *ctx, pid_t child)
{
	struct ntf_server *s = ctx;
	siginfo_t si;

	for (int i = 0; i < 500; i++) {
		si.si_pid = 0;
		if (!waitid(P_PID, child, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid)
			return;
		ntf_server_tick(s, 1000);
		usleep(10000);
	}
	fail_msg("the client did not finish");
}

/* A daemon of before triggers: TRIGGER is an unknown type to it. */
static void answer_as_older(void *ctx, pid_t child)
{
	int lfd = *(int *)ctx, fd = accept(lfd, NULL, NULL);
	struct ntf_proto_buf b = {};
	__u8 buf[64];

	(void)child;
	assert_true(fd >= 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	assert_int_equal(ntf_proto_put_error(&b, NTF_PERR_TYPE, "unknown frame type"), 0);
	assert_int_equal(send(fd, b.data, b.len, 0), (ssize_t)b.len);
	close(fd);
	ntf_proto_buf_free(&b);
}

static void nothing(void *ctx, pid_t child)
{
	(void)ctx;
	(void)child;
}

static void client_over_the_socket(void **state)
{
	char tmp[] = "/tmp/ntf-trigger.XXXXXX", path[64], old[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ntf_agg *agg = ntf_agg_new(0);
	struct asked a = {};
	struct ntf_server *s = server(agg, &a);
	struct result r;
	int lfd;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	/* others may reach the socket's directory: the refusal is the daemon's, not the mode's */
	assert_int_equal(chmod(tmp, 0755), 0);
	snprintf(path, sizeof(path), "%s/run/d.sock", tmp);
	assert_int_equal(ntf_server_listen(s, path, 65534), 0);

	r = client_in_child(path, -1, 0, tick_until_exit, s);
	assert_int_equal(r.err, 0);
	assert_string_equal(r.t.path, "/x/snap.ntr");
	assert_int_equal(r.t.events, 42);

	if (geteuid() == 0) {
		/* nobody, in the socket's group: may connect, may not trigger */
		r = client_in_child(path, 65534, 65534, tick_until_exit, s);
		assert_int_equal(r.err, -EACCES);
		assert_non_null(strstr(r.why, "not uid 65534's"));
		assert_int_equal(a.calls, 1);
	} else {
		print_message("    not root: a refused peer is not tried\n");
	}

	/* an older daemon's refusal is told apart */
	snprintf(old, sizeof(old), "%s/old.sock", tmp);
	memcpy(sa.sun_path, old, strlen(old) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	r = client_in_child(old, -1, 0, answer_as_older, &lfd);
	assert_int_equal(r.err, -EOPNOTSUPP);
	assert_non_null(strstr(r.why, "predates triggers"));
	close(lfd);
	unlink(old);

	/* no daemon at all */
	r = client_in_child(old, -1, 0, nothing, NULL);
	assert_int_equal(r.err, -ENOENT);
	assert_non_null(strstr(r.why, old));

	ntf_server_free(s);
	ntf_agg_free(agg);
	rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_round_trip),
		cmocka_unit_test(server_answers_its_own),
		cmocka_unit_test(unknown_peer_denied),
		cmocka_unit_test(client_over_the_socket),
	};

	return cmocka_run_group_tests_name("trigger", tests, NULL, NULL);
}
