/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A trace file played back in its own time, for notifier-top --replay
 * and notifier hist --input: an event comes out, in the file's order,
 * once the replay's clock has passed its ts_ns.
 *
 * The clock counts nanoseconds of the recording from its start (the
 * origin). It runs at a speed factor times the monotonic clock, or, at
 * speed 0, as far as it may at once; and never past the horizon the
 * caller sets. A caller that cuts the recording into intervals sets the
 * horizon to an interval's end and reads the clock: an interval then
 * holds exactly the events whose ts_ns fall in it, however fast it was
 * played. An event the file holds after a later one (the file keeps the
 * order events ended in) comes out as soon as it is reached.
 *
 * Once the file is read to its end, or to where it could not be read
 * further, the clock stops there: just past the last event's ts_ns.
 */
#ifndef NTF_REPLAY_H
#define NTF_REPLAY_H

#include <stdbool.h>
#include <linux/types.h>
#include "record.h"

struct ntf_replay;

/*
 * Takes r (closed with the replay, or at once when it cannot be made)
 * and reads its first event. speed: recording seconds per second, 0 as
 * fast as possible. 0 and *out, or -ENOMEM or -EINVAL (speed).
 */
int ntf_replay_new(struct ntf_replay **out, struct ntf_rec_reader *r, double speed);
void ntf_replay_free(struct ntf_replay *p);
struct ntf_rec_reader *ntf_replay_reader(const struct ntf_replay *p);
/*
 * The recording's start on the events' clock (ts_ns): META's monotonic
 * start, or the first event's time when that is older or META has no
 * start (events of a source not on CLOCK_MONOTONIC).
 */
__u64 ntf_replay_origin(const struct ntf_replay *p);
/* Where the clock stands, in ns from the origin. */
__u64 ntf_replay_pos(const struct ntf_replay *p);
/*
 * Lets the clock run up to ns from the origin. It starts at 0, so
 * nothing plays before a first horizon.
 */
void ntf_replay_set_horizon(struct ntf_replay *p, __u64 ns);
/* Stops the clock, or starts it again from where it stood. */
void ntf_replay_pause(struct ntf_replay *p, bool paused);
/*
 * Hands fn the events the clock has passed; when there are none, waits
 * up to timeout_ms of real time for the clock to reach the next one (or
 * the horizon), and hands those. Returns how many it handed, fn's
 * non-zero result, or -ENODATA once every event was handed (done).
 */
int ntf_replay_poll(struct ntf_replay *p, int timeout_ms, ntf_event_fn fn, void *ctx);
/* Whether the end was reached: the clock then stands at the recording's end. */
bool ntf_replay_done(const struct ntf_replay *p);
/*
 * The reader's error when a damaged block ended the replay early (its
 * status says where and why), else 0.
 */
int ntf_replay_error(const struct ntf_replay *p);

#endif
