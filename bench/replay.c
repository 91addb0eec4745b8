// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu-bench-replay: what does the transmit pipeline (sg, tso, tx-csum) cost next to copying
 * the same bytes, and what does verification cost next to one MD5 pass over the bytes that go on
 * the wire? The capture is read into memory before anything is timed, so no row includes disk
 * or libpcap time. Every row is timed best of N, the rows interleaved so that a change of load
 * affects them alike. Prints a table on stderr and JSON on stdout; asserts nothing about time,
 * only that the runs did what they were meant to (see bench/REPLAY.md).
 *
 * Guest frames are handed over with emu_guest_frame(), as `vnicemu replay` hands them: lent
 * (never copied), a TCP frame longer than the wire MTU becomes a TSO request, tso cuts its
 * segments without copying their payload and sums each slice once. The default NIC has the stages sg, tso and tx-csum, all on, and takes
 * frames in one buffer; --profile replays through a real profile, descriptor layout included.
 * Timed runs have no sink.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "emu/capture/capture.h"
#include "emu/device/device.h"
#include "offload/offload.h"

static const char *prog = "vnicemu-bench-replay";

/* The rows of the table, in the order they are timed within a round. */
enum bench_row {
	ROW_MEMCPY,
	ROW_NOVERIFY,
	ROW_VERIFY,
	ROW_FULL_VERIFY,
	ROW_MD5,
	NROWS,
};

static const struct {
	const char *key;   /* JSON name */
	const char *label; /* table */
} rows[NROWS] = {
	[ROW_MEMCPY] = {"memcpy", "memcpy of every guest frame"},
	[ROW_NOVERIFY] = {"pipeline_noverify", "pipeline, no verification"},
	[ROW_VERIFY] = {"pipeline_verify", "pipeline, verification"},
	[ROW_FULL_VERIFY] = {"pipeline_full_verify", "pipeline, full verification"},
	[ROW_MD5] = {"md5_wire_pass", "EVP MD5 over the wire frames"},
};

struct bench_frame {
	size_t off;	    /* in bench_cap.bytes */
	uint32_t len;	    /* bytes captured */
	struct timespec ts; /* capture time */
};

/* A capture read into memory. */
struct bench_cap {
	uint8_t *bytes; /* every frame's bytes, back to back */
	size_t nbytes;
	struct bench_frame *frames;
	size_t n;
	uint32_t linktype;
	uint32_t max_len; /* the longest frame */
};

struct bench_time {
	double wall, cpu; /* seconds */
};

struct bench {
	const char *path;
	const char *profile_name; /* --profile, or NULL for the default NIC */
	unsigned runs, wire_mtu;
	bool only; /* --only: time one row (for profiling); no ratios */
	enum bench_row only_row;
	struct bench_cap cap;
	struct emu_profile profile;
	int tso_stage; /* index of the tso stage, or -1 */
	struct md5sig_keytab *keys;
	uint8_t *scratch; /* OFFLOAD_MAX_FRAME bytes: memcpy's destination, MD5's input */

	/* what the first, untimed run saw */
	uint32_t *wire_len; /* length of every frame that reached the wire */
	size_t nwire, wire_cap;
	uint64_t wire_bytes;
	bool record_failed;
	uint64_t tso_requests;
	struct offload_stats ref; /* its counters */

	struct bench_time best[NROWS];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s CAPTURE [--key SECRET] [--profile NAME] [--runs N] [--wire-mtu N]\n"
		"                            [--only ROW]\n"
		"  CAPTURE        signed TCP frames, e.g. from vnicemu-gencap --payload 8940\n"
		"  --key SECRET   the capture's TCP-MD5 secret (default bench-key)\n"
		"  --profile NAME a NIC profile (default: sg, tso, tx-csum on, one buffer per frame)\n"
		"  --runs N       rounds; each row reports its best (default 3)\n"
		"  --wire-mtu N   IP MTU of the wire (default 1500)\n"
		"  --only ROW     time only ROW, to profile it: memcpy, pipeline_noverify,\n"
		"                 pipeline_verify, pipeline_full_verify or md5_wire_pass\n",
		prog);
}

static double clock_sec(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static struct bench_time time_now(void)
{
	return (struct bench_time){clock_sec(CLOCK_MONOTONIC), clock_sec(CLOCK_PROCESS_CPUTIME_ID)};
}

static struct bench_time time_since(struct bench_time t0)
{
	struct bench_time t = time_now();

	return (struct bench_time){t.wall - t0.wall, t.cpu - t0.cpu};
}

/*
 * Read every frame of @path into one buffer. The file's size bounds the bytes its frames hold,
 * so the buffer is allocated once.
 */
static int cap_load(struct bench_cap *c, const char *path, char *err, size_t errlen)
{
	struct emu_capin *in = emu_capin_open(path, err, errlen);
	struct emu_pkt pkt;
	struct stat st;
	size_t nalloc = 0;
	int ret;

	if (!in)
		return -EINVAL;
	if (stat(path, &st) || st.st_size <= 0) {
		snprintf(err, errlen, "%s: cannot size the file", path);
		ret = -EINVAL;
		goto out;
	}
	c->linktype = emu_capin_linktype(in);
	c->bytes = malloc((size_t)st.st_size);
	if (!c->bytes) {
		ret = -ENOMEM;
		goto nomem;
	}
	while ((ret = emu_capin_next(in, &pkt, err, errlen)) > 0) {
		if (pkt.caplen > OFFLOAD_MAX_FRAME) {
			snprintf(err, errlen, "%s: frame %zu: %u bytes, more than a frame may have",
				 path, c->n + 1, pkt.caplen);
			ret = -EINVAL;
			goto out;
		}
		if (c->nbytes + pkt.caplen > (size_t)st.st_size) {
			snprintf(err, errlen, "%s: frames hold more bytes than the file", path);
			ret = -EINVAL;
			goto out;
		}
		if (c->n == nalloc) {
			size_t na = nalloc ? 2 * nalloc : 65536;
			struct bench_frame *nf = realloc(c->frames, na * sizeof(*nf));
			if (!nf) {
				ret = -ENOMEM;
				goto nomem;
			}
			c->frames = nf;
			nalloc = na;
		}
		memcpy(c->bytes + c->nbytes, pkt.data, pkt.caplen);
		c->frames[c->n++] = (struct bench_frame){c->nbytes, pkt.caplen, pkt.ts};
		c->nbytes += pkt.caplen;
		if (pkt.caplen > c->max_len)
			c->max_len = pkt.caplen;
	}
	if (!ret && !c->n) {
		snprintf(err, errlen, "%s: no frames", path);
		ret = -EINVAL;
	}
	goto out;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
out:
	emu_capin_close(in);
	return ret;
}

static void cap_free(struct bench_cap *c)
{
	free(c->bytes);
	free(c->frames);
}

/*
 * The sink of the first run: count the TSO requests among the guest frames, and remember the
 * length of every frame that reaches the wire.
 */
static void record_sink(void *arg, unsigned tap, const struct offload_frame *f,
			const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct bench *b = arg;

	(void)seg;
	(void)st;
	if (tap == 0)
		b->tso_requests += f->tso;
	if (tap != b->profile.ntx || b->record_failed)
		return;
	if (b->nwire == b->wire_cap) {
		size_t nc = b->wire_cap ? 2 * b->wire_cap : 65536;
		uint32_t *nl = realloc(b->wire_len, nc * sizeof(*nl));
		if (!nl) {
			b->record_failed = true;
			return;
		}
		b->wire_len = nl;
		b->wire_cap = nc;
	}
	b->wire_len[b->nwire++] = f->len;
	b->wire_bytes += f->len;
}

/* The default NIC: the transmit stages of a TSO NIC, every feature on, linear frames. */
static void bench_profile(struct emu_profile *p)
{
	static const char *const tx[] = {"sg", "tso", "tx-csum"};

	*p = (struct emu_profile){.ntx = 3};
	snprintf(p->name, sizeof(p->name), "bench");
	for (unsigned i = 0; i < p->ntx; i++)
		snprintf(p->tx[i], sizeof(p->tx[i]), "%s", tx[i]);
	p->on[OFFLOAD_F_SG] = p->on[OFFLOAD_F_TSO] = p->on[OFFLOAD_F_TX] = true;
}

/*
 * One pass of the pipeline over the capture, verification as @row says. @record: the first
 * run, which records what the sink sees.
 */
static int pipeline_run(struct bench *b, enum bench_row row, bool record, struct bench_time *t,
			struct offload_stats *s, char *err, size_t errlen)
{
	struct offload_config cfg = {0};
	struct offload_pipeline *pl;
	int ret = emu_profile_config(&b->profile, false, &cfg, err, errlen);

	if (ret)
		return ret;
	cfg.linktype = b->cap.linktype;
	cfg.wire_mtu = b->wire_mtu;
	cfg.keys = b->keys;
	cfg.verify = row != ROW_NOVERIFY;
	cfg.full_verify = row == ROW_FULL_VERIFY;
	pl = offload_pipeline_new(&cfg, err, errlen);
	if (!pl)
		return -EINVAL;
	if (record)
		offload_pipeline_set_sink(pl, record_sink, b);
	struct bench_time t0 = time_now();
	for (size_t i = 0; i < b->cap.n; i++) {
		const struct bench_frame *bf = &b->cap.frames[i];
		int n = emu_guest_frame(pl, &b->profile, b->cap.linktype, b->wire_mtu,
					b->cap.bytes + bf->off, bf->len, bf->len, &bf->ts, i + 1,
					NULL);
		if (n < 0) {
			snprintf(err, errlen, "%s: frame %zu: %s", b->path, i + 1, strerror(-n));
			ret = n;
			goto out;
		}
	}
	*t = time_since(t0);
	offload_pipeline_stats(pl, s);
	if (record && b->record_failed) {
		snprintf(err, errlen, "out of memory recording the wire frames");
		ret = -ENOMEM;
	}
out:
	offload_pipeline_free(pl);
	return ret;
}

/*
 * Copy every guest frame into one buffer, as the pipeline copies it into its guest frame. A
 * byte is read back so the copy cannot be optimized away.
 */
static void memcpy_run(struct bench *b, struct bench_time *t)
{
	volatile uint8_t seen = 0;
	struct bench_time t0 = time_now();

	for (size_t i = 0; i < b->cap.n; i++) {
		const struct bench_frame *bf = &b->cap.frames[i];

		memcpy(b->scratch, b->cap.bytes + bf->off, bf->len);
		seen ^= b->scratch[0];
	}
	*t = time_since(t0);
	(void)seen;
}

/*
 * One MD5 per wire frame over as many bytes as it has, with one reused EVP context as md5sig
 * does. The input is one buffer that stays in cache: the pure cost of the hash, so the
 * baseline is if anything too cheap and the ratio against it errs high.
 */
static int md5_run(struct bench *b, struct bench_time *t, char *err, size_t errlen)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "MD5", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	int ret = 0;

	if (!md || !ctx) {
		snprintf(err, errlen, "libcrypto has no MD5");
		ret = -ENOSYS;
		goto out;
	}
	struct bench_time t0 = time_now();
	for (size_t i = 0; i < b->nwire; i++) {
		if (!EVP_DigestInit_ex(ctx, md, NULL) ||
		    !EVP_DigestUpdate(ctx, b->scratch, b->wire_len[i]) ||
		    !EVP_DigestFinal_ex(ctx, d, &dlen)) {
			snprintf(err, errlen, "EVP MD5 failed");
			ret = -EIO;
			goto out;
		}
	}
	*t = time_since(t0);
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ret;
}

static const struct offload_tap_stats *wire_tap(const struct offload_stats *s)
{
	return s->nstages ? &s->stages[s->nstages - 1].tap : &s->guest;
}

/*
 * Did a run do what the row claims? Every guest frame in, the same wire frames as the first
 * run, and with verification every guest digest valid and the same wire verdicts as the first
 * run (so inferring verdicts and recomputing them agree).
 */
static int check_run(const struct bench *b, enum bench_row row, const struct offload_stats *s,
		     char *err, size_t errlen)
{
	const struct offload_tap_stats *w = wire_tap(s), *rw = wire_tap(&b->ref);

	if (s->guest.frames != b->cap.n || w->frames != b->nwire) {
		snprintf(err, errlen,
			 "%s: %llu guest frames in, %llu on the wire; expected %zu, %zu",
			 rows[row].key, (unsigned long long)s->guest.frames,
			 (unsigned long long)w->frames, b->cap.n, b->nwire);
		return -EPROTO;
	}
	if (row == ROW_NOVERIFY)
		return 0;
	if (s->guest.verdicts[MD5SIG_VALID] != b->cap.n) {
		snprintf(
			err, errlen,
			"%s: %llu of %zu guest frames have a valid digest: wrong key, or a capture "
			"that is not signed",
			rows[row].key, (unsigned long long)s->guest.verdicts[MD5SIG_VALID],
			b->cap.n);
		return -EPROTO;
	}
	if (memcmp(w->verdicts, rw->verdicts, sizeof(w->verdicts))) {
		snprintf(err, errlen, "%s: wire verdicts differ from the first run's",
			 rows[row].key);
		return -EPROTO;
	}
	return 0;
}

static int time_row(struct bench *b, enum bench_row row, struct bench_time *t, char *err,
		    size_t errlen)
{
	struct offload_stats s;
	int ret;

	switch (row) {
	case ROW_MEMCPY:
		memcpy_run(b, t);
		return 0;
	case ROW_MD5:
		return md5_run(b, t, err, errlen);
	default:
		ret = pipeline_run(b, row, false, t, &s, err, errlen);
		return ret ? ret : check_run(b, row, &s, err, errlen);
	}
}

static int measure(struct bench *b, char *err, size_t errlen)
{
	struct bench_time t;
	int ret;

	/*
	 * Untimed: records the wire frames, warms caches and the allocator. With --only a pipeline
	 * row, that row's configuration, so that a profile shows nothing else.
	 */
	bool own = b->only && b->only_row != ROW_MEMCPY && b->only_row != ROW_MD5;
	ret = pipeline_run(b, own ? b->only_row : ROW_VERIFY, true, &t, &b->ref, err, errlen);
	if (ret)
		return ret;
	if (!b->tso_requests || b->nwire <= b->cap.n) {
		snprintf(err, errlen,
			 "%s: %llu TSO requests, %zu wire frames of %zu guest frames: nothing was "
			 "segmented (no TCP frame longer than the wire MTU %u?)",
			 b->path, (unsigned long long)b->tso_requests, b->nwire, b->cap.n,
			 b->wire_mtu);
		return -EINVAL;
	}
	for (unsigned r = 0; r < b->runs; r++) {
		for (int row = 0; row < NROWS; row++) {
			if (b->only && row != (int)b->only_row)
				continue;
			ret = time_row(b, (enum bench_row)row, &t, err, errlen);
			if (ret)
				return ret;
			if (!r || t.wall < b->best[row].wall)
				b->best[row].wall = t.wall;
			if (!r || t.cpu < b->best[row].cpu)
				b->best[row].cpu = t.cpu;
		}
	}
	return 0;
}

/* The ratios of the targets, from wall or CPU seconds. */
struct bench_ratios {
	double noverify_vs_memcpy; /* throughput: memcpy time / pipeline time */
	double verify_cost;	   /* (verify - noverify) / MD5 pass */
	double full_verify_cost;
};

static struct bench_ratios ratios(const struct bench *b, bool cpu)
{
	double t[NROWS];

	for (int r = 0; r < NROWS; r++)
		t[r] = cpu ? b->best[r].cpu : b->best[r].wall;
	return (struct bench_ratios){
		t[ROW_MEMCPY] / t[ROW_NOVERIFY],
		(t[ROW_VERIFY] - t[ROW_NOVERIFY]) / t[ROW_MD5],
		(t[ROW_FULL_VERIFY] - t[ROW_NOVERIFY]) / t[ROW_MD5],
	};
}

/* The tso stage's counters in the first run (zeros without a tso stage). */
static struct offload_stage_stats tso_stats(const struct bench *b)
{
	return b->tso_stage >= 0 ? b->ref.stages[b->tso_stage] : (struct offload_stage_stats){0};
}

static void print_table(const struct bench *b)
{
	const struct offload_stage_stats tso = tso_stats(b);
	struct bench_ratios w = ratios(b, false), c = ratios(b, true);

	fprintf(stderr,
		"capture:  %s, %zu frames (%llu TSO requests), %zu guest bytes, longest %u\n"
		"NIC:      %s; wire MTU %u, %zu frames, %llu bytes; tso invalidated %llu, %llu "
		"of them inferred\n\n",
		b->path, b->cap.n, (unsigned long long)b->tso_requests, b->cap.nbytes,
		b->cap.max_len, b->profile.name, b->wire_mtu, b->nwire,
		(unsigned long long)b->wire_bytes, (unsigned long long)tso.invalidated,
		(unsigned long long)tso.tap.inferred);
	fprintf(stderr, "%-32s %12s %12s %12s\n", "", "best of", "guest", "wire");
	fprintf(stderr, "%-32s %10u s %12s %12s\n", "", b->runs, "MB/s", "MB/s");
	for (int r = 0; r < NROWS; r++) {
		double s = b->best[r].wall;
		if (b->only && r != (int)b->only_row)
			continue;
		if (r == ROW_MD5)
			fprintf(stderr, "%-32s %12.4f %12s %12.1f\n", rows[r].label, s, "",
				(double)b->wire_bytes / s / 1e6);
		else
			fprintf(stderr, "%-32s %12.4f %12.1f %12.1f\n", rows[r].label, s,
				(double)b->cap.nbytes / s / 1e6, (double)b->wire_bytes / s / 1e6);
	}
	if (b->only)
		return;
	fprintf(stderr, "\n%-44s %6s %6s %s\n", "ratio", "wall", "cpu", "target");
	fprintf(stderr, "%-44s %6.2f %6.2f >= 0.5\n", "pipeline_noverify / memcpy (throughput)",
		w.noverify_vs_memcpy, c.noverify_vs_memcpy);
	fprintf(stderr, "%-44s %6.2f %6.2f <= 1.3\n", "(verify - noverify) / md5_wire_pass",
		w.verify_cost, c.verify_cost);
	fprintf(stderr, "%-44s %6.2f %6.2f <= 1.3\n", "(full_verify - noverify) / md5_wire_pass",
		w.full_verify_cost, c.full_verify_cost);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_ratios(const char *name, struct bench_ratios r)
{
	printf("  \"%s\": {\"noverify_vs_memcpy\": %.4f, \"verify_cost_vs_md5_wire_pass\": %.4f, "
	       "\"full_verify_cost_vs_md5_wire_pass\": %.4f},\n",
	       name, r.noverify_vs_memcpy, r.verify_cost, r.full_verify_cost);
}

static void print_json(const struct bench *b)
{
	const struct offload_tap_stats *w = wire_tap(&b->ref);
	const struct offload_stage_stats tso = tso_stats(b);

	printf("{\n  \"capture\": {\"path\": ");
	json_str(b->path);
	printf(", \"frames\": %zu, \"tso_requests\": %llu, \"guest_bytes\": %zu, "
	       "\"longest_frame\": %u},\n",
	       b->cap.n, (unsigned long long)b->tso_requests, b->cap.nbytes, b->cap.max_len);
	printf("  \"nic\": ");
	json_str(b->profile.name);
	printf(",\n  \"wire\": {\"mtu\": %u, \"frames\": %zu, \"bytes\": %llu, \"valid\": %llu, "
	       "\"invalid\": %llu, \"tso_invalidated\": %llu, \"tso_inferred\": %llu},\n",
	       b->wire_mtu, b->nwire, (unsigned long long)b->wire_bytes,
	       (unsigned long long)w->verdicts[MD5SIG_VALID],
	       (unsigned long long)w->verdicts[MD5SIG_INVALID], (unsigned long long)tso.invalidated,
	       (unsigned long long)tso.tap.inferred);
	printf("  \"runs\": %u,\n  \"rows\": {", b->runs);
	for (int r = 0, first = 1; r < NROWS; r++) {
		uint64_t bytes = r == ROW_MD5 ? b->wire_bytes : b->cap.nbytes;
		if (b->only && r != (int)b->only_row)
			continue;
		printf("%s\n    \"%s\": {\"seconds\": %.6f, \"cpu_seconds\": %.6f, "
		       "\"%s_bytes_per_second\": %.0f}",
		       first ? "" : ",", rows[r].key, b->best[r].wall, b->best[r].cpu,
		       r == ROW_MD5 ? "wire" : "guest", (double)bytes / b->best[r].wall);
		first = 0;
	}
	if (b->only) {
		printf("\n  }\n}\n");
		return;
	}
	printf("\n  },\n");
	json_ratios("ratios", ratios(b, false));
	json_ratios("ratios_cpu", ratios(b, true));
	printf("  \"targets\": {\"noverify_vs_memcpy\": \">= 0.5\", "
	       "\"verify_cost_vs_md5_wire_pass\": \"<= 1.3\"}\n}\n");
}

static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

static int bad_value(const char *opt, const char *arg)
{
	fprintf(stderr, "%s: bad value '%s' for --%s\n", prog, arg, opt);
	return 2;
}

/* Load the NIC, the key and the capture. Return: 0 or -errno with a reason in @err. */
static int setup(struct bench *b, const char *secret, char *err, size_t errlen)
{
	int ret;

	b->keys = md5sig_keytab_new();
	b->scratch = calloc(1, OFFLOAD_MAX_FRAME);
	if (!b->keys || !b->scratch) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!b->profile_name)
		bench_profile(&b->profile);
	else if ((ret = emu_profile_load(&b->profile, b->profile_name, err, errlen)))
		return ret;
	b->tso_stage = -1;
	for (unsigned i = 0; i < b->profile.ntx; i++)
		if (!strcmp(b->profile.tx[i], "tso"))
			b->tso_stage = (int)i;
	ret = emu_keys_from_arg(b->keys, secret, err, errlen);
	return ret ? ret : cap_load(&b->cap, b->path, err, errlen);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"profile", required_argument, NULL, 'p'},
		{"runs", required_argument, NULL, 'r'},
		{"wire-mtu", required_argument, NULL, 'm'},
		{"only", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench b = {.runs = 3, .wire_mtu = 1500};
	const char *secret = "bench-key";
	char err[1024];
	long v;
	int opt, ret = 2;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			secret = optarg;
			break;
		case 'p':
			b.profile_name = optarg;
			break;
		case 'r':
			if ((v = parse_num(optarg, 1, 1000)) < 0)
				return bad_value("runs", optarg);
			b.runs = (unsigned)v;
			break;
		case 'm':
			if ((v = parse_num(optarg, 576, 65535)) < 0)
				return bad_value("wire-mtu", optarg);
			b.wire_mtu = (unsigned)v;
			break;
		case 'o':
			for (b.only_row = 0; b.only_row < NROWS; b.only_row++)
				if (!strcmp(optarg, rows[b.only_row].key))
					break;
			if (b.only_row == NROWS)
				return bad_value("only", optarg);
			b.only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	b.path = argv[optind];
	if (setup(&b, secret, err, sizeof(err)) || measure(&b, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
	} else {
		print_table(&b);
		print_json(&b);
		ret = 0;
	}
	cap_free(&b.cap);
	free(b.wire_len);
	free(b.scratch);
	md5sig_keytab_free(b.keys);
	return ret;
}
