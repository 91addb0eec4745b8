// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu verify --interface: open the capture (root), drop to --user, run the live engine
 * (emu/analysis/live.h) until --count, --duration, SIGINT or SIGTERM, print the final counts.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu/analysis/live.h"
#include "emu/device/device.h"
#include "emu/cli/cli.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int cli_verify_live(const struct cli_verify_live *o, const struct emu_verify_config *vcfg)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, waitmask;
	struct emu_livecap *cap = NULL;
	struct emu_live *l = NULL;
	char err[512];
	int ret = EXIT_USAGE;

	/* SIGINT and SIGTERM are let in only while waiting for frames: none is lost */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0); /* --list lines as the frames arrive */

	if (!(cap = emu_livecap_open(o->iface, o->filter, err, sizeof(err))))
		goto fail;
	if (o->user && emu_user_switch(o->user, false, err, sizeof(err)))
		goto fail;
	struct emu_live_config cfg = {
		.iface = o->iface,
		.verify = *vcfg,
		.progress = stderr,
		.count = o->count,
		.duration_ms = o->duration_ms,
		.stop = &stop,
		.waitmask = &waitmask,
	};
	uint32_t lt = emu_livecap_linktype(cap);
	if (!(l = emu_live_new(&cfg, lt, err, sizeof(err))))
		goto fail;
	fprintf(stderr, "%s verify: listening on %s, link-type %s, snapshot length %d bytes\n",
		prog, o->iface, md5sig_linktype_str(lt), EMU_LIVECAP_SNAPLEN);
	int r = emu_live_run(l, cap, err, sizeof(err));
	emu_livecap_close(cap);
	cap = NULL;
	if (o->json)
		emu_live_json(stdout, l);
	else if (!vcfg->list)
		emu_live_text(stdout, l);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s verify: cannot write the results to stdout\n", prog);
		goto out;
	}
	if (r)
		goto fail;
	struct emu_verify_counts c;
	emu_live_counts(l, &c);
	ret = o->fail_on_invalid && emu_verify_failed(&c);
	goto out;
fail:
	fprintf(stderr, "%s verify: %s\n", prog, err);
out:
	emu_live_free(l);
	emu_livecap_close(cap);
	return ret;
}

int cli_verify_live_args(const struct cli_verify_live *o, bool file_too, bool jobs, bool strict)
{
	const char *why = file_too ? "takes no capture file"
			  : jobs   ? "checks in one thread: --jobs is for a capture file"
			  : strict ? "reads no capture file: --strict is for a cut capture file"
			  : o->count && o->duration_ms
				  ? "stops at --count or at --duration, not both"
				  : NULL;

	if (why)
		fprintf(stderr, "%s verify: --interface %s %s\n", prog, o->iface, why);
	return why ? -EINVAL : 0;
}

int cli_verify_file_args(const struct cli_verify_live *o, bool not_one_file)
{
	const char *opt = o->filter	   ? "--filter"
			  : o->count	   ? "--count"
			  : o->duration_ms ? "--duration"
			  : o->user	   ? "--user"
					   : NULL;

	if (opt)
		fprintf(stderr, "%s verify: %s needs --interface\n", prog, opt);
	else if (not_one_file)
		fprintf(stderr, "%s verify: expected exactly one capture file (or --interface)\n",
			prog);
	return opt || not_one_file ? -EINVAL : 0;
}
