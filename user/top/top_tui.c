// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier-top's full-screen view: header, one status line, the rows of
 * the current view; keys switch views, sort, filter, pause, change the
 * interval. The feed keeps flowing while a prompt is open, so a live ring
 * buffer is never left to fill up behind the keyboard.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "top_format.h"
#include "top_tui.h"
#include <curses.h> /* last: its macros (refresh, ...) would rewrite our headers */

#define SLICE_MS 50 /* longest a key waits for an answer */
#define STATUS_MS 4000 /* how long a message stays */
#define NOTE_MS 10000
#define FIRST_ROW (TOP_HEADER_LINES + 2) /* header, status line, column header */

enum { PAIR_WARN = 1, PAIR_BAD };

enum prompt { PROMPT_NONE, PROMPT_FILTER, PROMPT_SORT, PROMPT_DELAY };

struct tui {
	struct top_app *app;
	size_t scroll;
	bool help, colors;
	enum prompt prompt;
	char input[64];
	size_t input_len;
	char status[160];
	__u64 status_until, note_until, next_ms;
};

static volatile sig_atomic_t screen_on;

/*
 * A crash must not leave the terminal raw and on the alternate screen.
 * endwin() is not async-signal-safe, but the process is going down anyway;
 * SA_RESETHAND makes the raise below take the default action (a core).
 */
static void on_fatal(int sig)
{
	if (screen_on)
		endwin();
	raise(sig);
}

static void install_fatal_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa = { .sa_handler = on_fatal, .sa_flags = SA_RESETHAND | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void say(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof(t->status), fmt, ap);
	va_end(ap);
	t->status_until = ntf_now_ms() + STATUS_MS;
}

static const char *const help_text[] = {
	"notifier-top keys",
	"",
	"  1-7, Tab     views: 1 driver  2 process  3 driver x process",
	"               4 event type  5 fence waits  6 pins  7 reclaim/unmap",
	"  < >          sort by the column to the left / right",
	"  s            sort by a column named at the prompt (p99, rate, fail, ...)",
	"  r            reverse the sort order",
	"  /            filter: pid N, comm TEXT, driver NAME (or sub N), class LIST,",
	"               cgroup PATH (that cgroup and below, as in /proc/PID/cgroup);",
	"               a bare number is a pid, a bare word a comm; empty clears",
	"  a            show rows idle in the interval too",
	"  p Space      pause / resume (a replay: its clock stops too)",
	"  + - d        longer / shorter interval, or type one in seconds",
	"  Up Down PgUp PgDn Home End   scroll",
	"  h ?          this help;  q  quit",
	"",
	"Colours: P99 over 1 ms yellow, over 10 ms red; failures red.",
	"Subscriber 0 shows as \"all\": the notifier chain as a whole (invalidate",
	"start/end), not one driver's callback. notifier-top --help describes",
	"every column.",
	"",
	"Any key goes back.",
};

static void draw_help(void)
{
	for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
		mvaddnstr(i, 0, help_text[i], COLS);
}

static void draw_status(struct tui *t, int y)
{
	static const char *const labels[] = {
		[PROMPT_FILTER] = "filter (pid, comm, sub, class): ",
		[PROMPT_SORT] = "sort by column: ",
		[PROMPT_DELAY] = "interval in seconds: ",
	};
	__u64 now = ntf_now_ms();
	char line[256];

	if (t->prompt) {
		snprintf(line, sizeof(line), "%s%s", labels[t->prompt], t->input);
		attron(A_BOLD);
		mvaddnstr(y, 0, line, COLS);
		attroff(A_BOLD);
		return;
	}
	if (t->status[0] && now < t->status_until)
		mvaddnstr(y, 0, t->status, COLS);
	else if (t->app->note[0] && now < t->note_until)
		mvaddnstr(y, 0, t->app->note, COLS);
	else if (top_app_over(t->app))
		/* the last screen stays, with how the recording ended */
		mvaddnstr(y, 0, t->app->feed->end_why, COLS);
	else if (!t->app->samples)
		mvaddnstr(y, 0, "collecting the first interval...", COLS);
	else
		mvaddnstr(y, 0,
			  "h help  q quit  1-7 view  < > s sort  r reverse  / filter  "
			  "p pause",
			  COLS);
}

/* Thresholds: slow p99s and any failure stand out. */
static void colour_cells(const struct top_layout *l, const struct top_row *r, int y)
{
	int x = 0;

	for (unsigned int i = 0; i < l->n && x < COLS; x += l->width[i] + 1, i++) {
		enum top_col c = l->cols[i];
		int pair = 0, w = (int)l->width[i] < COLS - x ? (int)l->width[i] : COLS - x;

		if (c == TOP_COL_P99 && !isnan(r->v[c]))
			pair = r->v[c] > 10e6 ? PAIR_BAD : r->v[c] > 1e6 ? PAIR_WARN : 0;
		else if (c == TOP_COL_FAIL && r->v[c] > 0)
			pair = PAIR_BAD;
		if (pair)
			mvchgat(y, x, w, A_BOLD, pair, NULL);
	}
}

static void draw(struct tui *t)
{
	struct top_app *app = t->app;
	enum top_view view = app->opts.query.view;
	size_t n = top_model_rows(app->model), shown;
	struct top_layout l;
	char line[512];
	int x = 0;

	erase();
	if (t->help) {
		draw_help();
		refresh();
		return;
	}
	for (unsigned int i = 0; i < TOP_HEADER_LINES; i++) {
		top_header_line(app, i, line, sizeof(line));
		mvaddnstr(i, 0, line, COLS);
	}
	draw_status(t, TOP_HEADER_LINES);
	top_layout(view, COLS, &l);
	top_format_line(line, sizeof(line), &l, view, NULL);
	mvaddnstr(FIRST_ROW - 1, 0, line, COLS);
	mvchgat(FIRST_ROW - 1, 0, -1, A_REVERSE, 0, NULL);
	for (unsigned int i = 0; i < l.n && x < COLS; x += l.width[i] + 1, i++)
		if (l.cols[i] == app->opts.query.sort)
			mvchgat(FIRST_ROW - 1, x, l.width[i], A_REVERSE | A_BOLD | A_UNDERLINE, 0,
				NULL);
	if (app->opts.rows && app->opts.rows < n)
		n = app->opts.rows;
	shown = LINES > FIRST_ROW ? LINES - FIRST_ROW : 0;
	if (t->scroll + shown > n)
		t->scroll = n > shown ? n - shown : 0;
	for (size_t k = 0; k < shown && t->scroll + k < n; k++) {
		const struct top_row *r = top_model_row(app->model, t->scroll + k);

		top_format_line(line, sizeof(line), &l, view, r);
		mvaddnstr(FIRST_ROW + k, 0, line, COLS);
		if (t->colors)
			colour_cells(&l, r, FIRST_ROW + k);
	}
	refresh();
}

static void requery(struct tui *t)
{
	if (top_app_requery(t->app))
		say(t, "out of memory");
}

static void set_view(struct tui *t, enum top_view view)
{
	struct top_query *q = &t->app->opts.query;

	q->view = view;
	if (!top_view_has_col(view, q->sort)) {
		q->sort = TOP_COL_RATE;
		q->ascending = top_col_default_ascending(q->sort);
	}
	t->scroll = 0;
	requery(t);
}

static void set_sort(struct tui *t, enum top_col col)
{
	struct top_query *q = &t->app->opts.query;

	q->sort = col;
	q->ascending = top_col_default_ascending(col);
	top_model_sort(t->app->model, q->sort, q->ascending);
}

/* The next column of the view, left or right, wrapping around. */
static void step_sort(struct tui *t, int dir)
{
	const struct top_query *q = &t->app->opts.query;
	const enum top_col *cols;
	unsigned int n = top_view_cols(q->view, &cols), i = 0;

	while (i < n && cols[i] != q->sort)
		i++;
	set_sort(t, cols[(i + n + dir) % n]);
}

static void set_interval(struct tui *t, __u64 ms)
{
	t->app->opts.interval_ms = ms;
	/* by the feed's clock, as every interval */
	t->next_ms = t->app->last_ms + ms;
	say(t, "interval %gs", ms / 1000.0);
}

/* The next step of a 1-2-5 ladder up or down. */
static void step_interval(struct tui *t, int dir)
{
	static const __u64 steps[] = { 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000 };
	const size_t n = sizeof(steps) / sizeof(steps[0]);
	__u64 cur = t->app->opts.interval_ms;

	for (size_t k = 0; k < n; k++) {
		size_t i = dir > 0 ? k : n - 1 - k;

		if (dir > 0 ? steps[i] > cur : steps[i] < cur) {
			set_interval(t, steps[i]);
			return;
		}
	}
}

static void toggle_pause(struct tui *t)
{
	struct top_app *app = t->app;

	if (top_app_pause(app, !app->paused))
		say(t, "out of memory");
	/* a stopped clock resumes its interval; a live one starts afresh */
	if (!app->paused)
		t->next_ms = app->last_ms + app->opts.interval_ms;
}

/* "2", "0.5", "1.5s", "300ms" to milliseconds; 0 when not a duration. */
static __u64 parse_interval(const char *s)
{
	double v, scale = 1000;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return 0;
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (*end && strcmp(end, "s"))
		return 0;
	v *= scale;
	return v >= 10 && v <= 3600e3 ? (__u64)(v + 0.5) : 0;
}

static void accept_prompt(struct tui *t)
{
	struct top_query *q = &t->app->opts.query;
	struct top_filter f;
	char err[128], text[96];
	enum top_col col;
	__u64 ms;

	switch (t->prompt) {
	case PROMPT_FILTER:
		if (top_filter_parse(t->input, &f, err, sizeof(err))) {
			say(t, "%s", err);
			break;
		}
		q->filter = f;
		t->scroll = 0;
		requery(t);
		top_filter_format(&f, text, sizeof(text));
		say(t, "filter: %s", text);
		break;
	case PROMPT_SORT:
		col = top_col_from_name(t->input);
		if (col == TOP_COL_COUNT || !top_view_has_col(q->view, col))
			say(t, "no column '%s' in this view", t->input);
		else
			set_sort(t, col);
		break;
	case PROMPT_DELAY:
		ms = parse_interval(t->input);
		if (ms)
			set_interval(t, ms);
		else
			say(t, "'%s': want seconds from 0.01 to 3600", t->input);
		break;
	case PROMPT_NONE: break;
	}
	t->prompt = PROMPT_NONE;
}

static void prompt_key(struct tui *t, int ch)
{
	switch (ch) {
	case '\n':
	case '\r':
	case KEY_ENTER: accept_prompt(t); break;
	case 27: /* Esc */ t->prompt = PROMPT_NONE; break;
	case KEY_BACKSPACE:
	case 127:
	case '\b':
		if (t->input_len)
			t->input[--t->input_len] = '\0';
		break;
	default:
		if (ch >= ' ' && ch < 127 && t->input_len + 1 < sizeof(t->input)) {
			t->input[t->input_len++] = ch;
			t->input[t->input_len] = '\0';
		}
	}
}

static void open_prompt(struct tui *t, enum prompt p)
{
	t->prompt = p;
	t->input[0] = '\0';
	t->input_len = 0;
}

static void scroll_by(struct tui *t, long delta)
{
	if (delta < 0 && (size_t)-delta > t->scroll)
		t->scroll = 0;
	else
		t->scroll += delta; /* draw() clamps the far end */
}

/* Returns false to quit. */
static bool handle_key(struct tui *t, int ch)
{
	struct top_query *q = &t->app->opts.query;
	long page = LINES > FIRST_ROW + 1 ? LINES - FIRST_ROW - 1 : 1;

	t->note_until = 0; /* a key means the note was read */
	if (t->prompt) {
		prompt_key(t, ch);
		return true;
	}
	if (t->help) {
		t->help = false;
		return true;
	}
	switch (ch) {
	case 'q': return false;
	case '\t': set_view(t, (q->view + 1) % TOP_VIEW_MAX); break;
	case KEY_BTAB: set_view(t, (q->view + TOP_VIEW_MAX - 1) % TOP_VIEW_MAX); break;
	case '<': step_sort(t, -1); break;
	case '>': step_sort(t, 1); break;
	case 's': open_prompt(t, PROMPT_SORT); break;
	case 'r':
		q->ascending = !q->ascending;
		top_model_sort(t->app->model, q->sort, q->ascending);
		break;
	case '/': open_prompt(t, PROMPT_FILTER); break;
	case 'a':
		q->all = !q->all;
		requery(t);
		say(t, q->all ? "showing idle rows too" : "hiding idle rows");
		break;
	case 'p':
	case ' ': toggle_pause(t); break;
	case '+': step_interval(t, 1); break;
	case '-': step_interval(t, -1); break;
	case 'd': open_prompt(t, PROMPT_DELAY); break;
	case 'h':
	case '?': t->help = true; break;
	case KEY_UP: scroll_by(t, -1); break;
	case KEY_DOWN: scroll_by(t, 1); break;
	case KEY_PPAGE: scroll_by(t, -page); break;
	case KEY_NPAGE: scroll_by(t, page); break;
	case KEY_HOME: t->scroll = 0; break;
	case KEY_END: t->scroll = (size_t)-1 / 2; break;
	case 12: clearok(curscr, TRUE); break; /* Ctrl-L */
	default:
		if (ch >= '1' && ch < '1' + TOP_VIEW_MAX)
			set_view(t, ch - '1');
		/* KEY_RESIZE included: the caller redraws at the new size */
	}
	return true;
}

static void start_colours(struct tui *t)
{
	if (!has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(PAIR_WARN, COLOR_YELLOW, -1);
	init_pair(PAIR_BAD, COLOR_RED, -1);
	t->colors = true;
}

int top_tui_run(struct top_app *app)
{
	struct tui t = { .app = app };
	SCREEN *scr;
	int err = 0;

	install_fatal_handlers();
	/* SIGINT/SIGTERM are ours already (a flag): ncurses leaves them be */
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		ntf_err("cannot drive this terminal (TERM=%s); try -b",
			getenv("TERM") ? getenv("TERM") : "unset");
		return 1;
	}
	screen_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	timeout(0);
	curs_set(0);
	set_escdelay(25);
	start_colours(&t);
	t.note_until = ntf_now_ms() + NOTE_MS;
	t.next_ms = app->last_ms + app->opts.interval_ms;
	draw(&t);
	while (!ntf_exiting) {
		__u64 now, feed_now;
		bool dirty = false;
		int ch;

		err = top_app_wait(app, t.next_ms, SLICE_MS);
		if (err)
			break;
		while ((ch = getch()) != ERR) {
			if (!handle_key(&t, ch))
				goto out;
			dirty = true;
		}
		now = ntf_now_ms();
		feed_now = top_app_now(app);
		/* a replay's end: its last interval, however short, then that screen stays */
		if (feed_now >= t.next_ms || (app->feed->ended && feed_now > app->last_ms)) {
			if (!app->paused) {
				err = top_app_sample(app);
				if (err)
					break;
				if (app->opts.count && app->samples >= app->opts.count)
					break;
			}
			t.next_ms = feed_now + app->opts.interval_ms;
			dirty = true;
		}
		/* a message that just expired */
		if ((t.status_until && now >= t.status_until) ||
		    (t.note_until && now >= t.note_until)) {
			t.status_until = t.status_until > now ? t.status_until : 0;
			t.note_until = t.note_until > now ? t.note_until : 0;
			dirty = true;
		}
		if (dirty)
			draw(&t);
	}
out:
	endwin();
	screen_on = 0;
	delscreen(scr);
	return err;
}
