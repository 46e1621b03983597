/* plot.c — the SVG plotting kit of the HTML report: axes, ticks, lines, bars, heat maps (inline BMP), escaping.
 * Everything appends to an sbuf; coordinates are written with one decimal to keep large reports small. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"

double ax_map(const axis *a, double v)
{
	double lo = a->lo, hi = a->hi;
	if (a->log) {
		v = v > 0 ? log10(v) : -1e300;
		lo = log10(lo);
		hi = log10(hi);
	}
	double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
	if (!(t >= 0)) /* also NaN */
		t = 0;
	if (t > 1)
		t = 1;
	return a->p0 + t * (a->p1 - a->p0);
}

void html_esc(sbuf *b, const char *s)
{
	if (!s)
		return;
	const char *run = s;
	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		}
		if (rep) {
			sb_append(b, run, (size_t)(s - run));
			sb_append(b, rep, strlen(rep));
			run = s + 1;
		}
	}
	sb_append(b, run, (size_t)(s - run));
}

const char *num(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "n/a");
	else
		snprintf(buf, n, "%.3g", v);
	return buf;
}

/* Tick values of a: up to max ticks into t; returns their number. */
static int ticks(const axis *a, double *t, int max)
{
	int n = 0;
	if (a->log) {
		int d0 = (int)floor(log10(a->lo) + 1e-9), d1 = (int)ceil(log10(a->hi) - 1e-9);
		int step = (d1 - d0) / 8 + 1;
		for (int d = d0; d <= d1 && n < max; d += step) {
			double v = pow(10, d);
			if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9))
				t[n++] = v;
		}
		return n;
	}
	double span = a->hi - a->lo;
	if (!(span > 0))
		return 0;
	double raw = span / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
	double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
	for (double v = ceil(a->lo / step - 1e-9) * step; v <= a->hi + step * 1e-9 && n < max; v += step)
		t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	return n;
}

void plot_frame(sbuf *b, const axis *x, const axis *y, const char *xtitle, const char *ytitle)
{
	double xl = x->p0, xr = x->p1, yb = y->p0, yt = y->p1, t[32];
	char s[32];
	sb_printf(b, "<rect class=\"pa\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", xl, yt, xr - xl,
		  yb - yt);
	int n = ticks(x, t, 32);
	for (int i = 0; i < n; i++) {
		double p = ax_map(x, t[i]);
		sb_printf(b, "<path class=\"grid\" d=\"M%.1f %.1fV%.1f\"/><text class=\"tl\" x=\"%.1f\" y=\"%.1f\" "
			     "text-anchor=\"middle\">%s</text>",
			  p, yb, yt, p, yb + 13, num(s, sizeof s, t[i]));
	}
	n = ticks(y, t, 32);
	for (int i = 0; i < n; i++) {
		double p = ax_map(y, t[i]);
		sb_printf(b, "<path class=\"grid\" d=\"M%.1f %.1fH%.1f\"/><text class=\"tl\" x=\"%.1f\" y=\"%.1f\" "
			     "text-anchor=\"end\">%s</text>",
			  xl, p, xr, xl - 4, p + 4, num(s, sizeof s, t[i]));
	}
	sb_printf(b, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (xl + xr) / 2, yb + 30);
	html_esc(b, xtitle);
	sb_printf(b, "</text><text class=\"at\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">",
		  xl - 52, (yb + yt) / 2);
	html_esc(b, ytitle);
	sb_printf(b, "</text>");
}

void plot_hline(sbuf *b, const axis *x, const axis *y, double v, const char *cls)
{
	if (!isfinite(v) || (y->log && v <= 0))
		return;
	sb_printf(b, "<path class=\"%s\" d=\"M%.1f %.1fH%.1f\"/>", cls, x->p0, ax_map(y, v), x->p1);
}

void plot_vline(sbuf *b, const axis *x, const axis *y, double v, const char *cls)
{
	if (!isfinite(v) || (x->log && v <= 0))
		return;
	sb_printf(b, "<path class=\"%s\" d=\"M%.1f %.1fV%.1f\"/>", cls, ax_map(x, v), y->p0, y->p1);
}

void plot_hband(sbuf *b, const axis *x, const axis *y, double lo, double hi, const char *cls)
{
	if (isnan(lo) || isnan(hi) || !(hi > lo))
		return;
	double p0 = ax_map(y, lo < y->lo ? y->lo : lo), p1 = ax_map(y, hi > y->hi ? y->hi : hi);
	if (p0 - p1 < 0.5)
		return;
	sb_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", cls, x->p0, p1,
		  x->p1 - x->p0, p0 - p1);
}

void plot_line(sbuf *b, const axis *x, const axis *y, const double *xs, const double *ys, size_t n, const char *cls)
{
	sb_printf(b, "<path class=\"%s\" d=\"", cls);
	int pen = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(xs[i]) || !isfinite(ys[i]) || (x->log && xs[i] <= 0) || (y->log && ys[i] <= 0)) {
			pen = 0;
			continue;
		}
		sb_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', ax_map(x, xs[i]), ax_map(y, ys[i]));
		pen = 1;
	}
	sb_printf(b, "\"/>");
}

void plot_steps(sbuf *b, const axis *x, const axis *y, double x0, double x1, const float *v, int n, const char *cls)
{
	double w = (x1 - x0) / n;
	sb_printf(b, "<path class=\"%s\" d=\"M%.1f %.1f", cls, ax_map(x, x0), ax_map(y, y->log ? y->lo : 0));
	for (int i = 0; i < n; i++) {
		double py = ax_map(y, v[i]);
		sb_printf(b, "V%.1fH%.1f", py, ax_map(x, x0 + (i + 1) * w));
	}
	sb_printf(b, "V%.1f\"/>", ax_map(y, y->log ? y->lo : 0));
}

void plot_bars(sbuf *b, const axis *x, const axis *y, double x0, double x1, const float *v, int n, const char *cls)
{
	double w = (x1 - x0) / n, base = ax_map(y, y->log ? y->lo : 0);
	sb_printf(b, "<path class=\"%s\" d=\"", cls);
	for (int i = 0; i < n; i++) {
		double py = ax_map(y, v[i]);
		if (base - py < 0.05)
			continue;
		double a = ax_map(x, x0 + i * w), c = ax_map(x, x0 + (i + 1) * w);
		sb_printf(b, "M%.1f %.1fV%.1fH%.1fV%.1fZ", a, base, py, c, base);
	}
	sb_printf(b, "\"/>");
}

void base64(sbuf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		sb_append(b, q, 4);
	}
}

/* Colour of t in [0, 1]: a piecewise-linear approximation of viridis (perceptually ordered, colour-blind safe). */
static void cmap(double t, unsigned char rgb[3])
{
	static const unsigned char k[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	double s = t * 4;
	int i = s >= 4 ? 3 : (int)s;
	double f = s - i;
	for (int c = 0; c < 3; c++)
		rgb[c] = (unsigned char)lround(k[i][c] + f * (k[i + 1][c] - k[i][c]));
}

static void le32(unsigned char *p, unsigned v)
{
	p[0] = v & 255;
	p[1] = v >> 8 & 255;
	p[2] = v >> 16 & 255;
	p[3] = v >> 24 & 255;
}

void plot_heatmap(sbuf *b, const float *v, int w, int h, double vmin, double vmax, double px, double py, double pw,
		  double ph, const char *title)
{
	/* 8-bit palette BMP: 14-byte file header, 40-byte info header, 256 BGRA palette entries, rows bottom-up padded
	 * to 4 bytes (BMP's bottom-up order is the histogram's: row 0 = lowest y). */
	size_t stride = ((size_t)w + 3) / 4 * 4, off = 14 + 40 + 1024, size = off + stride * (size_t)h;
	unsigned char *img = calloc(size, 1);
	if (!img) {
		b->oom = 1;
		return;
	}
	img[0] = 'B';
	img[1] = 'M';
	le32(img + 2, (unsigned)size);
	le32(img + 10, (unsigned)off);
	le32(img + 14, 40);
	le32(img + 18, (unsigned)w);
	le32(img + 22, (unsigned)h);
	img[26] = 1;  /* planes */
	img[28] = 8;  /* bits per pixel */
	le32(img + 34, (unsigned)(stride * (size_t)h));
	le32(img + 46, 256);
	for (int i = 0; i < 256; i++) {
		unsigned char rgb[3];
		cmap(i / 255.0, rgb);
		img[54 + 4 * i] = rgb[2];
		img[54 + 4 * i + 1] = rgb[1];
		img[54 + 4 * i + 2] = rgb[0];
	}
	double span = vmax > vmin ? vmax - vmin : 1;
	for (int iy = 0; iy < h; iy++)
		for (int ix = 0; ix < w; ix++) {
			double t = (v[(size_t)iy * w + ix] - vmin) / span;
			img[off + (size_t)iy * stride + ix] = (unsigned char)(t >= 1 ? 255 : t > 0 ? (int)(t * 255.999) : 0);
		}
	sb_printf(b, "<image x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" preserveAspectRatio=\"none\" "
		     "style=\"image-rendering:pixelated\" href=\"data:image/bmp;base64,",
		  px, py, pw, ph);
	base64(b, img, size);
	free(img);
	sb_printf(b, "\"/><rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", px, py, pw, ph);
	/* colour bar: 8 stacked rectangles from vmin (bottom) to vmax (top) */
	double cx = px + pw + 8, cw = 10;
	for (int i = 0; i < 8; i++) {
		unsigned char rgb[3];
		cmap((i + 0.5) / 8, rgb);
		sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%02x%02x%02x\"/>", cx,
			  py + ph - (i + 1) * ph / 8, cw, ph / 8 + 0.3, rgb[0], rgb[1], rgb[2]);
	}
	char s1[32], s2[32];
	sb_printf(b, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\">%s</text><text class=\"tl\" x=\"%.1f\" y=\"%.1f\">%s</text>",
		  cx + cw + 3, py + 9, num(s1, sizeof s1, vmax), cx + cw + 3, py + ph, num(s2, sizeof s2, vmin));
	sb_printf(b, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px + pw / 2, py - 6);
	html_esc(b, title);
	sb_printf(b, "</text>");
}
