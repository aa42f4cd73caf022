// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "clock.h"
#include "top_feed.h"

/*
 * Stand-in until the daemon feed exists: "no daemon here". notifier-top is
 * linked from the objects, not the archive, so a strong definition in
 * top_feed_daemon.c replaces this one (an archive member would never be
 * pulled in to override a weak symbol that is already defined).
 */
__attribute__((weak)) struct top_feed *top_feed_daemon_new(const char *socket_path)
{
	(void)socket_path;
	errno = ENOTCONN;
	return NULL;
}

void top_feed_counters(struct top_feed *f, struct top_feed_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (f->ops->counters)
		f->ops->counters(f, out);
}

__u64 top_feed_clock_ms(struct top_feed *f)
{
	return f->ops->clock_ms ? f->ops->clock_ms(f) : ntf_now_ms();
}

void top_feed_horizon(struct top_feed *f, __u64 ms)
{
	if (f->ops->horizon)
		f->ops->horizon(f, ms);
}

double top_feed_wall_s(struct top_feed *f)
{
	return f->ops->wall_s ? f->ops->wall_s(f) : ntf_wall_s();
}

void top_feed_free(struct top_feed *f)
{
	if (f)
		f->ops->free(f);
}

unsigned int top_probes_live(const struct ntf_probe_state *probes,
			     unsigned int per_mech[NTF_MECH_MAX])
{
	unsigned int live = 0;

	memset(per_mech, 0, NTF_MECH_MAX * sizeof(per_mech[0]));
	for (unsigned int i = 0; probes && i < ntf_probe_count; i++) {
		if (!probes[i].attached)
			continue;
		live++;
		if (probes[i].mech < NTF_MECH_MAX)
			per_mech[probes[i].mech]++;
	}
	return live;
}
