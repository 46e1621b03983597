/* plot.h — small SVG plotting kit for the HTML report (private to the library): axes with ticks and titles on
 * linear or log scales, compact point/line paths, heat maps as inline 8-bit BMP images, HTML escaping. */
#ifndef LC_REPORT_PLOT_H
#define LC_REPORT_PLOT_H

#include <stddef.h>
#include "internal.h"

/* A data-to-pixel mapping along one axis. */
typedef struct axis {
	double lo, hi;   /* data range shown (for log: both > 0) */
	int log;         /* 1: log10 scale */
	double p0, p1;   /* pixel positions of lo and hi (p1 < p0 for a y axis growing upwards) */
} axis;

/* Pixel position of v on a (clamped to the axis range). */
double ax_map(const axis *a, double v);

/* Appends s HTML-escaped (& < > " '); NULL appends nothing. */
void html_esc(sbuf *b, const char *s);

/* Draws the frame of a plot: the plotting area x.p0..x.p1 × y.p1..y.p0, grid lines, tick marks with labels and the
 * axis titles (plain text, escaped here). */
void plot_frame(sbuf *b, const axis *x, const axis *y, const char *xtitle, const char *ytitle);

/* A horizontal / vertical reference line across the plotting area, with class cls (CSS gives colour and dash). */
void plot_hline(sbuf *b, const axis *x, const axis *y, double v, const char *cls);
void plot_vline(sbuf *b, const axis *x, const axis *y, double v, const char *cls);

/* A rectangle spanning y values lo..hi over the whole x range (a band), class cls. */
void plot_hband(sbuf *b, const axis *x, const axis *y, double lo, double hi, const char *cls);

/* A polyline through n points (xs[i], ys[i]) in data units; points with a non-finite coordinate break the line. */
void plot_line(sbuf *b, const axis *x, const axis *y, const double *xs, const double *ys, size_t n, const char *cls);

/* A histogram outline: n bins of equal width from x0 to x1 with contents v (step line). */
void plot_steps(sbuf *b, const axis *x, const axis *y, double x0, double x1, const float *v, int n, const char *cls);

/* Bars from 0 to v[i] for n bins of equal width from x0 to x1, as one path. */
void plot_bars(sbuf *b, const axis *x, const axis *y, double x0, double x1, const float *v, int n, const char *cls);

/* A heat map of a w × h grid (row-major, row 0 at the bottom, values clamped to [vmin, vmax]) as an inline BMP
 * image placed at pixels (px, py) with size pw × ph, plus a colour bar to its right labelled by title. */
void plot_heatmap(sbuf *b, const float *v, int w, int h, double vmin, double vmax, double px, double py, double pw,
		  double ph, const char *title);

/* Appends the base64 encoding of n bytes. */
void base64(sbuf *b, const unsigned char *p, size_t n);

/* Formats v compactly (%.3g, "−" for negatives is not used: plain ASCII) into buf. */
const char *num(char *buf, size_t n, double v);

#endif
