/* io_url.c — byte sources for the ROOT reader: local files (pread), http(s):// through libcurl with Range requests
 * (only the blocks the reader asks for travel); root:// through the module lumicert-xrootd.so (io_xrootd.cc, XrdCl's
 * C++ API), loaded on first use. */
#define _GNU_SOURCE /* dladdr */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lumicert_extract.h"

/* ---------------------------------------------------------------- local files through pread */

typedef struct file_src {
	int fd;       /* open descriptor */
	char *name;   /* path for messages */
} file_src;

static int file_read(void *ctx, int64_t off, void *buf, size_t n, lc_error *err)
{
	file_src *s = ctx;
	size_t done = 0;
	while (done < n) {
		ssize_t k = pread(s->fd, (char *)buf + done, n - done, (off_t)(off + (int64_t)done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return lc_error_set(err, LC_ERR_IO, "%s: byte %lld: cannot read %zu bytes: %s", s->name,
					    (long long)(off + (int64_t)done), n - done, k < 0 ? strerror(errno) : "end of file");
		done += (size_t)k;
	}
	return LC_OK;
}

static void file_close(void *ctx)
{
	file_src *s = ctx;
	if (!s)
		return;
	close(s->fd);
	free(s->name);
	free(s);
}

int lc_source_open_file(const char *path, lc_byte_source *out, lc_error *err)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return lc_error_set(err, LC_ERR_IO, "%s: not a regular file", path);
	}
	file_src *s = calloc(1, sizeof *s);
	if (!s || !(s->name = strdup(path))) {
		free(s);
		close(fd);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	s->fd = fd;
	*out = (lc_byte_source){s, (int64_t)st.st_size, s->name, file_read, file_close};
	return LC_OK;
}

/* ---------------------------------------------------------------- http(s) through libcurl */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct http_src {
	CURL *curl;           /* one handle per source: the connection is kept alive between range requests */
	char *url;            /* URL for messages */
	char errbuf[CURL_ERROR_SIZE];
	char *dst;            /* destination of the current request */
	size_t want, got;     /* bytes requested and received */
	int overflow;         /* 1 if the server sent more than requested */
} http_src;

static size_t http_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	http_src *s = ctx;
	size_t k = size * nmemb;
	if (k > s->want - s->got) {
		s->overflow = 1;
		return 0; /* abort the transfer */
	}
	memcpy(s->dst + s->got, p, k);
	s->got += k;
	return k;
}

static int http_read(void *ctx, int64_t off, void *buf, size_t n, lc_error *err)
{
	http_src *s = ctx;
	char range[64];
	snprintf(range, sizeof range, "%lld-%lld", (long long)off, (long long)(off + (int64_t)n - 1));
	s->dst = buf;
	s->want = n;
	s->got = 0;
	s->overflow = 0;
	s->errbuf[0] = 0;
	curl_easy_setopt(s->curl, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s->curl, CURLOPT_RANGE, range);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	CURLcode c = curl_easy_perform(s->curl);
	long code = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (s->overflow || (c == CURLE_OK && code == 200))
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: the server ignores Range requests (bytes %s answered "
				    "with the whole file, HTTP %ld)", s->url, range, code);
	if (c != CURLE_OK)
		return lc_error_set(err, LC_ERR_IO, "%s: bytes %s: %s (%zu of %zu bytes received)", s->url, range,
				    s->errbuf[0] ? s->errbuf : curl_easy_strerror(c), s->got, n);
	if (code != 206)
		return lc_error_set(err, LC_ERR_IO, "%s: bytes %s: HTTP status %ld", s->url, range, code);
	if (s->got != n)
		return lc_error_set(err, LC_ERR_IO, "%s: bytes %s: connection ended after %zu of %zu bytes", s->url, range,
				    s->got, n);
	return LC_OK;
}

static void http_close(void *ctx)
{
	http_src *s = ctx;
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	free(s->url);
	free(s);
}

static int http_open(const char *url, lc_byte_source *out, lc_error *err)
{
	pthread_once(&curl_once, curl_init);
	http_src *s = calloc(1, sizeof *s);
	if (!s || !(s->url = strdup(url)) || !(s->curl = curl_easy_init())) {
		http_close(s);
		return lc_error_set(err, LC_ERR_NOMEM, "%s: cannot set up an HTTP client", url);
	}
	CURL *c = s->curl;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM-based timeouts */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer (1 B/s for 60 s) fails */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lumicert/" LC_VERSION);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_off_t len = -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	int ret = LC_OK;
	if (rc != CURLE_OK)
		ret = lc_error_set(err, LC_ERR_IO, "%s: %s", url, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
	else if (code != 200)
		ret = lc_error_set(err, code == 404 ? LC_ERR_NOTFOUND : LC_ERR_IO, "%s: HTTP status %ld", url, code);
	else if (len < 0)
		ret = lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: the server states no Content-Length", url);
	if (ret) {
		http_close(s);
		return ret;
	}
	*out = (lc_byte_source){s, (int64_t)len, s->url, http_read, http_close};
	return LC_OK;
}

/* ---------------------------------------------------------------- root:// through the XRootD module */

typedef int (*xrd_open_fn)(const char *url, lc_byte_source *out, lc_error *err);
static pthread_once_t xrd_once = PTHREAD_ONCE_INIT;
static xrd_open_fn xrd_open;
static char xrd_why[700]; /* why the module could not be loaded */

/* The module is looked for at $LUMICERT_XROOTD, then beside the object holding this code (liblumicert.so, or the
 * program) and beside the program: DIR/../lib/lumicert/ and DIR/lumicert/ (installed layouts), then in the build
 * directory. */
static void xrd_load(void)
{
	char cand[6][1100], dir[2][1024];
	int n = 0;
	const char *env = getenv("LUMICERT_XROOTD");
	if (env && *env)
		snprintf(cand[n++], sizeof cand[0], "%s", env);
	Dl_info info; /* an object of this file tells where its code was loaded from */
	if (dladdr(&xrd_once, &info) && info.dli_fname && strchr(info.dli_fname, '/'))
		snprintf(dir[0], sizeof dir[0], "%s", info.dli_fname);
	else
		dir[0][0] = 0;
	ssize_t k = readlink("/proc/self/exe", dir[1], sizeof dir[1] - 1);
	dir[1][k > 0 ? k : 0] = 0;
	for (int d = 0; d < 2; d++) {
		char *slash = strrchr(dir[d], '/');
		if (!slash)
			continue;
		*slash = 0;
		snprintf(cand[n++], sizeof cand[0], "%.1000s/../lib/lumicert/lumicert-xrootd.so", dir[d]);
		snprintf(cand[n++], sizeof cand[0], "%.1000s/lumicert/lumicert-xrootd.so", dir[d]);
	}
#ifdef LC_BUILD_DIR
	snprintf(cand[n++], sizeof cand[0], "%s/lumicert-xrootd.so", LC_BUILD_DIR);
#endif
	size_t w = (size_t)snprintf(xrd_why, sizeof xrd_why, "the XRootD module lumicert-xrootd.so was not found (tried");
	for (int i = 0; i < n; i++) {
		void *h = dlopen(cand[i], RTLD_NOW | RTLD_LOCAL);
		if (h && (xrd_open = (xrd_open_fn)(uintptr_t)dlsym(h, "lumicert_xrootd_open")))
			return;
		if (h) {
			dlclose(h);
			w += (size_t)snprintf(xrd_why + w, w < sizeof xrd_why ? sizeof xrd_why - w : 0, " %s: no entry point;",
					      cand[i]);
		} else if (access(cand[i], F_OK) == 0) /* there but unloadable: say why */
			w += (size_t)snprintf(xrd_why + w, w < sizeof xrd_why ? sizeof xrd_why - w : 0, " %s;", dlerror());
		else
			w += (size_t)snprintf(xrd_why + w, w < sizeof xrd_why ? sizeof xrd_why - w : 0, " %s;", cand[i]);
	}
	if (w < sizeof xrd_why)
		snprintf(xrd_why + w, sizeof xrd_why - w, " set LUMICERT_XROOTD to its path)");
}

int lc_source_open_xrootd(const char *url, lc_byte_source *out, lc_error *err)
{
	pthread_once(&xrd_once, xrd_load);
	if (!xrd_open)
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: cannot read root:// URLs: %s", url, xrd_why);
	return xrd_open(url, out, err);
}

/* ---------------------------------------------------------------- dispatch */

int lc_source_open_url(const char *url, lc_byte_source *out, lc_error *err)
{
	if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8))
		return http_open(url, out, err);
	if (!strncmp(url, "root://", 7))
		return lc_source_open_xrootd(url, out, err);
	if (!strncmp(url, "file://", 7))
		return lc_source_open_file(url + 7, out, err);
	if (strstr(url, "://"))
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: unsupported URL scheme (local paths, file://, http://, "
				    "https:// and root:// are read)", url);
	return lc_source_open_file(url, out, err);
}

int lc_root_open_url(const char *url, lc_root **out, lc_error *err)
{
	if (!strstr(url, "://"))
		return lc_root_open(url, out, err); /* local files are mapped: the fastest path */
	lc_byte_source src;
	int rc = lc_source_open_url(url, &src, err);
	if (rc)
		return rc;
	return lc_root_open_source(&src, out, err);
}
