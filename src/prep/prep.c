/* prep.c — turns stored histogram cells into a model's input vector: flow cells kept or dropped, rebinning,
 * L1 normalisation, representation (bins, square root, cumulative), and the minimum-entries rule that makes an LS
 * not evaluable. The same lc_prep is saved in the model so that scoring repeats training's preparation exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void lc_prep_default(lc_prep *p)
{
	memset(p, 0, sizeof *p);
	p->flow = 0;
	p->normalize = LC_NORM_L1;
	p->repr = LC_REPR_BINS;
	p->rebin_x = 1;
	p->rebin_y = 1;
	p->min_entries = 100;
}

int lc_prep_check(const lc_prep *p, const lc_me_info *me, lc_error *err)
{
	if (p->flow != 0 && p->flow != 1)
		return lc_error_set(err, LC_ERR_INVALID, "flow must be keep or drop");
	if (p->normalize != LC_NORM_NONE && p->normalize != LC_NORM_L1)
		return lc_error_set(err, LC_ERR_INVALID, "normalize must be l1 or none");
	if (p->repr < LC_REPR_BINS || p->repr > LC_REPR_CDF)
		return lc_error_set(err, LC_ERR_INVALID, "representation must be bins, sqrt or cdf");
	if (p->rebin_x < 1 || p->rebin_y < 1)
		return lc_error_set(err, LC_ERR_INVALID, "rebin factors must be >= 1");
	if (!(p->min_entries >= 0) || !isfinite(p->min_entries))
		return lc_error_set(err, LC_ERR_INVALID, "min-entries must be a finite number >= 0");
	if (me->nx % p->rebin_x)
		return lc_error_set(err, LC_ERR_INVALID, "ME '%s': rebin %d does not divide its %d x bins", me->name,
				    p->rebin_x, me->nx);
	if (me->dim == 1 && p->rebin_y != 1)
		return lc_error_set(err, LC_ERR_INVALID, "ME '%s' is 1D: no rebinning along y", me->name);
	if (me->dim == 2 && me->ny % p->rebin_y)
		return lc_error_set(err, LC_ERR_INVALID, "ME '%s': rebin %d does not divide its %d y bins", me->name,
				    p->rebin_y, me->ny);
	if (me->dim == 2 && p->repr == LC_REPR_CDF)
		return lc_error_set(err, LC_ERR_INVALID, "ME '%s' is 2D: the cumulative representation is for 1D MEs",
				    me->name);
	if (p->flow && !me->has_flow)
		return lc_error_set(err, LC_ERR_INVALID,
				    "ME '%s': --flow keep, but some of its LS were imported without under/overflow cells",
				    me->name);
	return LC_OK;
}

int lc_prep_dim(const lc_prep *p, const lc_me_info *me)
{
	int bx = me->nx / p->rebin_x;
	if (me->dim == 1)
		return bx + (p->flow ? 2 : 0);
	int by = me->ny / p->rebin_y;
	int nflow = 2 * (me->nx + 2) + 2 * me->ny; /* the border of the (nx+2) x (ny+2) grid */
	return bx * by + (p->flow ? nflow : 0);
}

/* Gathers the used cells, rebinned, into v (double, lc_prep_dim values). Layout in lc_prep_dim's comment. */
static void gather(const lc_prep *p, const lc_me_info *me, const double *cells, double *v)
{
	int nx = me->nx, rx = p->rebin_x;
	int k = 0;
	if (me->dim == 1) {
		if (p->flow)
			v[k++] = cells[0];
		for (int i = 0; i < nx / rx; i++) {
			double s = 0;
			for (int j = 0; j < rx; j++)
				s += cells[1 + i * rx + j];
			v[k++] = s;
		}
		if (p->flow)
			v[k++] = cells[nx + 1];
		return;
	}
	int ny = me->ny, ry = p->rebin_y, w = nx + 2;
	for (int iy = 0; iy < ny / ry; iy++)
		for (int ix = 0; ix < nx / rx; ix++) {
			double s = 0;
			for (int jy = 0; jy < ry; jy++)
				for (int jx = 0; jx < rx; jx++)
					s += cells[(1 + ix * rx + jx) + w * (1 + iy * ry + jy)];
			v[k++] = s;
		}
	if (p->flow)
		for (int iy = 0; iy < ny + 2; iy++)
			for (int ix = 0; ix < w; ix++)
				if (iy == 0 || iy == ny + 1 || ix == 0 || ix == nx + 1)
					v[k++] = cells[ix + w * iy];
}

int lc_prep_apply(const lc_prep *p, const lc_me_info *me, const double *cells, float *out, double *count)
{
	int d = lc_prep_dim(p, me);
	double stackbuf[1024];
	double *v = d <= 1024 ? stackbuf : malloc((size_t)d * sizeof *v);
	if (!v)
		return LC_ERR_NOMEM;
	gather(p, me, cells, v);
	double sum = 0;
	for (int i = 0; i < d; i++)
		sum += v[i];
	if (count)
		*count = sum;
	int evaluable = sum >= p->min_entries && sum > 0 && isfinite(sum);
	double scale = p->normalize == LC_NORM_L1 ? 1.0 / sum : 1.0;
	double cum = 0;
	for (int i = 0; i < d && evaluable; i++) {
		double x = v[i] * scale;
		if (p->repr == LC_REPR_SQRT)
			x = x > 0 ? sqrt(x) : 0;
		else if (p->repr == LC_REPR_CDF)
			x = cum += x;
		out[i] = (float)x;
	}
	if (!evaluable)
		memset(out, 0, (size_t)d * sizeof *out);
	if (v != stackbuf)
		free(v);
	return evaluable;
}
