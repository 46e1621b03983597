/* unzip.c — ROOT compression blocks: a 9-byte header (2-byte magic, method, 3-byte little-endian compressed and
 * uncompressed sizes) then the data; ZL zlib, CS raw deflate (ROOT's old algorithm), XZ lzma, L4 lz4 block preceded by
 * its big-endian XXH64 (seed 0), ZS zstd. An object larger than 16 MiB is a sequence of blocks. */
#include <lz4.h>
#include <lzma.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "rootint.h"

/* Inflates exactly usz bytes; raw = 1 for headerless deflate (CS). Returns 0 on success. */
static int inflate_block(const uint8_t *src, size_t csz, uint8_t *dst, size_t usz, int raw)
{
	z_stream s;
	memset(&s, 0, sizeof s);
	if ((raw ? inflateInit2(&s, -15) : inflateInit(&s)) != Z_OK)
		return -1;
	s.next_in = (Bytef *)(uintptr_t)src;
	s.avail_in = (uInt)csz;
	s.next_out = dst;
	s.avail_out = (uInt)usz;
	int r = inflate(&s, Z_FINISH);
	size_t got = usz - s.avail_out;
	inflateEnd(&s);
	return (r == Z_STREAM_END || (raw && r == Z_OK)) && got == usz ? 0 : -1;
}

int rt_unzip(const uint8_t *src, size_t srcn, uint8_t *dst, size_t dstn, const char *file, const char *what,
	     int64_t fileoff, lc_error *err)
{
	size_t in = 0, out = 0;
	while (out < dstn) {
		long long at = (long long)(fileoff + (int64_t)in);
		if (srcn - in < 9)
			return lc_error_set(err, LC_ERR_PARSE,
					    "%s: %s: file offset %lld: compressed data truncated (%zu of %zu bytes produced)",
					    file, what, at, out, dstn);
		const uint8_t *h = src + in;
		size_t csz = (size_t)h[3] | (size_t)h[4] << 8 | (size_t)h[5] << 16;
		size_t usz = (size_t)h[6] | (size_t)h[7] << 8 | (size_t)h[8] << 16;
		if (csz > srcn - in - 9)
			return lc_error_set(err, LC_ERR_PARSE,
					    "%s: %s: file offset %lld: compressed block of %zu bytes runs past the object "
					    "(%zu bytes left)", file, what, at, csz, srcn - in - 9);
		if (usz == 0 || usz > dstn - out)
			return lc_error_set(err, LC_ERR_PARSE,
					    "%s: %s: file offset %lld: block expands to %zu bytes, object expects %zu more",
					    file, what, at, usz, dstn - out);
		const uint8_t *c = h + 9;
		uint8_t *d = dst + out;
		int bad = 0;
		if (h[0] == 'Z' && h[1] == 'L') {
			bad = inflate_block(c, csz, d, usz, 0);
		} else if (h[0] == 'C' && h[1] == 'S') {
			bad = inflate_block(c, csz, d, usz, 1);
		} else if (h[0] == 'X' && h[1] == 'Z') {
			uint64_t memlimit = (uint64_t)1 << 30;
			size_t ip = 0, op = 0;
			lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, NULL, c, &ip, csz, d, &op, usz);
			bad = r != LZMA_OK || op != usz;
		} else if (h[0] == 'L' && h[1] == '4') {
			if (csz < 8)
				return lc_error_set(err, LC_ERR_PARSE, "%s: %s: file offset %lld: lz4 block too short",
						    file, what, at);
			uint64_t want = 0;
			for (int i = 0; i < 8; i++)
				want = want << 8 | c[i];
			uint64_t got = XXH64(c + 8, csz - 8, 0);
			if (got != want)
				return lc_error_set(err, LC_ERR_PARSE,
						    "%s: %s: file offset %lld: lz4 block checksum mismatch "
						    "(stored %016llx, computed %016llx)",
						    file, what, at, (unsigned long long)want, (unsigned long long)got);
			int r = LZ4_decompress_safe((const char *)c + 8, (char *)d, (int)(csz - 8), (int)usz);
			bad = r < 0 || (size_t)r != usz;
		} else if (h[0] == 'Z' && h[1] == 'S') {
			size_t r = ZSTD_decompress(d, usz, c, csz);
			bad = ZSTD_isError(r) || r != usz;
		} else {
			return lc_error_set(err, LC_ERR_UNSUPPORTED,
					    "%s: %s: file offset %lld: unsupported compression block '%c%c' (byte values %u %u)",
					    file, what, at, h[0] >= 32 && h[0] < 127 ? h[0] : '?',
					    h[1] >= 32 && h[1] < 127 ? h[1] : '?', h[0], h[1]);
		}
		if (bad)
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s: file offset %lld: corrupt '%c%c' block (%zu -> %zu bytes)",
					    file, what, at, h[0], h[1], csz, usz);
		in += 9 + csz;
		out += usz;
	}
	return LC_OK;
}
