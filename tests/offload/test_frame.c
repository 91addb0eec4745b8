// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where a frame's bytes live (offload/frame.c) and what the pipeline does with bytes it does
 * not own: sums across fragments, heads made writable without moving the payload, headers
 * parsed from a first fragment, guest frames lent read-only through every profile and quirk,
 * and segments cut without copying that are the bytes a copying pipeline would write.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "emu/capture/capture.h"
#include "emu/device/device.h"
#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define MAXF 70000

/* A frame spread over @n pieces of @src cut at @cuts (ascending, n - 1 of them). */
static void spread(struct offload_frame *f, const uint8_t *src, uint32_t len, const uint32_t *cuts,
		   unsigned n)
{
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < n; i++) {
		uint32_t from = i ? cuts[i - 1] : 0, to = i + 1 < n ? cuts[i] : len;
		f->frags[i] = (struct offload_frag){src + from, to - from};
	}
	f->nfrags = (uint16_t)n;
	f->len = len;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Every range's sum across any split (odd pieces included) is the sum of the same bytes. */
START_TEST(csum_across_fragments)
{
	unsigned seed = 7;
	static uint8_t src[5000];
	struct offload_frame f;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)rand_r(&seed);
	for (int round = 0; round < 2000; round++) {
		uint32_t len = 1 + (uint32_t)rand_r(&seed) % sizeof(src);
		unsigned n = 1 + (unsigned)rand_r(&seed) % 8;
		uint32_t cuts[8];
		for (unsigned i = 0; i + 1 < n; i++)
			cuts[i] = (uint32_t)rand_r(&seed) % (len + 1);
		qsort(cuts, n - 1, sizeof(cuts[0]), cmp_u32);
		spread(&f, src, len, cuts, n);

		uint32_t off = (uint32_t)rand_r(&seed) % len & ~1u; /* sums start at even offsets */
		uint32_t cnt = (uint32_t)rand_r(&seed) % (len - off + 1);
		uint16_t want = (uint16_t)tf_csum_add(0, src + off, cnt);
		ck_assert_uint_eq(offload_csum_fold(offload_frame_csum(&f, off, cnt, 0)), want);

		/* a known tail sum stands in for the bytes behind it */
		uint32_t tail = off + (uint32_t)rand_r(&seed) % (len - off + 1);
		f.tail_off = tail ? tail : 1;
		f.tail_sum = (uint16_t)tf_csum_add(0, src + f.tail_off, len - f.tail_off);
		want = (uint16_t)tf_csum_add(0, src + off, len - off);
		ck_assert_uint_eq(offload_csum_fold(offload_frame_csum(&f, off, len - off, 0)),
				  want);
	}
}
END_TEST

/* A lent frame's head becomes its own; its payload stays where it was lent. */
START_TEST(head_of_lent_frame)
{
	static uint8_t lent[3000], buf[3000];
	struct offload_frame f;

	for (size_t i = 0; i < sizeof(lent); i++)
		lent[i] = (uint8_t)(i * 13);
	spread(&f, lent, sizeof(lent), NULL, 1);
	f.data = buf;
	f.cap = sizeof(buf);
	ck_assert_ptr_eq(offload_frame_bytes(&f), lent);

	uint8_t *h = offload_frame_head(&f, 66);
	ck_assert_ptr_eq(h, buf);
	ck_assert_uint_eq(f.nfrags, 2);
	ck_assert_ptr_eq(f.frags[0].p, buf);
	ck_assert_ptr_eq(f.frags[1].p, lent + 66);
	ck_assert_ptr_null(offload_frame_bytes(&f));
	h[0] ^= 0xff; /* writable, and the lent bytes do not change */
	ck_assert_uint_eq(lent[0], 0);
	h[0] ^= 0xff;
	/* asking again keeps the layout; asking for more than the head gathers */
	ck_assert_ptr_eq(offload_frame_head(&f, 40), buf);
	ck_assert_uint_eq(f.nfrags, 2);
	ck_assert_ptr_eq(offload_frame_head(&f, 100), buf);
	ck_assert_uint_eq(f.nfrags, 0);
	ck_assert_mem_eq(buf, lent, sizeof(lent));
	/* no room to take the head into: NULL, nothing lost */
	spread(&f, lent, sizeof(lent), NULL, 1);
	f.data = buf;
	f.cap = 10;
	ck_assert_ptr_null(offload_frame_head(&f, 66));
	ck_assert_ptr_eq(offload_frame_bytes(&f), lent);
}
END_TEST

static bool same_seg(const struct md5sig_seg *a, const struct md5sig_seg *b)
{
	return a->family == b->family && a->vlans == b->vlans && a->flags == b->flags &&
	       !memcmp(a->saddr, b->saddr, 16) && !memcmp(a->daddr, b->daddr, 16) &&
	       a->sport == b->sport && a->dport == b->dport && a->l3_off == b->l3_off &&
	       a->l4_off == b->l4_off && a->thlen == b->thlen && a->tcp_len == b->tcp_len &&
	       a->md5_off == b->md5_off;
}

/*
 * md5sig_parse_head() of every prefix of every real-kernel frame: exact whenever it says TCP,
 * OTHER or FRAGMENT, and equal to the whole parse once the headers are in the prefix.
 */
START_TEST(parse_head_of_kernel_captures)
{
	static const char *const files[] = {"eth.pcap", "sll.pcap", "sll2.pcap"};
	unsigned frames = 0, exact = 0;

	for (unsigned i = 0; i < 3; i++) {
		char path[512], err[256];
		struct emu_pkt pkt;
		snprintf(path, sizeof(path), "%s/kernel/%s", TEST_DATA_DIR, files[i]);
		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		uint32_t lt = emu_capin_linktype(c);
		while (emu_capin_next(c, &pkt, err, sizeof(err)) == 1) {
			struct md5sig_seg whole, head;
			enum md5sig_status ws = md5sig_parse(lt, pkt.data, pkt.caplen, &whole);
			uint32_t hdr = ws == MD5SIG_TCP ? whole.l4_off + whole.thlen : pkt.caplen;
			frames++;
			for (uint32_t avail = 0; avail <= pkt.caplen; avail++) {
				enum md5sig_status hs =
					md5sig_parse_head(lt, pkt.data, avail, pkt.caplen, &head);
				if (hs == MD5SIG_TCP || hs == MD5SIG_OTHER ||
				    hs == MD5SIG_FRAGMENT) {
					ck_assert_int_eq(hs, ws);
					if (hs == MD5SIG_TCP)
						ck_assert(same_seg(&head, &whole));
					exact++;
				}
				if (avail >= hdr) {
					ck_assert_int_eq(hs, ws);
					if (ws == MD5SIG_TCP)
						ck_assert(same_seg(&head, &whole));
				}
			}
		}
		emu_capin_close(c);
	}
	ck_assert_uint_gt(frames, 300);
	ck_assert_uint_gt(exact, frames);
}
END_TEST

/* ---- lent, read-only guest frames through whole pipelines ---- */

struct wire {
	uint8_t *bytes; /* every wire frame, concatenated */
	size_t used, cap;
	unsigned frames;
	unsigned bad_seg;     /* taps whose description differs from a fresh parse */
	unsigned bad_payload; /* wire segments whose payload is not the guest's at their seq */
	uint32_t linktype;
	unsigned wire_tap;
	const uint8_t *guest; /* the guest frames, and where each starts */
	const size_t *starts;
	const uint32_t *lens;
};

/* Is the wire segment's payload the guest frame's bytes at the segment's sequence number? */
static bool payload_from_guest(const struct wire *w, const struct offload_frame *f,
			       const struct md5sig_seg *seg)
{
	const uint8_t *g = w->guest + w->starts[f->guest_no - 1];
	struct md5sig_seg gs;

	if (md5sig_parse(w->linktype, g, w->lens[f->guest_no - 1], &gs) != MD5SIG_TCP)
		return false;
	uint32_t off = tf_get32(f->data + seg->l4_off + 4) - tf_get32(g + gs.l4_off + 4);
	uint32_t n = seg->tcp_len - seg->thlen;
	return off + n <= gs.tcp_len - gs.thlen &&
	       !memcmp(f->data + seg->l4_off + seg->thlen, g + gs.l4_off + gs.thlen + off, n);
}

static void wire_sink(void *arg, unsigned tap, const struct offload_frame *f,
		      const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct wire *w = arg;
	struct md5sig_seg fresh;

	/* what the tap was told (a stage's description, or its own parse) is what is there */
	if (st == MD5SIG_TCP &&
	    (md5sig_parse(w->linktype, f->data, f->len, &fresh) != st || !same_seg(&fresh, seg)))
		w->bad_seg++;
	if (tap != w->wire_tap)
		return;
	if (st == MD5SIG_TCP && !payload_from_guest(w, f, seg))
		w->bad_payload++;
	if (w->used + f->len > w->cap) {
		w->cap = (w->used + f->len) * 2;
		w->bytes = realloc(w->bytes, w->cap);
		ck_assert_ptr_nonnull(w->bytes);
	}
	memcpy(w->bytes + w->used, f->data, f->len);
	w->used += f->len;
	w->frames++;
}

/* @total bytes of @src on pages of their own, then made read-only. */
static uint8_t *readonly_frames(size_t total, const uint8_t *src)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), sz = (total + page - 1) / page * page;
	uint8_t *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memcpy(p, src, total);
	ck_assert_int_eq(mprotect(p, sz, PROT_READ), 0);
	return p;
}

struct run_cfg {
	const char *profile;
	const char *sets[3];
	bool verify, full, sink;
};

/*
 * Replay @nf frames at @ro (lengths @lens) through @rc; any write to the lent bytes faults.
 * Fills @w with the wire when rc->sink. Checks accounting.
 */
static void run(const struct run_cfg *rc, const uint8_t *ro, const uint32_t *lens, unsigned nf,
		struct md5sig_keytab *kt, struct wire *w)
{
	size_t starts[16];
	struct emu_profile p;
	struct offload_config cfg = {.linktype = MD5SIG_LINK_ETHERNET, .wire_mtu = 1500};
	char err[256];

	ck_assert_msg(emu_profile_load(&p, rc->profile, err, sizeof(err)) == 0, "%s", err);
	for (unsigned i = 0; i < 3 && rc->sets[i]; i++)
		ck_assert_msg(emu_profile_set(&p, rc->sets[i], err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(emu_profile_config(&p, false, &cfg, err, sizeof(err)) == 0, "%s", err);
	cfg.keys = kt;
	cfg.verify = rc->verify || rc->full;
	cfg.full_verify = rc->full;
	struct offload_pipeline *pl = offload_pipeline_new(&cfg, err, sizeof(err));
	ck_assert_msg(pl != NULL, "%s %s: %s", rc->profile, rc->sets[0] ? rc->sets[0] : "", err);
	memset(w, 0, sizeof(*w));
	w->linktype = cfg.linktype;
	w->wire_tap = cfg.nstages;
	w->guest = ro;
	w->starts = starts;
	w->lens = lens;
	for (unsigned i = 0; i < nf; i++)
		starts[i] = i ? starts[i - 1] + lens[i - 1] : 0;
	if (rc->sink)
		offload_pipeline_set_sink(pl, wire_sink, w);
	size_t off = 0;
	for (unsigned i = 0; i < nf; i++) {
		ck_assert_int_ge(emu_guest_frame(pl, &p, cfg.linktype, cfg.wire_mtu, ro + off,
						 lens[i], lens[i], NULL, i + 1, NULL),
				 0);
		off += lens[i];
	}
	offload_pipeline_flush(pl, true);

	struct offload_stats s;
	offload_pipeline_stats(pl, &s);
	ck_assert_uint_eq(s.guest.frames, nf);
	if (rc->sink) /* every frame, segmented or not, reached the wire */
		ck_assert_uint_eq(w->frames, s.stages[s.nstages - 1].frames_out);
	for (unsigned k = 0; k < s.nstages; k++) {
		const struct offload_stage_stats *ss = &s.stages[k];
		ck_assert_uint_eq(ss->frames_in + ss->created,
				  ss->frames_out + ss->dropped + ss->merged + ss->held);
	}
	offload_pipeline_free(pl);
}

START_TEST(lent_frames_stay_untouched)
{
	struct md5sig_key key = tf_key("lent-key");
	struct md5sig_keytab *kt = md5sig_keytab_new();
	static uint8_t src[8 * MAXF];
	uint32_t lens[8];
	unsigned nf = 0;
	size_t total = 0;

	ck_assert_int_eq(md5sig_keytab_add(kt, AF_UNSPEC, NULL, 0, &key), 0);
	/* signed super-frames (v4, v6, tagged, odd MSS remainders), a small frame, a non-TCP */
	static const size_t plens[] = {64000, 8940, 5001, 3001, 100};
	for (unsigned i = 0; i < 5; i++) {
		struct tf_spec s = {.md5 = true,
				    .plen = plens[i],
				    .seq = 1000u * i,
				    .family = i == 2 ? AF_INET6 : AF_INET,
				    .vlans = i == 3,
				    .src = i == 2 ? "2001:db8::1" : NULL,
				    .dst = i == 2 ? "2001:db8::2" : NULL};
		size_t n = tf_build_signed(&s, &key, src + total, MAXF);
		ck_assert_uint_gt(n, 0);
		lens[nf++] = (uint32_t)n;
		total += n;
	}
	/* the small frame's checksum left partial, as a guest with tx offload leaves it: the
	 * device must write it, and so must take the lent frame's head first */
	struct md5sig_seg seg;
	uint8_t *small = src + total - lens[nf - 1];
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, small, lens[nf - 1], &seg), MD5SIG_TCP);
	tf_put16(small + seg.l4_off + 16,
		 offload_csum_fold(offload_csum_pseudo(&seg, 6, seg.tcp_len, true)));
	static const uint8_t arp[60] = {[12] = 0x08, [13] = 0x06};
	memcpy(src + total, arp, sizeof(arp));
	lens[nf++] = sizeof(arp);
	total += sizeof(arp);
	uint8_t *ro = readonly_frames(total, src);

	static const struct run_cfg cfgs[] = {
		{"vmxnet2", {NULL}, false, false, false},
		{"vmxnet2", {NULL}, false, false, true},
		{"vmxnet2", {NULL}, true, false, true},
		{"vmxnet2", {NULL}, false, true, true},
		{"vmxnet3", {NULL}, false, false, true},
		{"vmxnet3", {"tso.md5=resign"}, true, false, true},
		{"vmxnet3", {"tso.md5=strip", "tx=off"}, true, false, true},
		{"e1000", {NULL}, true, false, true},
		{"vmxnet2", {"sg=off"}, true, false, true},
		{"vmxnet3", {"tso=off"}, true, false, true},
	};
	struct wire copying, w;
	for (unsigned i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		run(&cfgs[i], ro, lens, nf, kt, &w);
		ck_assert_uint_eq(w.bad_seg, 0);
		ck_assert_uint_eq(w.bad_payload, 0);
		free(w.bytes);
	}
	/*
	 * Zero-copy segments are the bytes a pipeline that gathers everything writes: the same
	 * run with full verification (every segment gathered and hashed) and without.
	 */
	struct run_cfg a = {"vmxnet3", {NULL}, false, false, true}, b = a;
	b.full = true;
	run(&a, ro, lens, nf, kt, &w);
	run(&b, ro, lens, nf, kt, &copying);
	ck_assert_uint_gt(w.frames, 50);
	ck_assert_uint_eq(w.frames, copying.frames);
	ck_assert_uint_eq(w.used, copying.used);
	ck_assert_mem_eq(w.bytes, copying.bytes, w.used);
	free(w.bytes);
	free(copying.bytes);
	ck_assert_mem_eq(ro, src, total);
	munmap(ro, total);
	md5sig_keytab_free(kt);
}
END_TEST

Suite *suite_frame(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("frame");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, csum_across_fragments);
	tcase_add_test(tc, head_of_lent_frame);
	tcase_add_test(tc, parse_head_of_kernel_captures);
	tcase_add_test(tc, lent_frames_stay_untouched);
	suite_add_tcase(s, tc);
	return s;
}
