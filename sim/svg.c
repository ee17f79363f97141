/*
 * svg: drawing the timeline of a run (see svg.h). Fixed canvas 1100 x 660; the plot area is
 * [PL, PR] x [PT, PB]. The time axis is in minutes, hours or days by the run's length, ticks
 * at 1-2-5 steps. The areas and the rate are drawn from the run's chart samples (at most
 * ROLLOUT_CHART_MAX, evenly spaced), which resolve short runs to the second.
 */
#include "sim/svg.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/execution.h"
#include "engine/timefmt.h"
#include "sim/report.h"

#define W           1100
#define H           670
#define PL          90.0
#define PR          1000.0
#define PT          110.0
#define PB          500.0
#define MAX_EDGES   200
#define LEGEND_COLS 4
#define ABORT_LABEL                                                                                \
    "font-size=\"12\" font-weight=\"bold\" fill=\"#b71c1c\" stroke=\"#ffffff\" "                   \
    "stroke-width=\"3\" paint-order=\"stroke\""
#define FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

struct series {
    enum execution_status status;
    const char *id, *label, *color;
};

/* Bottom to top: the settled outcomes, then what is still moving. */
static const struct series series[] = {
    {EXECUTION_SUCCEEDED, "succeeded", "succeeded", "#43a047"},
    {EXECUTION_FAILED, "failed", "failed", "#e53935"},
    {EXECUTION_TIMED_OUT, "timed-out", "timed out", "#fb8c00"},
    {EXECUTION_REJECTED, "rejected", "rejected", "#8e24aa"},
    {EXECUTION_CANCELED, "canceled", "canceled", "#9e9e9e"},
    {EXECUTION_IN_PROGRESS, "in-progress", "in progress", "#1e88e5"},
    {EXECUTION_QUEUED, "queued", "queued", "#90caf9"},
};
#define N_SERIES (sizeof series / sizeof series[0])

struct scale {
    double t_max_ms; /* time at the right edge */
    double unit_ms;  /* one unit of the time axis */
    const char *unit;
    double y_max, r_max;
};

static double x_of(const struct scale *s, double t_ms)
{
    return PL + t_ms / s->t_max_ms * (PR - PL);
}

static double y_of(const struct scale *s, double v)
{
    return PB - v / s->y_max * (PB - PT);
}

static double r_of(const struct scale *s, double v)
{
    return PB - v / s->r_max * (PB - PT);
}

/* A 1-2-5 step giving about `ticks` intervals over range. */
static double nice_step(double range, int ticks)
{
    double raw = range / ticks;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
    return step * mag;
}

/* The smallest multiple of a nice step >= v (>= 5, so that small counts get whole ticks). */
static double nice_ceil(double v)
{
    if (v < 5)
        v = 5;
    double step = nice_step(v, 5);
    return ceil(v / step - 1e-9) * step;
}

/* report_duration() rounded to the second, for the title and labels. */
static char *dur(int64_t ms, char *buf, size_t len)
{
    return report_duration((ms + 500) / 1000 * 1000, buf, len);
}

/* "1,234,567" */
static char *thousands(int64_t v, char *buf, size_t len)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0 && o + 1 < len)
        buf[o++] = '-';
    for (int i = 0; i < n && o + 2 < len; i++) {
        buf[o++] = digits[i];
        if ((n - 1 - i) % 3 == 0 && i != n - 1)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

/* Axis labels: 2500 -> "2.5k", 1000000 -> "1M". */
static char *compact(double v, char *buf, size_t len)
{
    if (fabs(v) >= 1e6)
        snprintf(buf, len, "%.4gM", v / 1e6);
    else if (fabs(v) >= 1e4)
        snprintf(buf, len, "%.4gk", v / 1e3);
    else
        snprintf(buf, len, "%.6g", v);
    return buf;
}

static void text_escaped(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, out);
            break;
        }
    }
}

static void text(FILE *out, double x, double y, const char *attrs, const char *s)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    text_escaped(out, s);
    fputs("</text>\n", out);
}

static double stacked(const struct rollout_row *row, size_t upto)
{
    double v = 0;
    for (size_t k = 0; k < upto; k++)
        v += (double)row->n[series[k].status];
    return v;
}

static void scale_of(const struct rollout_result *r, struct scale *s)
{
    double t_max = r->n_rows > 0 ? (double)r->rows[r->n_rows - 1].t_ms : 60000.0;
    if (t_max < 60000.0)
        t_max = 60000.0;
    s->t_max_ms = t_max;
    if (t_max <= 5.0 * TIMEFMT_MS_PER_MINUTE) {
        s->unit_ms = 1000.0;
        s->unit = "s";
    } else if (t_max <= 2.0 * TIMEFMT_MS_PER_HOUR) {
        s->unit_ms = (double)TIMEFMT_MS_PER_MINUTE;
        s->unit = "min";
    } else if (t_max <= 3.0 * TIMEFMT_MS_PER_DAY) {
        s->unit_ms = (double)TIMEFMT_MS_PER_HOUR;
        s->unit = "h";
    } else {
        s->unit_ms = (double)TIMEFMT_MS_PER_DAY;
        s->unit = "days";
    }
    double y = 0, rate = 0;
    for (size_t i = 0; i < r->n_chart; i++) {
        double tot = stacked(&r->chart[i], N_SERIES);
        y = tot > y ? tot : y;
        rate = r->chart[i].rate > rate ? r->chart[i].rate : rate;
    }
    for (size_t i = 0; i < r->n_steps; i++)
        rate = r->steps[i].rate > rate ? r->steps[i].rate : rate;
    /* headroom above the highest values, so that lines never run along the frame and the abort
     * label has room */
    s->y_max = nice_ceil(y * 1.08);
    s->r_max = nice_ceil(rate * 1.12);
}

static void draw_windows(FILE *out, const struct rollout_result *r, const struct scale *s)
{
    if (r->n_windows == 0)
        return;
    fputs("<g id=\"windows\">\n", out);
    for (size_t i = 0; i < r->n_windows; i++) {
        double x0 = x_of(s, (double)r->windows[i].from_ms);
        double x1 = x_of(s, (double)r->windows[i].to_ms);
        if (x0 >= PR)
            break;
        x1 = x1 > PR ? PR : x1;
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff4c2\"/>\n",
                x0, PT, x1 - x0 > 0.5 ? x1 - x0 : 0.5, PB - PT);
    }
    if (r->n_windows <= MAX_EDGES) {
        for (size_t i = 0; i < r->n_windows; i++) {
            double x0 = x_of(s, (double)r->windows[i].from_ms);
            double x1 = x_of(s, (double)r->windows[i].to_ms);
            if (x0 > PL && x0 < PR)
                fprintf(out,
                        "<line class=\"window-open\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"#c49000\" stroke-width=\"1.2\"/>\n",
                        x0, PT, x0, PB);
            if (x1 > PL && x1 < PR)
                fprintf(out,
                        "<line class=\"window-close\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"#c49000\" stroke-width=\"1.2\" "
                        "stroke-dasharray=\"4 3\"/>\n",
                        x1, PT, x1, PB);
        }
    }
    fputs("</g>\n", out);
}

static void draw_grid_and_axes(FILE *out, const struct scale *s)
{
    char lab[32];
    double span = s->t_max_ms / s->unit_ms;
    double tstep = nice_step(span, 10);
    double ystep = nice_step(s->y_max, 5);
    double rstep = nice_step(s->r_max, 5);

    fputs("<g id=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n", out);
    for (double v = ystep; v <= s->y_max + ystep * 1e-6; v += ystep)
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", PL, y_of(s, v),
                PR, y_of(s, v));
    for (double t = tstep; t <= span + tstep * 1e-6; t += tstep)
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                x_of(s, t * s->unit_ms), PT, x_of(s, t * s->unit_ms), PB);
    fputs("</g>\n", out);

    fputs("<g id=\"axis-x\" font-size=\"12\" fill=\"#333\">\n", out);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", PL,
            PB, PR, PB);
    for (double t = 0; t <= span + tstep * 1e-6; t += tstep) {
        double x = x_of(s, t * s->unit_ms);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x,
                PB, x, PB + 5);
        snprintf(lab, sizeof lab, "%.6g", t);
        text(out, x, PB + 19, "text-anchor=\"middle\"", lab);
    }
    char title[64];
    snprintf(title, sizeof title, "time since start (%s)", s->unit);
    text(out, (PL + PR) / 2, PB + 40, "text-anchor=\"middle\" font-size=\"13\"", title);
    fputs("</g>\n", out);

    fputs("<g id=\"axis-y\" font-size=\"12\" fill=\"#333\">\n", out);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", PL,
            PT, PL, PB);
    for (double v = 0; v <= s->y_max + ystep * 1e-6; v += ystep) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                PL - 5, y_of(s, v), PL, y_of(s, v));
        text(out, PL - 8, y_of(s, v) + 4, "text-anchor=\"end\"", compact(v, lab, sizeof lab));
    }
    fprintf(out,
            "<text transform=\"translate(22 %.1f) rotate(-90)\" text-anchor=\"middle\" "
            "font-size=\"13\">executions (every attempt, stacked by status)</text>\n",
            (PT + PB) / 2);
    fputs("</g>\n", out);

    fputs("<g id=\"axis-rate\" font-size=\"12\" fill=\"#333\">\n", out);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", PR,
            PT, PR, PB);
    for (double v = 0; v <= s->r_max + rstep * 1e-6; v += rstep) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                PR, r_of(s, v), PR + 5, r_of(s, v));
        text(out, PR + 8, r_of(s, v) + 4, "text-anchor=\"start\"", compact(v, lab, sizeof lab));
    }
    fprintf(out,
            "<text transform=\"translate(%d %.1f) rotate(90)\" text-anchor=\"middle\" "
            "font-size=\"13\">rollout rate (notifications per minute)</text>\n",
            W - 22, (PT + PB) / 2);
    fputs("</g>\n", out);
}

static void draw_series(FILE *out, const struct rollout_result *r, const struct scale *s)
{
    const struct rollout_row *c = r->chart;
    for (size_t k = 0; k < N_SERIES; k++) {
        int any = 0;
        for (size_t i = 0; i < r->n_chart && !any; i++)
            any = c[i].n[series[k].status] > 0;
        fprintf(out, "<g id=\"series-%s\">\n", series[k].id);
        if (any) {
            fprintf(out, "<polygon fill=\"%s\" fill-opacity=\"0.85\" points=\"", series[k].color);
            for (size_t i = 0; i < r->n_chart; i++)
                fprintf(out, "%.1f,%.1f ", x_of(s, (double)c[i].t_ms),
                        y_of(s, stacked(&c[i], k + 1)));
            for (size_t i = r->n_chart; i-- > 0;)
                fprintf(out, "%.1f,%.1f ", x_of(s, (double)c[i].t_ms), y_of(s, stacked(&c[i], k)));
            fputs("\"/>\n", out);
        }
        fputs("</g>\n", out);
    }
    /* the rate: a step line (the rate of a sample holds until the next sample) */
    fputs("<g id=\"rate-line\">\n<path fill=\"none\" stroke=\"#212121\" stroke-width=\"2.2\" "
          "stroke-linejoin=\"round\" d=\"",
          out);
    for (size_t i = 0; i < r->n_chart; i++) {
        double x = x_of(s, (double)c[i].t_ms), y = r_of(s, c[i].rate);
        if (i == 0)
            fprintf(out, "M%.1f,%.1f ", x, y);
        else
            fprintf(out, "H%.1f V%.1f ", x, y);
    }
    fputs("\"/>\n</g>\n", out);
}

static void draw_abort(FILE *out, const struct rollout_result *r, const struct scale *s)
{
    char lab[ROLLOUT_COMMENT_MAX + 64], d[48];
    if (!r->aborted)
        return;
    double x = x_of(s, (double)r->abort_at_ms);
    fputs("<g id=\"abort-marker\">\n", out);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b71c1c\" "
            "stroke-width=\"2\" stroke-dasharray=\"7 4\"/>\n",
            x, PT - 6, x, PB);
    snprintf(lab, sizeof lab, "abort at %s: %s", dur(r->abort_at_ms, d, sizeof d),
             r->abort_comment);
    text(out, x < (PL + PR) / 2 ? x + 5 : x - 5, PT + 14,
         x < (PL + PR) / 2 ? "text-anchor=\"start\" " ABORT_LABEL
                           : "text-anchor=\"end\" " ABORT_LABEL,
         lab);
    fputs("</g>\n", out);
}

/* The legend: a grid of LEGEND_COLS columns; the statuses, then the rate, the windows and the
 * abort. */
static void draw_legend(FILE *out, const struct rollout_result *r)
{
    char lab[96], n[32];
    double col = (PR - PL) / LEGEND_COLS;
    size_t cell = 0;
    fputs("<g id=\"legend\" font-size=\"12\" fill=\"#333\">\n", out);
    for (size_t k = 0; k < N_SERIES; k++, cell++) {
        double x = PL + col * (double)(cell % LEGEND_COLS);
        double y = PB + 66 + 24 * (double)(cell / LEGEND_COLS);
        snprintf(lab, sizeof lab, "%s (%s at end)", series[k].label,
                 thousands(r->counts[series[k].status], n, sizeof n));
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"14\" fill=\"%s\" "
                "fill-opacity=\"0.85\"/>\n",
                x, y - 11, series[k].color);
        text(out, x + 28, y, "", lab);
    }
    double x = PL + col * (double)(cell % LEGEND_COLS);
    double y = PB + 66 + 24 * (double)(cell / LEGEND_COLS);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#212121\" "
            "stroke-width=\"2.2\"/>\n",
            x, y - 4, x + 22, y - 4);
    text(out, x + 28, y, "", "rollout rate (right axis)");
    cell = (cell / LEGEND_COLS + 1) * LEGEND_COLS; /* a new row */
    x = PL;
    y = PB + 66 + 24 * (double)(cell / LEGEND_COLS);
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"14\" fill=\"#fff4c2\" "
            "stroke=\"#c49000\"/>\n",
            x, y - 11);
    text(out, x + 28, y, "",
         r->n_windows > 0 ? "maintenance window open (solid edge: opens, dashed: closes)"
                          : "maintenance window open (none: always open)");
    x = PL + 2 * col;
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b71c1c\" "
            "stroke-width=\"2\" stroke-dasharray=\"7 4\"/>\n",
            x, y - 4, x + 22, y - 4);
    text(out, x + 28, y, "", r->aborted ? "abort" : "abort (none)");
    fputs("</g>\n", out);
}

static void draw_title(FILE *out, const struct scenario *sc, const struct rollout_result *r,
                       const char *title)
{
    char line[512], a[48], b[48], c[32], d[32], e[32];
    if (title != NULL)
        snprintf(line, sizeof line, "%s", title);
    else
        snprintf(line, sizeof line, "Rollout simulation: %s", sc->name);
    text(out, PL, 34, "font-size=\"20\" font-weight=\"bold\" fill=\"#111\"", line);

    const char *status = task_status_name(r->task_status);
    if (r->final_at_ms >= 0)
        snprintf(a, sizeof a, "%s at %s", status, dur(r->final_at_ms, b, sizeof b));
    else
        snprintf(a, sizeof a, "%s, %s", status,
                 r->end == ROLLOUT_END_HORIZON ? "horizon reached" : "never ends");
    snprintf(line, sizeof line, "%s devices, %s targeted, %s task, %s; seed %llu",
             thousands(r->devices, c, sizeof c), thousands(r->targets, d, sizeof d),
             task_type_name(sc->type), a, (unsigned long long)sc->seed);
    if (r->targets == r->devices)
        snprintf(line, sizeof line, "%s devices, all targeted, %s task, %s; seed %llu",
                 thousands(r->devices, c, sizeof c), task_type_name(sc->type), a,
                 (unsigned long long)sc->seed);
    text(out, PL, 58, "font-size=\"13\" fill=\"#444\"", line);

    double r0 = r->n_steps > 0 ? r->steps[0].rate : 0;
    double r1 = r->n_steps > 0 ? r->steps[r->n_steps - 1].rate : 0;
    int n = snprintf(line, sizeof line, "%s attempts: %s succeeded, %s failed, %s timed out",
                     thousands(r->executions, c, sizeof c),
                     thousands(r->counts[EXECUTION_SUCCEEDED], d, sizeof d),
                     thousands(r->counts[EXECUTION_FAILED], e, sizeof e),
                     thousands(r->counts[EXECUTION_TIMED_OUT], b, sizeof b));
    const char *last = r->last_queued_ms >= 0 ? dur(r->last_queued_ms, a, sizeof a) : "never";
    if (n > 0 && (size_t)n < sizeof line && r->n_steps > 1)
        snprintf(line + n, sizeof line - (size_t)n,
                 "; last queued %s; rate %.6g to %.6g per minute in %zu steps", last, r0, r1,
                 r->n_steps - 1);
    else if (n > 0 && (size_t)n < sizeof line && r->n_steps == 1)
        snprintf(line + n, sizeof line - (size_t)n, "; last queued %s; rate %.6g per minute", last,
                 r0);
    else if (n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "; the rollout never started");
    text(out, PL, 78, "font-size=\"13\" fill=\"#444\"", line);
    if (r->aborted) {
        snprintf(line, sizeof line, "ABORTED at %s after %lld terminal executions",
                 dur(r->abort_at_ms, a, sizeof a), (long long)r->abort_executed);
        text(out, PL, 98, "font-size=\"13\" font-weight=\"bold\" fill=\"#b71c1c\"", line);
    }
}

int svg_write(FILE *out, const struct scenario *sc, const struct rollout_result *r,
              const char *title, struct oerr *err)
{
    struct scale s;
    scale_of(r, &s);
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"%s\">\n",
            W, H, W, H, FONT);
    fputs("<title>", out);
    text_escaped(out, sc->name);
    fputs(": otasim rollout timeline</title>\n", out);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
    draw_title(out, sc, r, title);
    draw_windows(out, r, &s);
    draw_grid_and_axes(out, &s);
    draw_series(out, r, &s);
    draw_abort(out, r, &s);
    draw_legend(out, r);
    fputs("</svg>\n", out);
    if (ferror(out) || fflush(out) != 0)
        return oerr_set(err, OERR_INTERNAL, "cannot write the chart: %s", strerror(errno));
    return 0;
}
