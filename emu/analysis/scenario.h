/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: scenario — a bug report as data
 *
 * A scenario file (INI, docs/scenarios.md, parsed by libinih) names a guest capture, the NIC
 * profile, the path beyond it, feature settings and quirks, the wire MTU and the keys, and what
 * a replay of it must show: the culprit, verdict counts at the guest and on the wire, per-stage
 * counters and events, words of the explanation; with a path, the same of the receive
 * direction (keys starting "rx."). Paths in it are relative to the file. Loading checks the file; running
 * replays the capture (emu/analysis/replay.h) and compares every expectation with what the run
 * counted; printing says which held. `vnicemu repro` is these three calls.
 */
#ifndef VNICEMU_EMU_SCENARIO_H
#define VNICEMU_EMU_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "emu/analysis/replay.h"
#include "offload/offload.h"

#define EMU_SCENARIO_EXPECT_MAX 64  /**< expectations in one file */
#define EMU_SCENARIO_VALUE_MAX	256 /**< bytes of a value, NUL included */
#define EMU_SCENARIO_SETS_MAX	64  /**< set lines */

/** struct emu_expect - one line of [expect]: KEY = VALUE. */
struct emu_expect {
	char key[96];
	char value[EMU_SCENARIO_VALUE_MAX];
	unsigned line; /**< where the file says it */
};

/** struct emu_scenario - a loaded scenario file; plain data, the caller's. */
struct emu_scenario {
	char path[512]; /**< the file, as given */
	char dir[512];	/**< its directory: paths in it are relative to this */
	char name[64], description[256];
	char capture[512];	 /**< resolved against @dir */
	char key_file[512];	 /**< resolved against @dir, or "" */
	char key[128];		 /**< or one secret for every peer, or "" */
	char profile[512];	 /**< a name, or a path resolved against @dir */
	char path_spec[512];	 /**< the path beyond the NIC ("asa,nat"; files resolved), or "" */
	char guest_addrs[8][64]; /**< with a path: the guest's addresses, or none (learnt) */
	unsigned nguest_addrs;
	char sets[EMU_SCENARIO_SETS_MAX][96];
	unsigned nsets;
	unsigned wire_mtu;
	bool full_verify;
	struct emu_expect expect[EMU_SCENARIO_EXPECT_MAX];
	unsigned nexpect;
};

/** struct emu_scenario_result - what a run of a scenario counted and which expectations held. */
struct emu_scenario_result {
	struct emu_replay_result replay;
	struct {
		char got[EMU_SCENARIO_VALUE_MAX + 300]; /**< the run's value for the key */
		bool ok;
	} outcome[EMU_SCENARIO_EXPECT_MAX];
	unsigned failed; /**< expectations that did not hold */
};

/**
 * emu_scenario_parse() - read and check the text of a scenario file from @in (@path names it
 * in messages, and relative paths in it are resolved against its directory): known sections
 * and keys, each key of [scenario] at most once (set and guest-addr may repeat), values in
 * range, a capture, at most one of key and key-file, at least one expectation, each key of
 * [expect] once (why-contains may repeat) with a value of its kind: a count (digits, no sign,
 * no leading zero) for counters, none or a stage's name for culprit, on or off for .enabled,
 * text for why-contains. Opens no file.
 * Return: 0, or -errno with "PATH[:LINE]: reason" in @err.
 */
int emu_scenario_parse(struct emu_scenario *s, const char *path, FILE *in, char *err,
		       size_t errlen);

/** emu_scenario_load() - emu_scenario_parse() of the file @path. */
int emu_scenario_load(struct emu_scenario *s, const char *path, char *err, size_t errlen);

/**
 * emu_scenario_actual() - the value expectation key @key names in a run's counters, as text:
 * "culprit"; guest.VERDICT, wire.VERDICT (or .frames; also written guest.md5.VERDICT),
 * guest.ao.VERDICT, wire.ao.VERDICT (RFC 5925: valid ... no-isn, unchecked); STAGE.invalidated
 * (in either scheme), .invalidated_ao, .created, .frames_in, .frames_out, .dropped,
 * .dropped.REASON, .md5.VERDICT, .ao.VERDICT, .enabled (on/off), .why-contains (the
 * explanation's changed and unchanged fields), .count.EVENT. The same keys after "rx." name
 * the receive pipeline's (wire. its first tap, guest. its last) when @res has one.
 * Return: 0, or -EINVAL for a key that names nothing.
 */
int emu_scenario_actual(const struct emu_replay_result *res, const char *key, char *got,
			size_t len);

/** Does @got satisfy @e: contains its value for a why-contains key, else equals it? */
bool emu_scenario_holds(const struct emu_expect *e, const char *got);

/**
 * emu_scenario_run() - replay the scenario's capture as it says and check every expectation.
 * Return: 0 with @res filled (res->failed says whether the scenario holds), or -errno with
 * "PATH: reason" in @err: the replay failed, or an expectation names no counter of the run (no
 * expectation is judged then).
 */
int emu_scenario_run(const struct emu_scenario *s, struct emu_scenario_result *res, char *err,
		     size_t errlen);

/**
 * emu_scenario_print() - the verdict: the expectations that did not hold, each with what the
 * run gave, or that the scenario holds, its culprit and what it changed; with @verbose also
 * every expectation that held.
 */
void emu_scenario_print(FILE *f, const struct emu_scenario *s,
			const struct emu_scenario_result *res, bool verbose);

#endif
