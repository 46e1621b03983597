/* root_bench.c — read throughput of the ROOT reader next to its bound. `root_bench FILE TREE BRANCH...` reads the
 * branches with lc_root_branch_read (open, tree parse, baskets, decompression, byte swap, offsets) and, as the bound,
 * decompresses the very same compressed basket payloads with zlib/lz4/lzma/zstd alone (the baskets are found by a
 * linear scan of the file's key records). Prints uncompressed MB/s of both (best of REPEAT runs) and their ratio. */
#include <lz4.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "lumicert_root.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* A basket payload as stored: n compressed bytes expanding to objlen. */
typedef struct payload { const uint8_t *p; size_t n, objlen; } payload;

/* Decompresses every payload with the compression library alone; returns uncompressed bytes. */
static size_t bound_pass(const payload *pl, size_t np, uint8_t *dst)
{
	size_t total = 0;
	for (size_t i = 0; i < np; i++) {
		const uint8_t *s = pl[i].p;
		size_t in = 0, out = 0;
		if (pl[i].n == pl[i].objlen) { /* stored raw: a copy */
			memcpy(dst, s, pl[i].n);
			total += pl[i].n;
			continue;
		}
		while (out < pl[i].objlen && in + 9 <= pl[i].n) {
			const uint8_t *h = s + in;
			size_t csz = (size_t)h[3] | (size_t)h[4] << 8 | (size_t)h[5] << 16;
			size_t usz = (size_t)h[6] | (size_t)h[7] << 8 | (size_t)h[8] << 16;
			if (h[0] == 'Z' && h[1] == 'L') {
				uLongf d = (uLongf)usz;
				uncompress(dst + out, &d, h + 9, (uLong)csz);
			} else if (h[0] == 'L' && h[1] == '4') {
				LZ4_decompress_safe((const char *)h + 17, (char *)dst + out, (int)csz - 8, (int)usz);
			} else if (h[0] == 'X' && h[1] == 'Z') {
				uint64_t mem = (uint64_t)1 << 30;
				size_t ip = 0, op = 0;
				if (lzma_stream_buffer_decode(&mem, 0, NULL, h + 9, &ip, csz, dst + out, &op, usz) != LZMA_OK)
					fprintf(stderr, "lzma block failed\n");
			} else if (h[0] == 'Z' && h[1] == 'S') {
				ZSTD_decompress(dst + out, usz, h + 9, csz);
			}
			in += 9 + csz;
			out += usz;
		}
		total += pl[i].objlen;
	}
	return total;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: root_bench FILE TREE BRANCH... (REPEAT from the environment, default 5)\n");
		return 2;
	}
	int repeat = getenv("REPEAT") ? atoi(getenv("REPEAT")) : 5;
	const char *path = argv[1], *tree = argv[2];
	int nb = argc - 3;
	char **names = argv + 3;

	/* the baskets of the branches, by a linear scan of key records */
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		perror(path);
		return 1;
	}
	fseek(fp, 0, SEEK_END);
	size_t size = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *file = malloc(size);
	if (!file || fread(file, 1, size, fp) != size) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	fclose(fp);
	payload *pl = calloc(size / 32 + 1, sizeof *pl);
	size_t np = 0, maxobj = 0, pos = be32(file + 8);
	while (pos + 30 < size) {
		int32_t nbytes = (int32_t)be32(file + pos);
		if (nbytes < 0) { /* a free gap */
			pos += (size_t)-nbytes;
			continue;
		}
		if (nbytes == 0)
			break;
		int16_t ver = (int16_t)be16(file + pos + 4);
		size_t objlen = be32(file + pos + 6);
		size_t keylen = be16(file + pos + 14);
		size_t q = pos + 18 + (ver > 1000 ? 16 : 8);
		char cls[256], name[256];
		size_t l = file[q];
		memcpy(cls, file + q + 1, l < 255 ? l : 255);
		cls[l < 255 ? l : 255] = 0;
		q += 1 + l;
		l = file[q];
		memcpy(name, file + q + 1, l < 255 ? l : 255);
		name[l < 255 ? l : 255] = 0;
		if (!strcmp(cls, "TBasket"))
			for (int i = 0; i < nb; i++)
				if (!strcmp(name, names[i])) {
					pl[np++] = (payload){file + pos + keylen, (size_t)nbytes - keylen, objlen};
					if (objlen > maxobj)
						maxobj = objlen;
				}
		pos += (size_t)nbytes;
	}
	uint8_t *dst = malloc(maxobj ? maxobj : 1);
	double best_bound = 1e30, best_lc = 1e30, best_read = 1e30;
	size_t ubytes = 0;
	for (int r = 0; r < repeat; r++) {
		double t0 = now();
		ubytes = bound_pass(pl, np, dst);
		double t1 = now();
		if (t1 - t0 < best_bound)
			best_bound = t1 - t0;
	}
	size_t values = 0;
	for (int r = 0; r < repeat; r++) {
		double t0 = now();
		lc_root *f;
		lc_root_tree *t;
		lc_error err = {0};
		if (lc_root_open(path, &f, &err) || lc_root_tree_open(f, tree, &t, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		values = 0;
		double tr = now();
		for (int i = 0; i < nb; i++) {
			long c = lc_root_tree_find(t, names[i]);
			lc_root_array a;
			if (c < 0 || lc_root_branch_read(t, (size_t)c, 0, INT64_MAX, &a, &err)) {
				fprintf(stderr, "%s: %s\n", names[i], c < 0 ? "no such branch" : err.msg);
				return 1;
			}
			values += a.nvalues;
			lc_root_array_free(&a);
		}
		double t1 = now();
		lc_root_tree_close(t);
		lc_root_close(f);
		if (t1 - t0 < best_lc)
			best_lc = t1 - t0;
		if (t1 - tr < best_read)
			best_read = t1 - tr;
	}
	double mb = (double)ubytes / 1e6;
	printf("%-34s %2d branches %3zu baskets %6.2f MB | open+read %7.1f MB/s, read %7.1f MB/s | bound %7.1f MB/s"
	       " | ratio open+read %.2f, read %.2f\n",
	       strrchr(path, '/') ? strrchr(path, '/') + 1 : path, nb, np, mb, mb / best_lc, mb / best_read,
	       mb / best_bound, best_bound / best_lc, best_bound / best_read);
	(void)values;
	free(dst);
	free(pl);
	free(file);
	return 0;
}
