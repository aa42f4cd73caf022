// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * POLICY and POLICY_STATE (proto.h): notifier policy load|unload|list
 * over the daemon's socket. The frames round-trip and refuse what does
 * not decode; the server lists for anyone the socket lets in but loads
 * and unloads only for a peer as privileged as itself, says the daemon's
 * words when a load fails, refuses when the daemon runs no policies, and
 * closes after one answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
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

static void request_round_trip_and_refused(void **state)
{
	struct ntf_proto_policy req = { .op = NTF_PROTO_POLICY_LOAD }, got;
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;

	(void)state;
	/* the longest path a request carries still fits what a server reads of a client */
	memset(req.path, 'p', sizeof(req.path) - 1);
	req.path[0] = '/';
	assert_int_equal(ntf_proto_put_policy(&b, &req), 0);
	assert_true(b.len - NTF_PROTO_HDR_LEN <= NTF_PROTO_MAX_CLIENT_PAYLOAD);
	f = parse_ok(b.data, b.len);
	assert_int_equal(ntf_proto_decode_policy(&f, &got), 0);
	assert_int_equal(got.op, NTF_PROTO_POLICY_LOAD);
	assert_string_equal(got.path, req.path);
	for (__u32 len = 0; len < f.len; len++) {
		struct ntf_proto_frame cut = f;

		cut.len = len;
		assert_int_equal(ntf_proto_decode_policy(&cut, &got), -EBADMSG);
	}

	/* LIST and UNLOAD carry no path; LOAD must */
	for (__u32 op = 0; op <= NTF_PROTO_POLICY_OP_MAX; op++)
		for (int with_path = 0; with_path < 2; with_path++) {
			struct ntf_proto_policy r = { .op = op };
			bool ok = op && op < NTF_PROTO_POLICY_OP_MAX &&
				  (op == NTF_PROTO_POLICY_LOAD) == with_path;

			if (with_path)
				snprintf(r.path, sizeof(r.path), "/etc/notifier/p.bpf.o");
			b.len = 0;
			assert_int_equal(ntf_proto_put_policy(&b, &r), 0);
			f = parse_ok(b.data, b.len);
			assert_int_equal(ntf_proto_decode_policy(&f, &got), ok ? 0 : -EBADMSG);
		}
	assert_string_equal(ntf_proto_type_name(NTF_PROTO_POLICY), "policy");
	ntf_proto_buf_free(&b);
}

static void state_round_trip(void **state)
{
	struct ntf_proto_policy_state st = { .backend = "portable",
					     .verdicts = { 1, 2, 3, 1ULL << 40 },
					     .judged = 77,
					     .since_ns = 123456789,
					     .loads = 3 },
				      got;
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;

	(void)state;
	snprintf(st.name, sizeof(st.name), "slow.bpf.o");
	snprintf(st.path, sizeof(st.path), "/etc/notifier/slow.bpf.o");
	assert_int_equal(ntf_proto_put_policy_state(&b, &st), 0);
	f = parse_ok(b.data, b.len);
	assert_int_equal(ntf_proto_decode_policy_state(&f, &got), 0);
	assert_string_equal(got.name, st.name);
	assert_string_equal(got.path, st.path);
	assert_string_equal(got.backend, st.backend);
	assert_memory_equal(got.verdicts, st.verdicts, sizeof(st.verdicts));
	assert_int_equal(got.judged, st.judged);
	assert_int_equal(got.since_ns, st.since_ns);
	assert_int_equal(got.loads, st.loads);
	for (__u32 len = 0; len < f.len; len++) {
		struct ntf_proto_frame cut = f;

		cut.len = len;
		assert_int_equal(ntf_proto_decode_policy_state(&cut, &got), -EBADMSG);
	}
	/* no policy: empty names decode */
	memset(&st, 0, sizeof(st));
	b.len = 0;
	assert_int_equal(ntf_proto_put_policy_state(&b, &st), 0);
	f = parse_ok(b.data, b.len);
	assert_int_equal(ntf_proto_decode_policy_state(&f, &got), 0);
	assert_string_equal(got.name, "");
	ntf_proto_buf_free(&b);
}

/* ---- the server ---- */

struct asked {
	int calls;
	__u32 op;
	char path[NTF_PROTO_PATH_LEN];
	int fail;
};

static int policy_cb(void *ctx, const struct ntf_proto_policy *req,
		     struct ntf_proto_policy_state *out, char *why, size_t why_len)
{
	struct asked *a = ctx;

	a->calls++;
	a->op = req->op;
	snprintf(a->path, sizeof(a->path), "%s", req->path);
	if (a->fail) {
		snprintf(why, why_len, "%s: the kernel refused it", req->path);
		return -a->fail;
	}
	snprintf(out->name, sizeof(out->name), "p.bpf.o");
	out->loads = 1;
	return 0;
}

/* One request through a socketpair (this process's uid): the server's last frame. */
static struct ntf_proto_frame ask(struct ntf_server *s, const struct ntf_proto_policy *req,
				  __u8 *buf, size_t cap)
{
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	size_t len = 0, off = 0, used;
	ssize_t n;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(ntf_server_add(s, sv[0], 1000));
	assert_int_equal(ntf_proto_put_policy(&b, req), 0);
	assert_int_equal(send(sv[1], b.data, b.len, 0), (ssize_t)b.len);
	for (int i = 0; i < 5; i++)
		ntf_server_tick(s, 1000);
	while ((n = recv(sv[1], buf + len, cap - len, MSG_DONTWAIT)) > 0)
		len += n;
	assert_int_equal(n, 0); /* closed once answered */
	while (off < len) {
		assert_int_equal(
			ntf_proto_parse(buf + off, len - off, NTF_PROTO_MAX_PAYLOAD, &f, &used), 0);
		off += used;
	}
	close(sv[1]);
	ntf_proto_buf_free(&b);
	return f;
}

static void server_answers(void **state)
{
	static __u8 buf[1 << 16];
	struct ntf_agg *agg = ntf_agg_new(0);
	struct asked a = {};
	struct ntf_server_opts o = { .policy = policy_cb, .ctx = &a };
	struct ntf_server *s = ntf_server_new(agg, NULL, 0, &o);
	struct ntf_proto_policy load = { .op = NTF_PROTO_POLICY_LOAD, .path = "/x/p.bpf.o" };
	struct ntf_proto_policy list = { .op = NTF_PROTO_POLICY_LIST };
	struct ntf_proto_policy_state st;
	struct ntf_server_stats stats;
	struct ntf_proto_error e;
	struct ntf_proto_frame f;

	(void)state;
	assert_non_null(s);
	f = ask(s, &load, buf, sizeof(buf));
	assert_int_equal(ntf_proto_decode_policy_state(&f, &st), 0);
	assert_string_equal(st.name, "p.bpf.o");
	assert_int_equal(a.op, NTF_PROTO_POLICY_LOAD);
	assert_string_equal(a.path, "/x/p.bpf.o");

	/* a load the daemon fails: FAILED, in its words */
	a.fail = EIO;
	f = ask(s, &load, buf, sizeof(buf));
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_FAILED);
	assert_string_equal(e.msg, "/x/p.bpf.o: the kernel refused it");
	a.fail = 0;
	f = ask(s, &list, buf, sizeof(buf));
	assert_int_equal(f.type, NTF_PROTO_POLICY_STATE);
	assert_int_equal(a.calls, 3);
	ntf_server_stats(s, &stats);
	assert_int_equal(stats.policy_requests, 2);
	assert_int_equal(stats.clients, 0);
	ntf_server_free(s);

	/* a daemon that runs no policies (-H) says so */
	o.policy = NULL;
	s = ntf_server_new(agg, NULL, 0, &o);
	f = ask(s, &list, buf, sizeof(buf));
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_UNAVAILABLE);
	assert_string_equal(e.msg, "this notifierd runs no policies");
	ntf_server_free(s);
	ntf_agg_free(agg);
}

/* Without a socket no peer is known: a list is answered, a load refused. */
static void unknown_peer_lists_only(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct asked a = {};
	struct ntf_server_opts o = { .policy = policy_cb, .ctx = &a };
	struct ntf_server *s = ntf_server_new(agg, NULL, 0, &o);
	struct ntf_proto_policy load = { .op = NTF_PROTO_POLICY_LOAD, .path = "/x/p.bpf.o" };
	struct ntf_proto_policy list = { .op = NTF_PROTO_POLICY_LIST };
	struct ntf_proto_buf b = {};
	struct ntf_proto_error e;
	struct ntf_proto_frame f;
	struct ntf_conn *c;
	const __u8 *out;
	size_t len, used;

	(void)state;
	c = ntf_server_add(s, -1, 1000);
	assert_int_equal(ntf_proto_put_policy(&b, &load), 0);
	assert_int_equal(ntf_server_input(s, c, b.data, b.len, 1000), -EACCES);
	out = ntf_server_pending(c, &len);
	assert_int_equal(ntf_proto_parse(out, len, NTF_PROTO_MAX_PAYLOAD, &f, &used), 0);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_DENIED);
	assert_int_equal(a.calls, 0);

	c = ntf_server_add(s, -1, 1000);
	b.len = 0;
	assert_int_equal(ntf_proto_put_policy(&b, &list), 0);
	assert_int_equal(ntf_server_input(s, c, b.data, b.len, 1000), 0);
	out = ntf_server_pending(c, &len);
	assert_int_equal(ntf_proto_parse(out, len, NTF_PROTO_MAX_PAYLOAD, &f, &used), 0);
	assert_int_equal(f.type, NTF_PROTO_POLICY_STATE);
	assert_int_equal(a.calls, 1);
	ntf_proto_buf_free(&b);
	ntf_server_free(s);
	ntf_agg_free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_round_trip_and_refused),
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(server_answers),
		cmocka_unit_test(unknown_peer_lists_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
