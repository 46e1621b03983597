/* io_xrootd.c — root:// byte source. The XRootD client library has a C++ API only; it is not linked into this
 * C library yet, so root:// URLs are refused with a clear message (docs/extract.md says how to fetch them). */
#include "lumicert_extract.h"

int lc_source_open_xrootd(const char *url, lc_byte_source *out, lc_error *err)
{
	(void)out;
	return lc_error_set(err, LC_ERR_UNSUPPORTED,
			    "%s: unsupported: root:// (XRootD) is not built into this lumicert; copy the file with "
			    "xrdcp or read it over https:// (CMS open data serves both)", url);
}
