// io_xrootd.cc — root:// byte source for the ROOT reader through the XRootD client (XrdCl, Debian's
// libxrootd-client-dev). XrdCl has a C++ API only, and its libraries run code when they are loaded (libXrdUtils
// looks up the host's interfaces and their names in DNS, 5 s on a machine whose resolver does not answer): so this
// file is built as a module of its own, lumicert-xrootd.so, that the library loads with dlopen on the first root://
// URL (io_url.c), and no other command pays for it. It exposes one C function (extern "C"), needs nothing from the
// library but its types, and no exception leaves it. Reads ask for exactly the bytes the reader's blocks need.
#include <XrdCl/XrdClFile.hh>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "lumicert_extract.h"

namespace {

// lc_error_set's contract, written here so that the module needs no symbol of the library
int fail(lc_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

struct xrd_src {
	XrdCl::File file;  // the open remote file
	std::string url;   // for messages
};

int xrd_read(void *ctx, int64_t off, void *buf, size_t n, lc_error *err)
{
	xrd_src *s = static_cast<xrd_src *>(ctx);
	size_t done = 0;
	while (done < n) {
		uint32_t want = n - done > (size_t(1) << 26) ? uint32_t(1) << 26 : uint32_t(n - done);
		uint32_t got = 0;
		XrdCl::XRootDStatus st = s->file.Read(uint64_t(off) + done, want, static_cast<char *>(buf) + done, got);
		if (!st.IsOK())
			return fail(err, LC_ERR_IO, "%s: bytes %lld-%lld: %s (%zu of %zu bytes received)",
					    s->url.c_str(), (long long)off, (long long)(off + int64_t(n) - 1),
					    st.ToString().c_str(), done, n);
		if (got == 0)
			return fail(err, LC_ERR_IO, "%s: bytes %lld-%lld: the file ended after %zu of %zu bytes",
					    s->url.c_str(), (long long)off, (long long)(off + int64_t(n) - 1), done, n);
		done += got;
	}
	return LC_OK;
}

void xrd_close(void *ctx)
{
	xrd_src *s = static_cast<xrd_src *>(ctx);
	if (!s)
		return;
	if (s->file.IsOpen()) {
		XrdCl::XRootDStatus st = s->file.Close(); // read-only: nothing is lost if closing fails
		(void)st;
	}
	delete s;
}

} // namespace

extern "C" int lumicert_xrootd_open(const char *url, lc_byte_source *out, lc_error *err)
{
	xrd_src *s = nullptr;
	try {
		s = new xrd_src();
		s->url = url;
		XrdCl::XRootDStatus st = s->file.Open(s->url, XrdCl::OpenFlags::Read);
		if (!st.IsOK()) {
			int rc = fail(err, st.errNo == 3011 ? LC_ERR_NOTFOUND : LC_ERR_IO, "%s: cannot open: %s", url,
					      st.ToString().c_str());
			delete s;
			return rc;
		}
		XrdCl::StatInfo *info = nullptr;
		st = s->file.Stat(false, info);
		if (!st.IsOK() || !info) {
			int rc = fail(err, LC_ERR_IO, "%s: cannot stat: %s", url, st.ToString().c_str());
			delete info;
			xrd_close(s);
			return rc;
		}
		int64_t size = int64_t(info->GetSize());
		delete info;
		out->ctx = s;
		out->size = size;
		out->name = s->url.c_str();
		out->read = xrd_read;
		out->close = xrd_close;
		return LC_OK;
	} catch (const std::bad_alloc &) {
		xrd_close(s);
		return fail(err, LC_ERR_NOMEM, "%s: out of memory", url);
	} catch (...) {
		xrd_close(s);
		return fail(err, LC_ERR_IO, "%s: the XRootD client failed", url);
	}
}
