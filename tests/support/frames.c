// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "frames.h"

static void put32(uint8_t *p, uint32_t v)
{
	tf_put16(p, (uint16_t)(v >> 16));
	tf_put16(p + 2, (uint16_t)v);
}

uint32_t tf_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

struct md5sig_key tf_key(const char *secret)
{
	struct md5sig_key k = {.len = (uint8_t)strlen(secret)};
	memcpy(k.bytes, secret, k.len);
	return k;
}

size_t tf_build(const struct tf_spec *s, uint8_t *buf, size_t cap)
{
	uint32_t lt = s->linktype ? s->linktype : MD5SIG_LINK_ETHERNET;
	int fam = s->family ? s->family : AF_INET;
	bool v6 = fam == AF_INET6;
	const char *src = s->src ? s->src : v6 ? "2001:db8::1" : "192.0.2.1";
	const char *dst = s->dst ? s->dst : v6 ? "2001:db8::2" : "192.0.2.2";
	uint8_t sa[16], da[16];
	size_t l2, iph, ext = 0, opt = 0, th, total;

	if (inet_pton(fam, src, sa) != 1 || inet_pton(fam, dst, da) != 1 || s->vlans > 2)
		return 0;
	opt = (s->md5 ? 20 : 0) + ((s->opts_len + 3) & ~(size_t)3);
	th = 20 + opt;
	if (th > 60 || s->ipv4_opts % 4 || s->ipv4_opts > 40 || s->ipv6_dstopts % 8)
		return 0;
	iph = v6 ? 40 : 20 + s->ipv4_opts;
	ext = v6 ? s->ipv6_dstopts : 0;

	switch (lt) {
	case MD5SIG_LINK_ETHERNET:
		l2 = 14 + 4 * s->vlans;
		break;
	case MD5SIG_LINK_SLL:
		l2 = 16;
		break;
	case MD5SIG_LINK_SLL2:
		l2 = 20;
		break;
	case MD5SIG_LINK_RAW:
		l2 = 0;
		break;
	default:
		return 0;
	}
	total = l2 + iph + ext + th + s->plen;
	if (total > cap || iph + ext + th + s->plen > 65535 + (v6 ? 40 : 0))
		return 0;
	memset(buf, 0, l2 + iph + ext + th);

	uint16_t etype = v6 ? 0x86dd : 0x0800;
	if (lt == MD5SIG_LINK_ETHERNET) {
		static const uint8_t mac_d[6] = {0x02, 0, 0, 0, 0, 2},
				     mac_s[6] = {0x02, 0, 0, 0, 0, 1};
		memcpy(buf, mac_d, 6);
		memcpy(buf + 6, mac_s, 6);
		size_t o = 12;
		for (unsigned i = 0; i < s->vlans; i++) {
			tf_put16(buf + o, s->vlans == 2 && i == 0 ? 0x88a8 : 0x8100);
			tf_put16(buf + o + 2, (uint16_t)(100 + i));
			o += 4;
		}
		tf_put16(buf + o, etype);
	} else if (lt == MD5SIG_LINK_SLL) {
		tf_put16(buf + 2, 1); /* ARPHRD_ETHER */
		tf_put16(buf + 4, 6);
		tf_put16(buf + 14, etype);
	} else if (lt == MD5SIG_LINK_SLL2) {
		tf_put16(buf, etype);
		put32(buf + 4, 2); /* ifindex */
		tf_put16(buf + 8, 1);
		buf[11] = 6;
	}

	uint8_t *ip = buf + l2, *tcp = ip + iph + ext;
	size_t seglen = th + s->plen;
	if (v6) {
		ip[0] = 0x60;
		tf_put16(ip + 4, (uint16_t)(ext + seglen));
		ip[6] = ext ? 60 : 6;
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, sa, 16);
		memcpy(ip + 24, da, 16);
		if (ext) {
			uint8_t *d = ip + 40;
			d[0] = 6;
			d[1] = (uint8_t)(ext / 8 - 1);
			d[2] = 1; /* PadN covering the rest */
			d[3] = (uint8_t)(ext - 4);
		}
	} else {
		ip[0] = (uint8_t)(0x40 | iph / 4);
		tf_put16(ip + 2, (uint16_t)(iph + seglen));
		tf_put16(ip + 4, s->ipid);
		tf_put16(ip + 6, s->no_df ? 0 : 0x4000); /* DF */
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = 6;
		memcpy(ip + 12, sa, 4);
		memcpy(ip + 16, da, 4);
		for (size_t i = 20; i < iph; i++)
			ip[i] = i + 1 == iph ? 0 : 1; /* NOPs, then EOL */
		tf_put16(ip + 10, (uint16_t)~tf_csum_add(0, ip, iph));
	}

	tf_put16(tcp, s->sport ? s->sport : 40000);
	tf_put16(tcp + 2, s->dport ? s->dport : 179);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)(th / 4 << 4);
	tcp[13] = s->flags ? s->flags : 0x18;
	tf_put16(tcp + 14, s->window ? s->window : 502);
	tf_put16(tcp + 18, s->urg);
	size_t o = 20;
	if (s->md5) {
		tcp[o] = 1;
		tcp[o + 1] = 1;
		tcp[o + 2] = MD5SIG_OPT_KIND;
		tcp[o + 3] = MD5SIG_OPT_LEN;
		o += 20;
	}
	if (s->opts_len) {
		memcpy(tcp + o, s->opts, s->opts_len);
		for (size_t i = o + s->opts_len; i < th; i++)
			tcp[i] = 1;
	}
	uint8_t *pl = tcp + th;
	for (size_t i = 0; i < s->plen; i++)
		pl[i] = s->payload ? s->payload[i] : (uint8_t)(i * 7 + 3);

	/* TCP checksum over the pseudo-header and the segment */
	uint8_t ph[40];
	size_t phl;
	if (v6) {
		memcpy(ph, sa, 16);
		memcpy(ph + 16, da, 16);
		put32(ph + 32, (uint32_t)seglen);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = 6;
		phl = 40;
	} else {
		memcpy(ph, sa, 4);
		memcpy(ph + 4, da, 4);
		ph[8] = 0;
		ph[9] = 6;
		tf_put16(ph + 10, (uint16_t)seglen);
		phl = 12;
	}
	uint32_t sum = tf_csum_add(0, ph, phl);
	sum = tf_csum_add(sum, tcp, seglen);
	tf_put16(tcp + 16, (uint16_t)~sum);
	return total;
}

/* The TCP pseudo-header of a parsed segment into @ph; returns its length. */
static size_t pseudo_header(const struct md5sig_seg *seg, uint8_t ph[40])
{
	if (seg->family == AF_INET6) {
		memcpy(ph, seg->saddr, 16);
		memcpy(ph + 16, seg->daddr, 16);
		put32(ph + 32, seg->tcp_len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = 6;
		return 40;
	}
	memcpy(ph, seg->saddr, 4);
	memcpy(ph + 4, seg->daddr, 4);
	ph[8] = 0;
	ph[9] = 6;
	tf_put16(ph + 10, (uint16_t)seg->tcp_len);
	return 12;
}

uint32_t tf_tcp_sum(const uint8_t *f, const struct md5sig_seg *seg)
{
	uint8_t ph[40];
	size_t phl = pseudo_header(seg, ph);

	return tf_csum_add(tf_csum_add(0, ph, phl), f + seg->l4_off, seg->tcp_len);
}

void tf_tcp_csum_fix(uint8_t *f, const struct md5sig_seg *seg)
{
	uint8_t *tcp = f + seg->l4_off;

	tf_put16(tcp + 16, 0);
	tf_put16(tcp + 16, (uint16_t)~tf_tcp_sum(f, seg));
}

size_t tf_build_signed(const struct tf_spec *s, const struct md5sig_key *key, uint8_t *buf,
		       size_t cap)
{
	struct md5sig_seg seg;
	size_t n = tf_build(s, buf, cap);
	uint32_t lt = s->linktype ? s->linktype : MD5SIG_LINK_ETHERNET;

	if (!n || !s->md5 || md5sig_parse(lt, buf, n, &seg) != MD5SIG_TCP)
		return 0;
	struct md5sig_hasher *h = md5sig_hasher_new();
	int r = h ? md5sig_sign(h, buf, &seg, key) : -1;
	md5sig_hasher_free(h);
	if (r)
		return 0;
	tf_tcp_csum_fix(buf, &seg);
	return n;
}
