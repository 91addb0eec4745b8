// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ao-check: the TCP-AO verdict of every TCP frame of a capture, from md5sig's C code, in the
 * format of `ao_oracle.py check` (`FRAME VERDICT`, frames numbered from 1), so the two can be
 * compared line by line. A test tool, not the product: it learns ISNs from SYN and SYN-ACK
 * (or --isn ADDR.PORT=ISN), keeps the SNE of each direction with md5sig_ao_sne_next() and
 * asks md5sig_ao_classify().
 *
 *   ao-check CAPTURE KEYFILE [--isn ADDR.PORT=ISN]...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/pcap.h>

#include "md5sig/md5sig.h"

struct endpoint {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

struct side {
	struct endpoint ep;
	bool known; /* ISN known */
	uint32_t isn;
	struct md5sig_ao_sne sne;
};

struct flow {
	struct side s[2];
};

struct tracker {
	struct flow *f;
	size_t n, cap;
	struct side *given; /* --isn */
	size_t ngiven;
};

static bool ep_eq(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static void side_set(struct side *s, uint32_t isn)
{
	s->known = true;
	s->isn = isn;
	md5sig_ao_sne_init(&s->sne, isn);
}

/* The flow of (src, dst) and which of its sides sent the segment; created when new. */
static struct flow *flow_get(struct tracker *t, const struct endpoint *src,
			     const struct endpoint *dst, int *from)
{
	for (size_t i = 0; i < t->n; i++) {
		struct flow *f = &t->f[i];
		for (int k = 0; k < 2; k++) {
			if (ep_eq(&f->s[k].ep, src) && ep_eq(&f->s[!k].ep, dst)) {
				*from = k;
				return f;
			}
		}
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 64;
		struct flow *nf = realloc(t->f, nc * sizeof(*nf));
		if (!nf) {
			perror("ao-check");
			exit(2);
		}
		t->f = nf;
		t->cap = nc;
	}
	struct flow *f = &t->f[t->n++];
	memset(f, 0, sizeof(*f));
	f->s[0].ep = *src;
	f->s[1].ep = *dst;
	for (int k = 0; k < 2; k++)
		for (size_t g = 0; g < t->ngiven; g++)
			if (ep_eq(&t->given[g].ep, &f->s[k].ep))
				side_set(&f->s[k], t->given[g].isn);
	*from = 0;
	return f;
}

static int parse_isn_arg(const char *arg, struct side *out)
{
	char a[INET6_ADDRSTRLEN + 16];
	const char *eq = strrchr(arg, '=');
	char *end;

	if (!eq || (size_t)(eq - arg) >= sizeof(a))
		return -EINVAL;
	memcpy(a, arg, (size_t)(eq - arg));
	a[eq - arg] = '\0';
	char *dot = strrchr(a, '.');
	if (!dot)
		return -EINVAL;
	*dot = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, a, out->ep.addr) == 1)
		out->ep.family = AF_INET;
	else if (inet_pton(AF_INET6, a, out->ep.addr) == 1)
		out->ep.family = AF_INET6;
	else
		return -EINVAL;
	unsigned long port = strtoul(dot + 1, &end, 10);
	if (*end || port > 65535)
		return -EINVAL;
	out->ep.port = (uint16_t)port;
	unsigned long long isn = strtoull(eq + 1, &end, 0);
	if (*end || isn > 0xffffffffull)
		return -EINVAL;
	out->isn = (uint32_t)isn;
	return 0;
}

static int load_keys(struct md5sig_keytab *kt, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;
	int ret = 0;

	if (!f) {
		fprintf(stderr, "ao-check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		const char *why = "?";
		no++;
		if (md5sig_keytab_parse_line(kt, line, &why)) {
			fprintf(stderr, "ao-check: %s:%u: %s\n", path, no, why);
			ret = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(int argc, char **argv)
{
	struct tracker t = {0};
	char err[PCAP_ERRBUF_SIZE];

	if (argc < 3) {
		fprintf(stderr, "usage: ao-check CAPTURE KEYFILE [--isn ADDR.PORT=ISN]...\n");
		return 2;
	}
	t.given = calloc((size_t)argc, sizeof(*t.given));
	if (!t.given) {
		perror("ao-check");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--isn") || i + 1 == argc ||
		    parse_isn_arg(argv[i + 1], &t.given[t.ngiven])) {
			fprintf(stderr, "ao-check: bad option %s\n", argv[i]);
			return 2;
		}
		t.ngiven++;
		i++;
	}
	struct md5sig_keytab *kt = md5sig_keytab_new();
	if (!kt || load_keys(kt, argv[2]))
		return 2;
	struct md5sig_ao_verifier *v = md5sig_ao_verifier_new(md5sig_keytab_ao(kt), 1024);
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!v || !p) {
		fprintf(stderr, "ao-check: %s: %s\n", argv[1], p ? "no TCP-AO verifier" : err);
		return 2;
	}
	uint32_t lt = (uint32_t)pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *frame;
	unsigned long no = 0;
	int r;

	while ((r = pcap_next_ex(p, &h, &frame)) == 1) {
		struct md5sig_seg seg;
		enum md5sig_status st = md5sig_parse(lt, frame, h->caplen, &seg);

		no++;
		if (st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT || st == MD5SIG_BAD_LINK ||
		    st == MD5SIG_BAD_IP_VERSION)
			continue;
		struct md5sig_ao_isns isns, *known = NULL;
		uint32_t sne = 0;
		if (st == MD5SIG_TCP) {
			const uint8_t *th = frame + seg.l4_off;
			struct endpoint src = {.family = seg.family, .port = seg.sport};
			struct endpoint dst = {.family = seg.family, .port = seg.dport};
			uint32_t seq = get32(th + 4), ack = get32(th + 8);
			int k;

			memcpy(src.addr, seg.saddr, 16);
			memcpy(dst.addr, seg.daddr, 16);
			struct flow *f = flow_get(&t, &src, &dst, &k);
			struct side *me = &f->s[k], *peer = &f->s[!k];
			if ((th[13] & 0x12) == 0x02) {
				side_set(me, seq);
				peer->known = false;
			} else if (th[13] & 0x02) {
				side_set(me, seq);
				if (!peer->known)
					side_set(peer, ack - 1);
			}
			if (me->known && peer->known) {
				isns.sisn = me->isn;
				isns.disn = peer->isn;
				known = &isns;
				sne = md5sig_ao_sne_next(&me->sne, seq);
			}
		}
		enum md5sig_ao_verdict vd =
			md5sig_ao_classify(v, frame, st, &seg, known, sne, NULL);
		printf("%lu %s\n", no, md5sig_ao_verdict_str(vd));
	}
	if (r == -1) {
		fprintf(stderr, "ao-check: %s: frame %lu: %s\n", argv[1], no + 1, pcap_geterr(p));
		return 2;
	}
	pcap_close(p);
	md5sig_ao_verifier_free(v);
	md5sig_keytab_free(kt);
	free(t.f);
	free(t.given);
	return 0;
}
