// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier hist --compare A B: two saved `hist -j` outputs side by side,
 * group by group, and whether each percentile moved by more than the
 * noise.
 *
 * The noise model. A percentile read from n events is one order
 * statistic; where the true p-quantile lies is known without assuming any
 * shape of the distribution: the number of events below it is
 * binomial(n, p), so the order statistics of ranks n*p -/+ z*sqrt(n*p*(1-p))
 * bracket it with the normal approximation's confidence (the classic
 * distribution-free interval for a quantile). We read those two ranks
 * through the histogram and take the outer edges of the buckets that hold
 * them: the interval then also covers the buckets' own resolution (4.4%
 * wide for the fine ones, 2x for log2 slots), and never passes the exact
 * min and max. A percentile "moved beyond the noise" when A's and B's
 * intervals do not overlap.
 *
 * Why 99% intervals (z = 2.576) and non-overlap: two intervals of equal
 * width that do not overlap mean a difference of more than 2 * 2.576
 * standard errors, where a two-sample test at 1% needs only 2.576 *
 * sqrt(2); the test is deliberately strict, since one compare judges four
 * percentiles of every group, and a --by breakdown can have hundreds of
 * groups: a false alarm per screen would teach people to ignore it. The
 * price: a shift smaller than about two fine buckets (5 to 9%) is never
 * called significant; the buckets could not show it anyway.
 *
 * The binomial model takes the events as independent draws. Latencies
 * come in bursts, so when a run holds several interval reports (-i) we
 * also use their spread, the batch-means method of simulation output
 * analysis: the percentile of each interval is one batch, and t(k-1) *
 * sd / sqrt(k) around the whole run's percentile bounds it however the
 * events within a batch are correlated. The interval used is the wider
 * of the two. A percentile is only batched where each interval holds at
 * least 5 events on its thin side (n_i * min(p, 1-p) >= 5), and with at
 * least 3 such intervals.
 *
 * The max has no such interval (an extreme has no distribution-free
 * bound), so its shift is shown but never judged.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "commands.h"
#include "hist_input.h"
#include "histogram.h"
#include "json_log.h"
#include "report.h"

static const char compare_usage[] =
	"Usage: notifier hist --compare [OPTIONS] A B\n"
	"\n"
	"Compares two saved runs of 'notifier hist -j' (A before, B after), group\n"
	"by group: count, p50, p90, p99, p99.9 and max of each, the shift of each\n"
	"percentile, and whether it moved beyond the noise: whether the two runs'\n"
	"99% intervals of that percentile do not overlap. A run's interval of a\n"
	"percentile spans the ranks a binomial draw of its events allows, read at\n"
	"the outer edges of the buckets that hold them; a run of several -i\n"
	"reports is taken as a whole, and their spread widens it. Trace files are\n"
	"not read yet: A and B are hist -j output ('-' for stdin).\n"
	"\n"
	"  -j, --json              one JSON object\n"
	"  -u, --microseconds      times in usecs\n"
	"  -m, --milliseconds      times in msecs\n"
	"      --min-count N       leave out groups with fewer than N events in\n"
	"                          both runs (default 1)\n"
	"  -h, --help              this help\n"
	"\n"
	"Examples:\n"
	"  notifier hist -j -d 60 > before.json; ...; notifier hist -j -d 60 > after.json\n"
	"  notifier hist --compare before.json after.json\n";

#define Z 2.576 /* 99%, two-sided */
#define MIN_THIN 5 /* events on a percentile's thin side, for an interval to batch it */

static const struct {
	double p;
	const char *name, *key;
} pcts[] = {
	{ 0.50, "p50", "p50" },
	{ 0.90, "p90", "p90" },
	{ 0.99, "p99", "p99" },
	{ 0.999, "p99.9", "p999" },
};
#define NPCT (sizeof(pcts) / sizeof(pcts[0]))

/* t quantiles at 0.995 (two-sided 99%, matching Z) by degrees of freedom. */
static double t_995(size_t df)
{
	static const double t[] = { 0,	   63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499,
				    3.355, 3.250,  3.169, 3.106, 3.055, 3.012, 2.977, 2.947,
				    2.921, 2.898,  2.878, 2.861, 2.845, 2.831, 2.819, 2.807,
				    2.797, 2.787,  2.779, 2.771, 2.763, 2.756, 2.750 };

	if (df < sizeof(t) / sizeof(t[0]))
		return t[df];
	return df <= 40 ? 2.704 : df <= 60 ? 2.660 : df <= 120 ? 2.617 : Z;
}

struct compare_args {
	const char *files[2];
	bool json;
	enum ntf_unit unit;
	__u64 min_count;
};

/* One side of one group: its numbers and each percentile's interval. */
struct side {
	const struct ntf_hist_group *g; /* NULL: not in this run, or no events */
	double est[NPCT], lo[NPCT], hi[NPCT];
	bool batched[NPCT];
};

struct run {
	struct ntf_hist_run run;
	struct ntf_hist_report total;
};

static void parse_compare_args(int argc, char **argv, struct compare_args *a)
{
	static const struct option options[] = {
		{ "compare", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "microseconds", no_argument, NULL, 'u' },
		{ "milliseconds", no_argument, NULL, 'm' },
		{ "min-count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, nfiles = 0;

	a->min_count = 1;
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, "jumh", options, NULL)) != -1) {
		switch (opt) {
		case 'C': break;
		case 'j': a->json = true; break;
		case 'u': a->unit = NTF_UNIT_US; break;
		case 'm': a->unit = NTF_UNIT_MS; break;
		case 'n': a->min_count = ntf_arg_u64("--min-count", optarg, 0, ~0ULL); break;
		case 'h': fputs(compare_usage, stdout); exit(0);
		default:
			ntf_usage_error("unknown or incomplete option '%s' (with --compare)",
					ntf_bad_option(argv));
		}
	}
	for (; optind < argc; optind++) {
		if (nfiles == 2)
			ntf_usage_error("--compare takes two files, A and B: unexpected '%s'",
					argv[optind]);
		a->files[nfiles++] = argv[optind];
	}
	if (nfiles < 2)
		ntf_usage_error("--compare needs two saved 'hist -j' outputs, A and B; got %d",
				nfiles);
}

/* Reads a file into r (its reports and their total): 0, or an exit status. */
static int load(const char *path, struct run *r)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *in = is_stdin ? stdin : fopen(path, "r");
	char err[512];
	int ret;

	if (!in)
		ntf_usage_error("cannot open %s: %s", path, strerror(errno));
	ret = ntf_hist_run_read(in, is_stdin ? "stdin" : path, &r->run, err, sizeof(err));
	if (!is_stdin)
		fclose(in);
	if (ret) {
		ntf_err("%s", ret == -EINVAL ? err : strerror(-ret));
		return NTF_EXIT_RUNTIME;
	}
	ret = ntf_hist_run_total(&r->run, &r->total);
	if (ret) {
		ntf_err("%s: %s", path, strerror(-ret));
		ntf_hist_run_free(&r->run);
		return NTF_EXIT_RUNTIME;
	}
	return 0;
}

static __u64 group_count(const struct ntf_hist_group *g)
{
	return g->fine.n ? ntf_buckets_total(&g->fine) : g->hist.count;
}

/* The edges (low, high] in ns of the bucket that holds the event of rank (from 1). */
static void rank_edges(const struct ntf_hist_group *g, __u64 rank, double *lo, double *hi)
{
	__u64 seen = 0;

	*lo = *hi = (double)g->hist.max_ns;
	if (g->fine.n) {
		for (__u32 i = 0; i < g->fine.n; i++) {
			seen += ntf_bucket_count(&g->fine.b[i]);
			if (seen >= rank) {
				*lo = ntf_bucket_low(g->fine.b[i].index);
				*hi = ntf_bucket_high(g->fine.b[i].index);
				break;
			}
		}
	} else {
		for (unsigned int i = 0; i < NTF_HIST_SLOTS; i++) {
			seen += g->hist.slots[i];
			if (seen >= rank) {
				*lo = (double)ntf_hist_slot_low(i);
				*hi = (double)ntf_hist_slot_high(i) + 1;
				break;
			}
		}
	}
	/* the exact extremes bound every event */
	if (*lo < (double)g->hist.min_ns)
		*lo = (double)g->hist.min_ns;
	if (*hi > (double)g->hist.max_ns)
		*hi = (double)g->hist.max_ns;
	if (*lo > *hi)
		*lo = *hi;
}

/* The binomial interval of the p-quantile, read at the buckets' outer edges. */
static void rank_interval(const struct ntf_hist_group *g, double p, double *lo, double *hi)
{
	double n = (double)group_count(g), sd = sqrt(n * p * (1 - p)), dummy;
	double rlo = floor(n * p - Z * sd), rhi = ceil(n * p + Z * sd);

	rlo = rlo < 1 ? 1 : rlo > n ? n : rlo;
	rhi = rhi < 1 ? 1 : rhi > n ? n : rhi;
	rank_edges(g, (__u64)rlo, lo, &dummy);
	rank_edges(g, (__u64)rhi, &dummy, hi);
}

/* The group labelled like want in r: at index hint when the runs list alike, else searched. */
static const struct ntf_hist_group *find_hint(const struct ntf_hist_report *r, const char *label,
					      size_t hint)
{
	if (hint < r->n && !strcmp(r->groups[hint].label, label))
		return &r->groups[hint];
	return ntf_hist_report_find(r, label);
}

/* Widens the interval of percentile k by the spread of the run's interval reports. */
static void batch_means(const struct ntf_hist_run *run, const char *label, size_t hint, size_t k,
			struct side *s)
{
	double p = pcts[k].p, thin = p < 0.5 ? p : 1 - p, sum = 0, sq = 0, mean, sd, hw;
	size_t nb = 0;

	if (run->n < 3)
		return;
	for (size_t i = 0; i < run->n; i++) {
		const struct ntf_hist_group *g = find_hint(&run->reports[i], label, hint);
		double q;

		if (!g || (double)group_count(g) * thin < MIN_THIN)
			continue;
		q = ntf_hist_pct(&g->hist, &g->fine, p);
		sum += q;
		sq += q * q;
		nb++;
	}
	if (nb < 3)
		return;
	mean = sum / nb;
	sd = sqrt(fmax(0, (sq - nb * mean * mean) / (nb - 1)));
	hw = t_995(nb - 1) * sd / sqrt((double)nb);
	s->batched[k] = true;
	if (s->est[k] - hw < s->lo[k])
		s->lo[k] = fmax(0, s->est[k] - hw);
	if (s->est[k] + hw > s->hi[k])
		s->hi[k] = s->est[k] + hw;
}

static void side_fill(struct side *s, const struct run *r, const char *label, size_t hint)
{
	memset(s, 0, sizeof(*s));
	s->g = find_hint(&r->total, label, hint);
	if (!s->g || !group_count(s->g)) {
		s->g = NULL;
		return;
	}
	for (size_t k = 0; k < NPCT; k++) {
		s->est[k] = ntf_hist_pct(&s->g->hist, &s->g->fine, pcts[k].p);
		rank_interval(s->g, pcts[k].p, &s->lo[k], &s->hi[k]);
		/* the estimate is read at a bucket's middle: inside its own interval */
		s->lo[k] = fmin(s->lo[k], s->est[k]);
		s->hi[k] = fmax(s->hi[k], s->est[k]);
		batch_means(&r->run, label, hint, k, s);
	}
}

enum verdict { SAME, SLOWER, FASTER, MIXED, NEW, GONE };
static const char *const verdict_names[] = { "same", "slower", "faster", "mixed", "new", "gone" };

/* -1 faster, 1 slower, 0 within the noise. */
static int moved(const struct side *a, const struct side *b, size_t k)
{
	if (a->hi[k] < b->lo[k])
		return 1;
	if (b->hi[k] < a->lo[k])
		return -1;
	return 0;
}

static enum verdict judge(const struct side *a, const struct side *b)
{
	bool up = false, down = false;

	if (!a->g)
		return NEW;
	if (!b->g)
		return GONE;
	for (size_t k = 0; k < NPCT; k++) {
		int m = moved(a, b, k);

		up |= m > 0;
		down |= m < 0;
	}
	return up && down ? MIXED : up ? SLOWER : down ? FASTER : SAME;
}

static void fmt_time(char *buf, size_t size, double ns, enum ntf_unit unit)
{
	switch (unit) {
	case NTF_UNIT_US: snprintf(buf, size, "%.1f", ns / 1e3); break;
	case NTF_UNIT_MS: snprintf(buf, size, "%.3f", ns / 1e6); break;
	default: ntf_format_ns(buf, size, (__u64)llround(ns));
	}
}

static void fmt_shift(char *abs, char *pct, size_t size, double a, double b, enum ntf_unit unit)
{
	char t[32];

	fmt_time(t, sizeof(t), fabs(b - a), unit);
	snprintf(abs, size, "%c%s", b < a ? '-' : '+', t);
	if (a > 0)
		snprintf(pct, size, "%+.1f%%", 100 * (b - a) / a);
	else
		snprintf(pct, size, "%s", "-");
}

static void print_row(const char *name, const struct side *a, const struct side *b, double va,
		      double vb, int mark, enum ntf_unit unit)
{
	char sa[32] = "-", sb[32] = "-", abs[40] = "", pct[40] = "", line[160];
	size_t len;

	if (a->g)
		fmt_time(sa, sizeof(sa), va, unit);
	if (b->g)
		fmt_time(sb, sizeof(sb), vb, unit);
	if (a->g && b->g)
		fmt_shift(abs, pct, sizeof(abs), va, vb, unit);
	snprintf(line, sizeof(line), "  %-7s %11s %11s %11s %8s%s", name, sa, sb, abs, pct,
		 mark ? "  *" : "");
	/* no trailing blanks where a side has no shift */
	for (len = strlen(line); len && line[len - 1] == ' '; len--)
		line[len - 1] = '\0';
	puts(line);
}

static void print_group(const char *label, const struct side *a, const struct side *b,
			enum verdict v, enum ntf_unit unit)
{
	static const char *const say[] = {
		[SAME] = "within the noise", [SLOWER] = "slower",
		[FASTER] = "faster",	     [MIXED] = "mixed: some percentiles up, some down",
		[NEW] = "new: only in B",    [GONE] = "gone: only in A",
	};
	char ca[24] = "-", cb[24] = "-";

	printf("\n%s: %s\n", label, say[v]);
	printf("  %-7s %11s %11s %11s\n", "", "A", "B", "shift");
	if (a->g)
		snprintf(ca, sizeof(ca), "%llu", (unsigned long long)a->g->hist.count);
	if (b->g)
		snprintf(cb, sizeof(cb), "%llu", (unsigned long long)b->g->hist.count);
	printf("  %-7s %11s %11s\n", "count", ca, cb);
	for (size_t k = 0; k < NPCT; k++)
		print_row(pcts[k].name, a, b, a->est[k], b->est[k],
			  a->g && b->g ? moved(a, b, k) : 0, unit);
	print_row("max", a, b, a->g ? (double)a->g->hist.max_ns : 0,
		  b->g ? (double)b->g->hist.max_ns : 0, 0, unit);
}

static json_t *side_json(const struct side *s)
{
	json_t *o;

	if (!s->g)
		return json_null();
	o = json_pack("{sI sI}", "count", (json_int_t)s->g->hist.count, "max_ns",
		      (json_int_t)s->g->hist.max_ns);
	for (size_t k = 0; k < NPCT; k++) {
		char key[32];

		snprintf(key, sizeof(key), "%s_ns", pcts[k].key);
		json_object_set_new(o, key, json_real(s->est[k]));
		snprintf(key, sizeof(key), "%s_interval_ns", pcts[k].key);
		json_object_set_new(o, key, json_pack("[ff]", s->lo[k], s->hi[k]));
	}
	return o;
}

static json_t *shift_json(double a, double b, int m, bool judged)
{
	json_t *o = json_pack("{sf}", "ns", b - a);

	json_object_set_new(o, "pct", a > 0 ? json_real(100 * (b - a) / a) : json_null());
	if (judged)
		json_object_set_new(o, "significant", json_boolean(m != 0));
	return o;
}

static json_t *group_json(const char *label, const struct side *a, const struct side *b,
			  enum verdict v)
{
	json_t *o = json_pack("{ss ss sb}", "label", label, "verdict", verdict_names[v],
			      "significant", v == SLOWER || v == FASTER || v == MIXED);

	json_object_set_new(o, "a", side_json(a));
	json_object_set_new(o, "b", side_json(b));
	if (a->g && b->g) {
		json_t *shift = json_object();

		for (size_t k = 0; k < NPCT; k++)
			json_object_set_new(shift, pcts[k].key,
					    shift_json(a->est[k], b->est[k], moved(a, b, k), true));
		json_object_set_new(
			shift, "max",
			shift_json((double)a->g->hist.max_ns, (double)b->g->hist.max_ns, 0, false));
		json_object_set_new(o, "shift", shift);
	}
	return o;
}

static json_t *run_json(const struct run *r)
{
	return json_pack("{ss sI sI}", "file", r->run.name, "reports", (json_int_t)r->run.n,
			 "elapsed_ms", (json_int_t)r->total.elapsed_ms);
}

/* Compares one group, printed or appended to arr. */
static void compare_group(const struct compare_args *args, const struct run *ra,
			  const struct run *rb, const char *label, size_t hint, json_t *arr)
{
	struct side a, b;
	enum verdict v;

	side_fill(&a, ra, label, hint);
	side_fill(&b, rb, label, hint);
	if ((!a.g || a.g->hist.count < args->min_count) &&
	    (!b.g || b.g->hist.count < args->min_count))
		return;
	if (!a.g && !b.g)
		return;
	v = judge(&a, &b);
	if (arr)
		json_array_append_new(arr, group_json(label, &a, &b, v));
	else
		print_group(label, &a, &b, v, args->unit);
}

int cmd_hist_compare(int argc, char **argv)
{
	struct compare_args args = {};
	struct run runs[2] = {};
	json_t *arr = NULL;
	int ret;

	parse_compare_args(argc, argv, &args);
	if (args.json)
		ntf_log_json();
	for (int i = 0; i < 2; i++) {
		ret = load(args.files[i], &runs[i]);
		if (ret) {
			if (i) {
				ntf_hist_report_free(&runs[0].total);
				ntf_hist_run_free(&runs[0].run);
			}
			return ret;
		}
	}
	if (args.json) {
		arr = json_array();
	} else {
		for (int i = 0; i < 2; i++)
			printf("%c: %s, %zu report%s, %.1f s\n", 'A' + i, runs[i].run.name,
			       runs[i].run.n, runs[i].run.n == 1 ? "" : "s",
			       runs[i].total.elapsed_ms / 1000.0);
	}
	/* A's groups in A's order, then those only B has */
	for (size_t i = 0; i < runs[0].total.n; i++)
		compare_group(&args, &runs[0], &runs[1], runs[0].total.groups[i].label, i, arr);
	for (size_t i = 0; i < runs[1].total.n; i++) {
		const char *label = runs[1].total.groups[i].label;

		if (!find_hint(&runs[0].total, label, i))
			compare_group(&args, &runs[0], &runs[1], label, i, arr);
	}
	if (arr) {
		json_t *root = json_pack("{so so sf so}", "a", run_json(&runs[0]), "b",
					 run_json(&runs[1]), "confidence", 0.99, "groups", arr);

		json_dumpf(root, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		printf("\n* beyond the noise: the runs' 99%% intervals do not overlap\n");
	}
	for (int i = 0; i < 2; i++) {
		ntf_hist_report_free(&runs[i].total);
		ntf_hist_run_free(&runs[i].run);
	}
	return 0;
}
