/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The metric names, their help, and which counters a series has: both expositions' one list. */
#ifndef NTF_PROM_FAMILIES_H
#define NTF_PROM_FAMILIES_H

#include <stdbool.h>
#include "notifier.h"
#include "prom_model.h"

#define PROM_LATENCY "notifier_latency_seconds"
#define PROM_LATENCY_HELP                                                                     \
	"Latency of MMU-notifier path events by class and driver callback (classic buckets: " \
	"the fine buckets' edges over the range in use)."
#define PROM_NATIVE "notifier_latency_native_seconds"
#define PROM_NATIVE_HELP                                                                       \
	"Latency of MMU-notifier path events, a native histogram of schema 4: notifier's own " \
	"fine buckets, one for one."
#define PROM_DROPPED "notifier_dropped_events_total"
#define PROM_DROPPED_HELP                                                                     \
	"Events lost before aggregation: ring buffer full, in-kernel histogram map full, or " \
	"in-flight map full (the call was not measured)."
#define PROM_BAD_RECORDS "notifier_bad_records_total"
#define PROM_BAD_RECORDS_HELP "Ring-buffer records that failed to decode."
#define PROM_FOLDED "notifier_folded_events_total"
#define PROM_FOLDED_HELP \
	"Events counted under a process \"other\" key because the aggregate's key bound was reached."

enum prom_counter_what {
	PROM_C_EVENTS, /* by origin */
	PROM_C_FAILURES,
	PROM_C_NONBLOCK,
	PROM_C_NESTED,
	PROM_C_REFUSALS, /* class callback's failures */
	PROM_C_PINNED, /* class pin's pages */
	PROM_C_UNPINNED, /* class unpin's pages */
};

struct prom_counter_def {
	const char *name, *help;
	enum prom_counter_what what;
	bool with_class;
};

extern const struct prom_counter_def prom_counter_defs[];

bool prom_counter_applies(const struct prom_counter_def *d, const struct prom_series *s);
__u64 prom_counter_value(const struct prom_counter_def *d, const struct prom_series *s);
/* A histogram's count: its events, never fewer than its buckets hold. */
__u64 prom_inf_count(const struct prom_series *s);

#endif
