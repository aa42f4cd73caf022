// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The picture as a whole: its size (known once the parts are laid out,
 * so they are drawn into memory first), title and subtitle, the parts in
 * order, and the file it goes to, replaced whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "plot_int.h"
#include "svg_out.h"

/* "10 reports over 10 s from 2024-05-01 12:00:03 UTC; 3 groups with events" */
static void subtitle(const struct plot *p, char *buf, size_t size)
{
	const struct ntf_hist_run *run = p->run;
	size_t len;

	if (run->n > 1)
		len = (size_t)snprintf(buf, size, "%zu reports", run->n);
	else
		len = (size_t)snprintf(buf, size, "one report");
	if (!strcmp(p->time_unit, "s") && len < size) {
		double secs = p->t1[run->n - 1] - p->t0[0];

		if (secs < 120)
			len += (size_t)snprintf(buf + len, size - len, " over %.3g s", secs);
		else if (secs < 7200)
			len += (size_t)snprintf(buf + len, size - len, " over %.3g min", secs / 60);
		else
			len += (size_t)snprintf(buf + len, size - len, " over %.3g h", secs / 3600);
	}
	if (p->t_wall0 > 0 && len < size) {
		time_t t = (time_t)p->t_wall0;
		struct tm tm;
		char when[32];

		if (gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
			len += (size_t)snprintf(buf + len, size - len, " from %s UTC", when);
	}
	if (len < size)
		snprintf(buf + len, size - len, "; %zu group%s with events", p->ndrawn + p->nflat,
			 p->ndrawn + p->nflat == 1 ? "" : "s");
}

int plot_svg_document(FILE *out, const struct plot *p, bool with_prolog)
{
	char title[512], sub[256], *body = NULL;
	size_t body_len = 0;
	double y = 64, h;
	FILE *mem = open_memstream(&body, &body_len);
	int err;

	if (!mem)
		return -ENOMEM;
	plot_title(p, title, sizeof(title));
	subtitle(p, sub, sizeof(sub));
	{
		char fitted[sizeof(title) + 4];

		ntf_svg_fit_text(fitted, sizeof(fitted), title, 18, PLOT_WIDTH - 2 * PLOT_MARGIN);
		ntf_svg_text(mem, PLOT_MARGIN, 30, 18, NTF_SVG_START,
			     "font-weight=\"bold\" fill=\"" PLOT_INK "\" class=\"title\"", fitted);
	}
	ntf_svg_text(mem, PLOT_MARGIN, 50, 12, NTF_SVG_START,
		     "fill=\"" PLOT_MUTED "\" class=\"subtitle\"", sub);
	err = plot_heat_section(mem, p, y, &h);
	y += h ? h + 8 : 0;
	if (!err)
		err = plot_dist_section(mem, p, y, &h);
	y += h;
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		free(body);
		return err;
	}
	if (with_prolog)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"notifier-plot\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" " PLOT_FONT ">\n",
		PLOT_WIDTH, y + PLOT_MARGIN, PLOT_WIDTH, y + PLOT_MARGIN);
	fputs("<title>", out);
	ntf_xml_fputs(out, title);
	fputs("</title>\n", out);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
	fwrite(body, 1, body_len, out);
	fputs("</svg>\n", out);
	free(body);
	return 0;
}

int ntf_plot_svg(FILE *out, const struct ntf_hist_run *run, const struct ntf_plot_opts *opts)
{
	struct plot p;
	int err = plot_prepare(&p, run, opts);

	if (err)
		return err;
	err = plot_svg_document(out, &p, true);
	plot_release(&p);
	return err;
}

int ntf_plot_write(const char *path, bool html, const struct ntf_hist_run *run,
		   const struct ntf_plot_opts *opts, char *err, size_t errlen)
{
	char tmp[4096], dir[4096], base[4096];
	mode_t mask;
	FILE *out;
	int fd, ret;

	if (!run->n) {
		snprintf(err, errlen, "%s: no report to draw", path);
		return -EINVAL;
	}
	if (!strcmp(path, "-")) {
		ret = html ? ntf_plot_html(stdout, run, opts) : ntf_plot_svg(stdout, run, opts);
		if (!ret && fflush(stdout))
			ret = -errno;
		if (ret)
			snprintf(err, errlen, "cannot write the %s to stdout: %s",
				 html ? "page" : "picture", strerror(-ret));
		return ret;
	}
	/* a temporary file beside path: the rename is then atomic */
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir), basename(base)) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return ret;
	}
	/* as a file created the usual way would be, not mkstemp's 0600 */
	mask = umask(0);
	umask(mask);
	out = fdopen(fd, "w");
	if (!out) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	ret = html ? ntf_plot_html(out, run, opts) : ntf_plot_svg(out, run, opts);
	if (!ret && fflush(out))
		ret = -errno;
	if (!ret && ferror(out))
		ret = -EIO;
	if (!ret && fchmod(fd, 0666 & ~mask))
		ret = -errno;
	if (fclose(out) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (!ret)
		return 0;
fail:
	unlink(tmp);
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
	return ret;
}
