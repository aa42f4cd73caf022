/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The arithmetic of the pictures, apart from any drawing so it is tested
 * alone: a log axis of latency with ticks a person reads at a glance (1us,
 * 10us, 100us, 1ms), a linear axis of counts, number labels, and the
 * sequential colour scale of the heat map.
 */
#ifndef NTF_PLOT_SCALE_H
#define NTF_PLOT_SCALE_H

#include <stddef.h>

/*
 * Latency lo_ns..hi_ns drawn from px0 to px1 (px1 < px0 for a vertical
 * axis that grows upwards), logarithmically.
 */
struct ntf_log_axis {
	double lo_ns, hi_ns;
	double px0, px1;
};

/*
 * An axis that holds min_ns..max_ns (0 < min_ns <= max_ns), its ends
 * widened to the nearest 1, 2 or 5 times a power of ten, and at least
 * a factor of ten wide so one bucket never fills the whole panel.
 */
void ntf_log_axis_init(struct ntf_log_axis *ax, double min_ns, double max_ns, double px0,
		       double px1);
/* Where ns falls, clamped to the axis' ends. */
double ntf_log_axis_px(const struct ntf_log_axis *ax, double ns);

/*
 * The tick values of the axis into ticks (at most max), lowest first:
 * every power of ten inside it; 2 and 5 times them too when that leaves
 * fewer than three; every other power when there are more than eight.
 * Returns how many.
 */
size_t ntf_log_ticks(const struct ntf_log_axis *ax, double *ticks, size_t max);

/*
 * A linear axis 0..top of counts: top is max rounded up to a 1, 2, 2.5 or
 * 5 step; step is the distance between ticks, four or five of them.
 */
struct ntf_count_axis {
	double top, step;
};
void ntf_count_axis_init(struct ntf_count_axis *ax, double max);

/* "1us", "250us", "1.5ms", "2s", "800ns": a tick's latency label. */
void ntf_plot_format_ns(char *buf, size_t size, double ns);
/* "0", "950", "1.2k", "35k", "4M": a count in at most four characters and a suffix. */
void ntf_plot_format_count(char *buf, size_t size, double count);

struct ntf_rgb {
	unsigned char r, g, b;
};

/*
 * The viridis scale at t (0..1, clamped): dark violet through teal and
 * green to yellow, perceptually uniform and readable in grey and by the
 * colour blind.
 */
struct ntf_rgb ntf_viridis(double t);
/*
 * A heat map cell's position on the scale: 0 for one event, 1 for max,
 * logarithmic in between (counts span decades); negative for none,
 * which is drawn empty (white).
 */
double ntf_heat_level(double count, double max);

#endif
