/* extract.c — `lumicert extract CONFIG URLLIST OUTDIR`: per-lumisection features from ROOT event files (local,
 * http(s)://, root://) as the CMS DQM seed's load.py extracts them; CSV, event files, failures, store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lumicert_extract.h"

static const char *help =
	"usage: lumicert extract CONFIG URLLIST OUTDIR [--db DB] [--threads N] [--shard I/N]\n\n"
	"Per-lumisection (LS) features from ROOT event files (NanoAOD or CMS AOD split branches).\n"
	"  CONFIG   the seed's JSON: {\"tree\": \"Events\", \"per_lumisection\": [RUN, LUMI, ...],\n"
	"           \"per_event\": {\"muons\": {\"branches\": [\"Muon_pt\", \"Muon_eta\", \"Muon_phi\"],\n"
	"           \"read_each\": 1, \"batch\": 100000}, ...}, \"quantiles\": 5}; checked before any file is read\n"
	"  URLLIST  one path, file://, http(s):// (Range requests) or root:// (XRootD) URL a line ('#' comments);\n"
	"           root:// loads the module lumicert-xrootd.so (installed in lib/lumicert/; or $LUMICERT_XROOTD)\n"
	"  OUTDIR   gets events/<file>.lcev per input (inputs whose event file exists are skipped),\n"
	"           features.csv (run, lumi, n_events, <channel>_nonzero, <channel>_<feature>_q<k>_<stat>, ...)\n"
	"           and failed.txt (URL <tab> error per failed input)\n"
	"  --db DB        also store the per-LS features in DB (table feature)\n"
	"  --threads N    worker threads (default 1); a single file is split into entry ranges\n"
	"  --shard I/N    only URLs I, I+N, I+2N, ... (1-based); writes features.shard-I-of-N.csv; a later run\n"
	"                 without --shard over the same OUTDIR skips every file and aggregates all of them\n"
	"Exit status 1 when the config is bad, nothing could be done, or any input failed (the others are\n"
	"still extracted and written). See docs/extract.md.\n";

int cmd_extract(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *pos[3], *db = NULL, *threads = NULL, *shard = NULL;
	int np = 0;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--db", &db) || opt_value(argc, argv, &i, "--threads", &threads) ||
		    opt_value(argc, argv, &i, "--shard", &shard))
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return usage_error("extract", "unknown option %s", argv[i]);
		if (np == 3)
			return usage_error("extract", "too many arguments");
		pos[np++] = argv[i];
	}
	if (np != 3)
		return usage_error("extract", "expected CONFIG URLLIST OUTDIR");
	lc_extract_opts o = {.threads = 1, .db = db};
	if (threads)
		o.threads = (int)opt_long("--threads", threads, 1, 256);
	if (shard) {
		char tail;
		if (sscanf(shard, "%d/%d%c", &o.shard_i, &o.shard_n, &tail) != 2 || o.shard_n < 1 || o.shard_i < 1 ||
		    o.shard_i > o.shard_n)
			return usage_error("extract", "--shard: expected I/N with 1 <= I <= N, got '%s'", shard);
	}
	lc_error err = {0};
	lc_extract_config *c;
	if (lc_extract_config_load(pos[0], &c, &err))
		return fail("extract", &err);
	char **urls;
	size_t n;
	if (lc_extract_urls_read(pos[1], &urls, &n, &err)) {
		lc_extract_config_free(c);
		return fail("extract", &err);
	}
	lc_extract_summary s;
	int rc = lc_extract_run(c, (const char *const *)urls, n, pos[2], &o, &s, &err);
	lc_extract_urls_free(urls, n);
	lc_extract_config_free(c);
	if (rc)
		return fail("extract", &err);
	printf("extract: %zu inputs: %zu extracted (%lld events), %zu already done, %zu failed; %zu LS -> %s\n", s.nurls,
	       s.nprocessed, (long long)s.nevents, s.nskipped, s.nfailed, s.nls, s.csv_path);
	if (db)
		printf("extract: features stored in %s (table feature)\n", db);
	int bad = s.nfailed > 0;
	if (bad) {
		fprintf(stderr, "lumicert extract: %zu inputs failed (listed in %s):\n", s.nfailed, s.failed_path);
		for (size_t i = 0; i < s.nfailed; i++) /* messages name their input; prefix the URL when one does not */
			if (!strncmp(s.failed_msg[i], s.failed[i], strlen(s.failed[i])))
				fprintf(stderr, "  %s\n", s.failed_msg[i]);
			else
				fprintf(stderr, "  %s: %s\n", s.failed[i], s.failed_msg[i]);
	}
	lc_extract_summary_free(&s);
	return bad;
}
