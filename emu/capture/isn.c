// SPDX-License-Identifier: GPL-2.0-or-later
/* `--isn ADDR.PORT=ISN`: a TCP endpoint's initial sequence number, for captures that start mid-connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/capture/capture.h"

int emu_isn_parse(const char *arg, struct emu_isn *out, const char **why)
{
	const char *eq = strchr(arg, '='), *dot;
	char addr[INET6_ADDRSTRLEN + 1], *end;
	unsigned long port;
	unsigned long long isn;

	memset(out, 0, sizeof(*out));
	*why = "expected ADDR.PORT=ISN";
	if (!eq)
		return -EINVAL;
	/* the port follows the last dot before '=' (IPv6 addresses have none of their own) */
	for (dot = eq; dot > arg && dot[-1] != '.'; dot--)
		;
	if (dot == arg || (size_t)(dot - 1 - arg) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, arg, (size_t)(dot - 1 - arg));
	addr[dot - 1 - arg] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
	} else {
		*why = "bad address (expected ADDR.PORT=ISN)";
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(dot, &end, 10);
	if (end == dot || end != eq || *dot == '-' || *dot == '+' || port > 65535 || errno) {
		*why = "bad port (expected ADDR.PORT=ISN, PORT 0..65535)";
		return -EINVAL;
	}
	const char *n = eq + 1;
	bool hex = n[0] == '0' && (n[1] == 'x' || n[1] == 'X');
	errno = 0;
	isn = strtoull(hex ? n + 2 : n, &end, hex ? 16 : 10);
	if (!*n || end == (hex ? n + 2 : n) || *end || (hex ? n[2] : n[0]) == '-' ||
	    (hex ? n[2] : n[0]) == '+' || errno || isn > UINT32_MAX) {
		*why = "bad ISN (expected 0..4294967295 in decimal or 0x-hex)";
		return -EINVAL;
	}
	out->port = (uint16_t)port;
	out->isn = (uint32_t)isn;
	*why = NULL;
	return 0;
}
