// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A run's output files (emu_outset): an output that is an input by any name (itself, a symlink,
 * a hard link, standard input) is refused before it is created; temporaries sit beside their
 * final names until the commit and are gone when a run is abandoned; in place files are live;
 * pruning removes only regular files that are neither outputs nor inputs. Tap captures through
 * a set: nothing created when one file is an input, a rotation never renamed over an input.
 * Nanosecond pcap files: libpcap reads the nanoseconds back; an input's precision is read
 * from its head (pcap magic, pcapng if_tsresol in either byte order).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <pcap/pcap.h>

#include "emu/capture/capture.h"
#include "tests/suites.h"

static char dir[64];

static void dir_make(void)
{
	strcpy(dir, "/tmp/vnicemu-outset-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void dir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* @name in the test directory */
static const char *at(const char *name)
{
	static char p[4][128];
	static unsigned i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void put_file(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The file's text ("" when missing). */
static const char *text_of(const char *name)
{
	static char buf[256];
	FILE *f = fopen(at(name), "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* The names in the test directory, sorted, space-separated (hidden ones included). */
static const char *listing(void)
{
	static char out[512];
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
				 *out ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return out;
}

START_TEST(refuses_inputs_by_any_name)
{
	char err[512], want[512];
	struct emu_outset *s = emu_outset_new(false);

	dir_make();
	put_file("in.pcap", "capture");
	put_file("keys", "* secret\n");
	ck_assert_int_eq(symlink("in.pcap", at("wire.pcap")), 0);
	ck_assert_int_eq(link(at("keys"), at("tso.pcap")), 0);
	ck_assert_int_eq(emu_outset_input(s, at("in.pcap")), 0);
	ck_assert_int_eq(emu_outset_input(s, at("keys")), 0);
	ck_assert_int_eq(emu_outset_input(s, at("missing")), 0); /* no input: no error */
	ck_assert_int_eq(emu_outset_input(s, NULL), 0);

	ck_assert_ptr_null(emu_outset_open(s, at("in.pcap"), err, sizeof(err)));
	ck_assert_int_eq(errno, EEXIST);
	snprintf(want, sizeof(want), "%s is the input %s (the same file): not writing over it",
		 at("in.pcap"), at("in.pcap"));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(emu_outset_open(s, at("wire.pcap"), err, sizeof(err)));
	ck_assert_msg(strstr(err, "wire.pcap is the input") && strstr(err, "in.pcap (the same"),
		      "%s", err);
	ck_assert_int_eq(emu_outset_check(s, at("tso.pcap"), err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "tso.pcap is the input") && strstr(err, "/keys (the same"), "%s",
		      err);
	ck_assert_int_eq(emu_outset_check(s, at("sg.pcap"), err, sizeof(err)), 0);
	emu_outset_free(s);
	ck_assert_str_eq(text_of("in.pcap"), "capture");
	ck_assert_str_eq(text_of("keys"), "* secret\n");
	ck_assert_str_eq(listing(), "in.pcap keys tso.pcap wire.pcap");

	/* standard input */
	int fd = open(at("in.pcap"), O_RDONLY), saved = dup(STDIN_FILENO);
	ck_assert_int_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	s = emu_outset_new(true);
	ck_assert_int_eq(emu_outset_input(s, "-"), 0);
	ck_assert_ptr_null(emu_outset_open(s, at("in.pcap"), err, sizeof(err)));
	ck_assert_msg(strstr(err, "is the input standard input"), "%s", err);
	emu_outset_free(s);
	dup2(saved, STDIN_FILENO);
	close(fd);
	close(saved);
	ck_assert_str_eq(text_of("in.pcap"), "capture");
	dir_remove();
}
END_TEST

START_TEST(temporaries_until_commit)
{
	char err[512];
	struct emu_outset *s = emu_outset_new(false);
	struct stat st;

	dir_make();
	put_file("a.pcap", "earlier a");
	FILE *a = emu_outset_open(s, at("a.pcap"), err, sizeof(err));
	FILE *b = emu_outset_open(s, at("b.pcap"), err, sizeof(err));
	ck_assert_msg(a && b, "%s", err);
	fputs("new a", a);
	fputs("new b", b);
	ck_assert_int_eq(fclose(a), 0);
	ck_assert_int_eq(fclose(b), 0);
	/* written beside, under hidden names; the earlier file as it was */
	ck_assert_str_eq(text_of("a.pcap"), "earlier a");
	ck_assert_int_eq(stat(at("b.pcap"), &st), -1);
	ck_assert_msg(!strncmp(listing(), ".a.pcap.", 8), "%s", listing());
	ck_assert_int_eq(emu_outset_commit(s, err, sizeof(err)), 0);
	ck_assert_str_eq(text_of("a.pcap"), "new a");
	ck_assert_str_eq(text_of("b.pcap"), "new b");
	/* the mode fopen() gives: 0666 less the umask */
	mode_t mask = umask(022);
	ck_assert_int_eq(stat(at("b.pcap"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0666 & ~mask);
	umask(mask);
	emu_outset_free(s);
	ck_assert_str_eq(listing(), "a.pcap b.pcap");

	/* an abandoned run: its temporaries go, the earlier files stay */
	s = emu_outset_new(false);
	a = emu_outset_open(s, at("a.pcap"), err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	fputs("half", a);
	fclose(a);
	emu_outset_free(s);
	ck_assert_str_eq(listing(), "a.pcap b.pcap");
	ck_assert_str_eq(text_of("a.pcap"), "new a");
	dir_remove();
}
END_TEST

START_TEST(in_place_and_prune)
{
	char err[512];
	struct emu_outset *s = emu_outset_new(true);

	dir_make();
	put_file("live.pcap", "earlier");
	put_file("stale.pcap", "x");
	put_file("in.pcap", "capture");
	ck_assert_int_eq(mkdir(at("sub.pcap"), 0700), 0);
	ck_assert_int_eq(symlink("in.pcap", at("link.pcap")), 0);
	ck_assert_int_eq(emu_outset_input(s, at("in.pcap")), 0);
	FILE *f = emu_outset_open(s, at("live.pcap"), err, sizeof(err));
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(text_of("live.pcap"), ""); /* truncated at once: live */
	fputs("now", f);
	ck_assert_int_eq(fflush(f), 0);
	ck_assert_str_eq(text_of("live.pcap"), "now");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(emu_outset_commit(s, err, sizeof(err)), 0);

	ck_assert_int_eq(emu_outset_prune(s, at("live.pcap")), 0);    /* an output */
	ck_assert_int_eq(emu_outset_prune(s, at("in.pcap")), 0);      /* an input */
	ck_assert_int_eq(emu_outset_prune(s, at("link.pcap")), 0);    /* a symlink */
	ck_assert_int_eq(emu_outset_prune(s, at("sub.pcap")), 0);     /* a directory */
	ck_assert_int_eq(emu_outset_prune(s, at("missing.pcap")), 0); /* nothing */
	ck_assert_int_eq(emu_outset_prune(s, at("stale.pcap")), 1);
	ck_assert_str_eq(listing(), "in.pcap link.pcap live.pcap sub.pcap");
	emu_outset_free(s);
	ck_assert_str_eq(text_of("live.pcap"), "now");
	dir_remove();
}
END_TEST

/* A frame: @len zero bytes but the last, @no. */
static void frame(struct offload_frame *f, uint8_t *buf, uint32_t len, unsigned no, long nsec)
{
	memset(buf, 0, len);
	memset(f, 0, sizeof(*f));
	buf[len - 1] = (uint8_t)no;
	f->data = buf;
	f->len = len;
	f->guest_no = no;
	f->ts = (struct timespec){1700000000, nsec};
}

START_TEST(tapcap_refuses_before_creating)
{
	static const char *const stages[] = {"tso"};
	char err[512];
	uint8_t buf[100];
	struct offload_frame f;
	struct emu_outset *s = emu_outset_new(true);

	dir_make();
	put_file("keys", "* secret\n");
	ck_assert_int_eq(link(at("keys"), at("wire.pcap")), 0);
	ck_assert_int_eq(emu_outset_input(s, at("keys")), 0);
	struct emu_tapcap_config c = {.dir = dir,
				      .dir_mode = 0700,
				      .in = "guest",
				      .out = "wire",
				      .stages = stages,
				      .nstages = 1,
				      .linktype = MD5SIG_LINK_ETHERNET,
				      .outset = s};
	ck_assert_ptr_null(emu_tapcap_open(&c, err, sizeof(err)));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_msg(strstr(err, "wire.pcap is the input"), "%s", err);
	ck_assert_str_eq(listing(), "keys wire.pcap"); /* guest.pcap was not even created */
	ck_assert_str_eq(text_of("keys"), "* secret\n");

	/* a rotation is never renamed over an input either */
	ck_assert_int_eq(unlink(at("wire.pcap")), 0);
	ck_assert_int_eq(link(at("keys"), at("guest.pcap.1")), 0);
	c.max_bytes = 24 + 116;
	struct emu_tapcap *t = emu_tapcap_open(&c, err, sizeof(err));
	ck_assert_msg(t, "%s", err);
	for (unsigned no = 1; no <= 2; no++) {
		frame(&f, buf, 100, no, 0);
		ck_assert_int_eq(emu_tapcap_write(t, 0, &f, MD5SIG_TCP), no == 1 ? 0 : -EEXIST);
	}
	ck_assert_msg(strstr(emu_tapcap_error(t), "guest.pcap.1 is the input"), "%s",
		      emu_tapcap_error(t));
	ck_assert_int_eq(emu_tapcap_close(t, err, sizeof(err)), -EEXIST);
	ck_assert_str_eq(text_of("keys"), "* secret\n");
	emu_outset_free(s);
	dir_remove();
}
END_TEST

START_TEST(nanosecond_pcap)
{
	char err[512], perr[PCAP_ERRBUF_SIZE];
	uint8_t buf[60];
	struct offload_frame f;
	struct pcap_pkthdr *h;
	const u_char *d;

	dir_make();
	for (int nsec = 0; nsec <= 1; nsec++) {
		struct emu_capout *c = emu_capout_open(at("t.pcap"), false, err, sizeof(err));
		ck_assert_ptr_nonnull(c);
		if (nsec)
			ck_assert_int_eq(emu_capout_nsec(c), 0);
		ck_assert_int_eq(emu_capout_iface(c, MD5SIG_LINK_ETHERNET, NULL), 0);
		ck_assert_int_eq(emu_capout_nsec(c), -EINVAL); /* too late */
		frame(&f, buf, sizeof(buf), 1, 123456789);
		ck_assert_int_eq(emu_capout_write(c, 0, &f.ts, buf, sizeof(buf), NULL), 0);
		ck_assert_int_eq(emu_capout_close(c), 0);
		pcap_t *p = pcap_open_offline_with_tstamp_precision(
			at("t.pcap"), PCAP_TSTAMP_PRECISION_NANO, perr);
		ck_assert_msg(p, "%s", perr);
		ck_assert_int_eq(pcap_next_ex(p, &h, &d), 1);
		ck_assert_int_eq(h->ts.tv_sec, 1700000000);
		/* microseconds: cut to 123456 us, read back as 123456000 ns */
		ck_assert_int_eq(h->ts.tv_usec, nsec ? 123456789 : 123456000);
		pcap_close(p);
	}
	dir_remove();
}
END_TEST

/* A pcapng file: SHB, then an IDB with if_tsresol @tsresol (none when < 0), byte-swapped with
 * @swap; or classic pcap with @magic when not 0. */
static void write_head(const char *name, int tsresol, bool swap, uint32_t magic)
{
	FILE *f = fopen(at(name), "wb");
	uint32_t shb[7] = {0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff, 28};
	uint32_t idb[8] = {1, tsresol < 0 ? 20 : 32, 1, 65535};
	unsigned n = 4;

	ck_assert_ptr_nonnull(f);
	if (magic) {
		uint32_t h[6] = {magic, 0x00040002, 0, 0, 65535, 1};
		fwrite(h, 4, 6, f);
		ck_assert_int_eq(fclose(f), 0);
		return;
	}
	if (tsresol >= 0) {
		idb[n++] = 9 | 1u << 16; /* if_tsresol, 1 byte */
		idb[n++] = (uint32_t)tsresol;
		idb[n++] = 0;
	}
	idb[n++] = idb[1];
	for (unsigned i = 0; swap && i < 7; i++)
		shb[i] = __builtin_bswap32(shb[i]);
	for (unsigned i = 0; swap && i < n; i++)
		idb[i] = __builtin_bswap32(idb[i]);
	if (swap) /* the version (1.0) and the link type (1) are pairs of 16-bit fields */
		shb[3] = idb[2] = 0x100;
	if (swap && tsresol >= 0) /* the option's code and length are 16-bit fields */
		idb[4] = (uint32_t)__builtin_bswap16(9) | (uint32_t)__builtin_bswap16(1) << 16,
		idb[5] = (uint32_t)tsresol;
	fwrite(shb, 4, 7, f);
	fwrite(idb, 4, n, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The precision the capture reader finds in a file's head (a pcapng with no packet is a capture). */
static bool nsec_of(const char *name)
{
	char err[256];
	struct emu_capin *c = emu_capin_open(at(name), err, sizeof(err));

	ck_assert_msg(c, "%s", err);
	bool ns = emu_capin_nanosecond(c);
	emu_capin_close(c);
	return ns;
}

START_TEST(input_precision)
{
	dir_make();
	write_head("ns.pcapng", 9, false, 0);
	ck_assert(nsec_of("ns.pcapng"));
	write_head("ns-swapped.pcapng", 9, true, 0);
	ck_assert(nsec_of("ns-swapped.pcapng"));
	write_head("us.pcapng", 6, false, 0);
	ck_assert(!nsec_of("us.pcapng"));
	write_head("default.pcapng", -1, false, 0);
	ck_assert(!nsec_of("default.pcapng"));
	write_head("bin30.pcapng", 0x80 | 30, false, 0);
	ck_assert(nsec_of("bin30.pcapng"));
	write_head("bin10.pcapng", 0x80 | 10, false, 0);
	ck_assert(!nsec_of("bin10.pcapng"));
	write_head("ns.pcap", 0, false, 0xa1b23c4d);
	ck_assert(nsec_of("ns.pcap"));
	write_head("us.pcap", 0, false, 0xa1b2c3d4);
	ck_assert(!nsec_of("us.pcap"));
	dir_remove();
}
END_TEST

Suite *suite_outfile(void)
{
	Suite *s = suite_create("outfile");
	TCase *tc = tcase_create("outfile");

	tcase_add_test(tc, refuses_inputs_by_any_name);
	tcase_add_test(tc, temporaries_until_commit);
	tcase_add_test(tc, in_place_and_prune);
	tcase_add_test(tc, tapcap_refuses_before_creating);
	tcase_add_test(tc, nanosecond_pcap);
	tcase_add_test(tc, input_precision);
	suite_add_tcase(s, tc);
	return s;
}
