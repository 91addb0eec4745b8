// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verify engine on captures made here: every frame is built by tests/support (valid,
 * invalid, missing, unexpected, unsigned, malformed, not TCP; IPv4 and IPv6; sizes from 40
 * bytes to jumbo), so the verdict of each is known by construction. The counts and the --list
 * lines must be exactly those, in capture order, for one thread and for several, from a mapped
 * pcap and from pcapng (read through libpcap), and up to a cut final record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

enum kind {
	K_VALID,
	K_INVALID,
	K_MISSING,
	K_UNEXPECTED,
	K_UNSIGNED,
	K_MALFORMED,
	K_OTHER,
	K_V6,
	K_N
};

static const char *const v4_keyed = "192.0.2.1.40000 > 192.0.2.2.179";
static const char *const v4_nokey = "198.51.100.1.40001 > 198.51.100.2.179";
static const char *const v6_keyed = "2001:db8::1.40000 > 2001:db8::2.179";

/* Frame @i of a capture: its kind, spread so that batches differ. */
static enum kind kind_of(unsigned i)
{
	return (enum kind)((3 * i + i / 8) % K_N); /* each 8 in a row: every kind once */
}

/* Build frame @i into @buf; returns its length. */
static size_t build(unsigned i, uint8_t *buf, size_t cap)
{
	static uint8_t payload[9000];
	struct md5sig_key k1 = tf_key("k1"), wrong = tf_key("wrong");
	enum kind k = kind_of(i);
	struct tf_spec s = {
		.seq = 1000 + 7919 * i,
		.ack = 1,
		.payload = payload,
		/* mostly small, every 11th a jumbo frame so that some batches fill by bytes */
		.plen = i % 11 == 10 ? 8000 + i % 500 : i % 1400,
	};
	size_t n;

	for (size_t b = 0; b < sizeof(payload); b++)
		payload[b] = (uint8_t)(b * 31 + i);
	switch (k) {
	case K_OTHER: /* an ARP request */
		memset(buf, 0, 42);
		memset(buf, 0xff, 6);
		buf[6] = 0x02;
		tf_put16(buf + 12, 0x0806);
		return 42;
	case K_UNEXPECTED:
	case K_UNSIGNED:
		s.src = "198.51.100.1";
		s.dst = "198.51.100.2";
		s.sport = 40001;
		break;
	case K_V6:
		s.family = AF_INET6;
		break;
	default:
		break;
	}
	s.md5 = k != K_MISSING && k != K_UNSIGNED;
	if (!s.md5)
		return tf_build(&s, buf, cap);
	n = tf_build_signed(&s, k == K_INVALID ? &wrong : &k1, buf, cap);
	if (k == K_MALFORMED)
		buf[14 + 20 + 12] = 0x40; /* TCP data offset 4: shorter than a TCP header */
	return n;
}

/* The --list line of frame @no (from 1) of kind @k, or "" for a frame that is not TCP. */
static void line_of(unsigned long no, enum kind k, char *buf, size_t len)
{
	static const char *const word[K_N] = {"valid",	  "invalid",   "missing", "unexpected",
					      "unsigned", "malformed", "",	  "valid"};
	const char *peers = k == K_V6				   ? v6_keyed
			    : k == K_UNEXPECTED || k == K_UNSIGNED ? v4_nokey
								   : v4_keyed;

	if (k == K_OTHER)
		buf[0] = '\0';
	else if (k == K_MALFORMED)
		snprintf(buf, len, "%lu malformed %s (bad-tcp-hdr)\n", no, peers);
	else
		snprintf(buf, len, "%lu %s %s\n", no, word[k], peers);
}

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vnicemu-verify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write @n frames to DIR/NAME; returns the path (static). */
static const char *write_capture(const char *name, unsigned n, bool pcapng)
{
	static char path[128];
	static uint8_t buf[10000];
	char err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct emu_capout *c = emu_capout_open(path, pcapng, err, sizeof(err));
	ck_assert_msg(c, "%s", err);
	ck_assert_int_eq(emu_capout_iface(c, MD5SIG_LINK_ETHERNET, NULL), 0);
	for (unsigned i = 0; i < n; i++) {
		struct timespec ts = {1700000000 + i, 0};
		size_t len = build(i, buf, sizeof(buf));
		ck_assert_uint_gt(len, 0);
		ck_assert_int_eq(emu_capout_write(c, 0, &ts, buf, (uint32_t)len, NULL), 0);
	}
	ck_assert_int_eq(emu_capout_close(c), 0);
	return path;
}

/* What the first @n frames must give. */
static void expected(unsigned n, struct emu_verify_counts *c, char **list)
{
	static const enum md5sig_verdict v[K_N] = {MD5SIG_VALID,
						   MD5SIG_INVALID,
						   MD5SIG_MISSING,
						   MD5SIG_UNEXPECTED,
						   MD5SIG_UNSIGNED,
						   MD5SIG_MALFORMED,
						   0,
						   MD5SIG_VALID};
	size_t len = 0;
	FILE *f = open_memstream(list, &len);
	char line[128];

	ck_assert_ptr_nonnull(f);
	memset(c, 0, sizeof(*c));
	c->linktype = MD5SIG_LINK_ETHERNET;
	c->links[0] = MD5SIG_LINK_ETHERNET;
	c->nlinks = n > 0;
	c->frames = n;
	for (unsigned i = 0; i < n; i++) {
		enum kind k = kind_of(i);
		if (k == K_OTHER)
			c->other++;
		else
			c->verdicts[v[k]]++;
		c->ao[MD5SIG_AO_UNSIGNED] += k != K_OTHER && k != K_MALFORMED;
		c->reasons[MD5SIG_BAD_TCP_HDR] += k == K_MALFORMED;
		line_of(i + 1, k, line, sizeof(line));
		fputs(line, f);
	}
	ck_assert_int_eq(fclose(f), 0);
}

static struct md5sig_keytab *keys(void)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	const char *why = NULL;

	ck_assert_ptr_nonnull(kt);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "192.0.2.0/24 k1", &why), 0);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "2001:db8::/32 k1", &why), 0);
	return kt;
}

/* Run the engine with @jobs threads; its --list lines into *@list. Return: what it returned. */
static int run(const char *path, unsigned jobs, struct emu_verify_counts *c, char **list, char *err,
	       size_t errlen)
{
	struct md5sig_keytab *kt = keys();
	size_t len = 0;
	FILE *f = open_memstream(list, &len);

	ck_assert_ptr_nonnull(f);
	struct emu_verify_config cfg = {.path = path, .keys = kt, .jobs = jobs, .list = f};
	int ret = emu_verify(&cfg, c, err, errlen);
	ck_assert_int_eq(fclose(f), 0);
	md5sig_keytab_free(kt);
	return ret;
}

static void check_counts(const struct emu_verify_counts *got, const struct emu_verify_counts *want,
			 unsigned jobs)
{
	ck_assert_msg(!memcmp(got, want, sizeof(*got)),
		      "jobs %u: frames %lu/%lu other %lu/%lu valid %lu/%lu invalid %lu/%lu "
		      "malformed %lu/%lu",
		      jobs, got->frames, want->frames, got->other, want->other,
		      got->verdicts[MD5SIG_VALID], want->verdicts[MD5SIG_VALID],
		      got->verdicts[MD5SIG_INVALID], want->verdicts[MD5SIG_INVALID],
		      got->verdicts[MD5SIG_MALFORMED], want->verdicts[MD5SIG_MALFORMED]);
}

/* Every thread count gives the expected counts and lines, from pcap and from pcapng. */
static void check_capture(unsigned n, bool pcapng)
{
	const char *path = write_capture(pcapng ? "c.pcapng" : "c.pcap", n, pcapng);
	struct emu_verify_counts want, got;
	char *wlist, *glist, err[512];
	static const unsigned jobs[] = {1, 2, 3, 0};

	expected(n, &want, &wlist);
	for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
		ck_assert_msg(run(path, jobs[j], &got, &glist, err, sizeof(err)) == 0, "%s", err);
		check_counts(&got, &want, jobs[j]);
		ck_assert_msg(!strcmp(glist, wlist), "jobs %u: --list differs", jobs[j]);
		free(glist);
	}
	free(wlist);
}

START_TEST(every_verdict_in_order)
{
	check_capture(40, false);
}
END_TEST

START_TEST(threads_give_the_same_output)
{
	check_capture(3000, false);
}
END_TEST

START_TEST(pcapng_through_libpcap)
{
	check_capture(1500, true);
}
END_TEST

START_TEST(cut_final_record)
{
	const unsigned n = 700;
	const char *path = write_capture("cut.pcap", n, false);
	struct emu_verify_counts want, got;
	char *wlist, *glist, err[512];
	FILE *f = fopen(path, "r+");

	/* drop the last frame's final byte: that record is cut */
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_eq(ftruncate(fileno(f), ftell(f) - 1), 0);
	fclose(f);
	expected(n - 1, &want, &wlist);
	for (unsigned jobs = 1; jobs <= 3; jobs++) {
		/* not an error: the frames before the cut, and where it is */
		ck_assert_msg(run(path, jobs, &got, &glist, err, sizeof(err)) == 0, "%s", err);
		ck_assert(got.truncated);
		ck_assert_uint_eq(got.cut.frame, 700);
		ck_assert_msg(strstr(got.cut.why, "truncated dump file; tried to read"), "%s",
			      got.cut.why);
		got.truncated = false;
		memset(&got.cut, 0, sizeof(got.cut));
		check_counts(&got, &want, jobs);
		ck_assert_msg(!strcmp(glist, wlist), "jobs %u: --list differs", jobs);
		free(glist);
	}
	free(wlist);
}
END_TEST

START_TEST(summaries)
{
	const char *path = write_capture("s.pcap", 16, false);
	struct emu_verify_counts c;
	char *list, *out, err[512];
	size_t len;

	ck_assert_msg(run(path, 1, &c, &list, err, sizeof(err)) == 0, "%s", err);
	free(list);
	FILE *f = open_memstream(&out, &len);
	emu_verify_json(f, &c);
	fclose(f);
	/* frames 0..15: every kind twice (valid: IPv4 and IPv6) */
	ck_assert_str_eq(
		out,
		"{\"frames\": 16, \"md5\": {\"valid\": 4, \"invalid\": 2, "
		"\"missing\": 2, \"unexpected\": 2, \"unsigned\": 2, \"unchecked\": 0}, "
		"\"malformed\": 2, "
		"\"malformed_reasons\": {\"bad-tcp-hdr\": 2}, \"other\": 2, \"ao\": {\"valid\": 0, "
		"\"invalid\": 0, \"missing\": 0, \"unexpected\": 0, \"unknown-key\": 0, "
		"\"no-isn\": 0, \"unsigned\": 12, \"unchecked\": 0}, \"unchecked_reasons\": "
		"{\"snaplen\": 0, \"no-key\": 0}, \"ao_flows\": {\"learnt\": 0, "
		"\"evictions\": 0}}\n");
	free(out);
	f = open_memstream(&out, &len);
	emu_verify_text(f, "s.pcap", &c);
	fclose(f);
	ck_assert_str_eq(out, "s.pcap: 16 frames (Ethernet)\n"
			      "  TCP segments         12\n"
			      "    valid               4\n"
			      "    invalid             2\n"
			      "    missing             2\n"
			      "    unexpected          2\n"
			      "    unsigned            2\n"
			      "  malformed             2\n"
			      "    2          truncated TCP header or bad data offset\n"
			      "  not TCP               2\n"
			      "result: 2 invalid, 2 missing digests\n");
	free(out);
}
END_TEST

START_TEST(bad_input)
{
	struct emu_verify_counts c;
	char *list, err[512], path[128];

	snprintf(path, sizeof(path), "%s/none.pcap", dir);
	ck_assert_int_eq(run(path, 2, &c, &list, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "none.pcap") && strstr(err, "No such file"), "%s", err);
	ck_assert_str_eq(list, "");
	free(list);
	ck_assert_uint_eq(emu_verify_jobs(3), 3);
	ck_assert_uint_eq(emu_verify_jobs(100000), EMU_VERIFY_JOBS_MAX);
	ck_assert_uint_ge(emu_verify_jobs(0), 1);
}
END_TEST

Suite *suite_verify(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("verify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_verdict_in_order);
	tcase_add_test(tc, threads_give_the_same_output);
	tcase_add_test(tc, pcapng_through_libpcap);
	tcase_add_test(tc, cut_final_record);
	tcase_add_test(tc, summaries);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return s;
}
