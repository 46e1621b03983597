/* multi.h — internals of the models over several monitor elements (issue 6), shared by nn/multi.c (the multi-head
 * network: one sub-network per channel, combined into p(good); its loss, gradient and training), nn/multifile.c
 * (their model files) and cert/multi.c (store -> joined rows -> train, score, explain). Not public API. */
#ifndef LC_NN_MULTI_H
#define LC_NN_MULTI_H

#include <stddef.h>
#include <stdint.h>

#include "lumicert.h"

/* ---------------------------------------------------------------- the multi-head network */

/* K channel sub-networks; channel i sees columns [off[i], off[i+1]) of a joined row (after standardisation with
 * mu, sd, clipped to +-MH_CLIP) and ends in one linear unit, its logit z_i; f_i = sigmoid(z_i) is the channel's p(good). The channel scores
 * are combined into F = p(good of the LS):
 *   fuzzy AND  F = exp(sum_i (f_i - 1))
 *   logistic   F = sigmoid(b + sum_i w_i f_i)   (w, b learnt: comb_p = w_0..w_{K-1}, b)
 *   min        F = min_i f_i */
typedef struct mh_net {
	int n_ch;       /* K channels */
	int d;          /* width of a joined row */
	int *off;       /* K + 1 column offsets */
	lc_net **ch;    /* K sub-networks, each (off[i+1] - off[i]) -> ... -> 1, linear output (owned) */
	int comb;       /* LC_COMB_* */
	float comb_p[65]; /* logistic: K weights then the bias (K <= 64) */
	float *mu, *sd; /* d: standardisation of the joined row, x' = (x - mu) / sd */
} mh_net;

#define MH_MAX_CH 64
#define MH_CLIP 8.0f /* standardised inputs are clipped to [-8, 8]: one wild LS cannot saturate (kill) a channel */

/* Input j of a joined row standardised with mu, sd and clipped to +-MH_CLIP: what the channels see. */
float mh_standardise(const mh_net *net, int j, float v);

/* A new network: channel widths (K of them, summing to d) with the same hidden layers (nh widths and activations)
 * each. NULL when out of memory or shapes invalid. Parameters zero, mu = 0, sd = 1. */
mh_net *mh_new(int n_ch, const int *width, int nh, const int *hid, const int *hact, int comb);
void mh_free(mh_net *net);
/* Glorot weights per channel (channel i from seed + i), logistic weights 4 and bias -4 (K - 0.5). */
void mh_init(mh_net *net, uint64_t seed);
/* Number of trainable parameters: every channel's, then K + 1 for logistic. */
size_t mh_n_params(const mh_net *net);
/* Pointer to parameter j of that flat order. */
float *mh_param(mh_net *net, size_t j);

/* One row's combination: channel logits z (K) -> channel scores f (K, unless NULL), returns F. cp: comb_p. */
double mh_comb(int comb, int K, const double *z, const float *cp, double *f);
/* One row's loss L' = (1 - C) L + C mean_i L_i, L = BCE(F, y), L_i = BCE(f_i, y) (y: 1 good, 0 bad), and its
 * gradient: dz (K) = dL'/dz_i, dcp (K + 1, added to; may be NULL unless logistic) = dL'/d comb_p. */
double mh_row_loss(int comb, int K, const double *z, const float *cp, int y, double C, double *dz, double *dcp);

/* Reference (naive, double, one row at a time) mean loss of the rows xs (n, d), already standardised, labels y,
 * weights w (NULL: 1): sum w L' / sum w + l2 * max_i (sum of squared weights of channel i, biases excluded). */
double mh_ref_loss(const mh_net *net, const float *xs, const int *y, const double *w, size_t n, double C,
		   double l2);

/* The same loss and its gradient (mh_n_params, flat order) with the fast kernels. */
double mh_grad(const mh_net *net, const float *xs, const int *y, const double *w, size_t n, double C, double l2,
	       double *grad);

/* Trains on rows x (n, d), raw (mu, sd are fitted here from them), labels y (1 good, 0 bad), with class-balanced
 * weights: Adam (o->lr, o->batch, o->epochs, o->seed shuffles), loss mix C = c0 * c_decay^epoch, l2 as above.
 * Channels are dealt to o->threads threads: the result depends on the seed only. *loss gets the last epoch's mean. */
int mh_train(mh_net *net, const float *x, const int *y, size_t n, const lc_train_opts *o, double c0, double c_decay,
	     double l2, double *loss, lc_error *err);

/* Raw rows x (n, d) -> F (n) and, unless NULL, channel scores f (n, K). */
int mh_predict(const mh_net *net, const float *x, size_t n, double *F, double *f, int threads, lc_error *err);

/* Saliency of one raw row x (d) for channel i: g (channel width) = d z_i / d x_j times (x_j - mu_j) / sd_j, the
 * gradient-times-input of the standardised input (how much each input pushes the channel's logit). */
int mh_saliency(const mh_net *net, const float *x, int i, double *g);

/* ---------------------------------------------------------------- a model over several MEs */

enum { LC_MULTI_AE = 1, LC_MULTI_ENSEMBLE = 2, LC_MULTI_HEAD = 3 };

/* What lc_model.multi points to for the kinds "multiae", "ensemble" and "multihead". */
struct lc_multi {
	int kind;              /* LC_MULTI_* */
	int n_me;              /* MEs, in joined-row order (grouped by part) */
	lc_me_info *me;        /* n_me binnings at training time */
	lc_prep *prep;         /* n_me preparations (the model's, rebin_y = 1 for 1D MEs) */
	int *off;              /* n_me + 1 offsets of each ME's prepared values in a joined row */
	int *part_of;          /* n_me: the part (ME or channel) each ME belongs to */
	int n_parts;           /* columns score:<part> */
	char (*part)[128];     /* n_parts names: ME names, or channel names */
	char (*pattern)[256];  /* n_parts: the channel's definition as given (ME names or globs), "" for MEs */
	/* ensemble: one autoencoder per ME and its held-out good scores (multihead with residual: the AEs only) */
	lc_net **nets;         /* n_me (owned) */
	float **cal;           /* n_me sorted held-out good scores */
	int64_t *n_cal;        /* n_me */
	/* multihead */
	mh_net *mh;            /* owned */
	int residual;          /* 1: each ME enters its channel as its residual x - AE(x) under nets[ME], a linear
				* autoencoder (closed form) of the good training LS; 2: as the squared residuals; 0: as
				* prepared bins */
	double c0, c_decay, l2;
	char label_source[128];
};

void lc_multi_free(struct lc_multi *mu);
/* Kind name ("multiae", ...) and back (0 if unknown). */
const char *lc_multi_kind_name(int kind);
int lc_multi_kind_parse(const char *s);

/* Model files of the multi kinds (nn/multifile.c). multi_model_load_mem returns 1 (and touches nothing) when the
 * file is not of a multi kind, so that lc_model_load_mem goes on with its own reader. */
int multi_model_save(const lc_model *m, const char *path, lc_error *err);
int multi_model_load_mem(const void *buf, size_t n, const char *name, lc_model **out, lc_error *err);
char *multi_model_header_json(const lc_model *m);
/* The members of a model header's "training" object that every autoencoder kind has, into m (nn/model.c). */
struct json_t;
void model_training_from_json(lc_model *m, const struct json_t *train);

/* Scoring of the multi kinds (cert/multi.c), behind lc_model_score. */
int multi_model_score(const lc_model *m, lc_store *st, const lc_runlist *runs, int threads, lc_score_row **rows,
		      size_t *n, double **parts, lc_error *err);

/* Calibration of the ensemble (cert/multi.c): the p-value (1 + #{c >= s}) / (1 + n) of score s against the sorted
 * held-out good scores c (n), and Simes' combination min_k K p_(k) / k of K p-values (p is sorted in place). */
double multi_pvalue(const float *c, int64_t n, double s);
double multi_simes(double *p, int K);

#endif
