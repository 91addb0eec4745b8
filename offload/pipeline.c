// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A pipeline: stages in the configured order, a verification tap after each, exact
 * accounting, culprit attribution. One guest frame is carried through every stage (breadth
 * first, a level of frames per stage) before the next; all frames come from a pool that is
 * recycled per guest frame, so memory does not grow with the number of frames.
 *
 * Taps judge every TCP frame in both schemes (md5sig_classify_frame()): RFC 2385 and RFC 5925.
 * The input tap tells the flow table of the frames entering (ISNs, SNE); every tap asks it for
 * a TCP-AO segment's connection state, so a segment a stage cut is placed in its stream. A
 * receive pipeline built with a twin borrows the twin's path elements (their instances stay
 * the twin's) and calls their receive halves, pointing each at itself for the call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "offload.h"

struct pl_stage {
	const struct offload_stage_ops *ops;
	struct offload_stage *inst; /* NULL until created, or while borrowed */
	struct pl_stage *borrowed;  /* the twin's slot whose instance runs here, or NULL */
	bool receive;		    /* run the instance's receive half */
	bool ready;		    /* inst's init() succeeded: its fini() is owed, once */
	int feature;		    /* the feature that enables it, or -1: always on */
	char *values[OFFLOAD_MAX_STAGE_PARAMS]; /* owned copies, in ops->params order */
	struct offload_stage_stats stats;
};

/* A frame at a tap, with what the tap learnt of it. */
struct pl_entry {
	struct offload_frame *f;
	/* the frame's bytes in one piece (f->data, a lent buffer, or the gathered scratch copy),
	 * or NULL until someone needs them: the headers are then in f->frags[0] */
	const uint8_t *bytes;
	enum md5sig_status st;
	struct md5sig_seg seg;
};

struct offload_pipeline {
	struct offload_config cfg; /* its stage names and parameters are read by _new() only */
	bool effective[OFFLOAD_NFEATURES];
	unsigned nstages;
	struct pl_stage st[OFFLOAD_MAX_STAGES];
	struct offload_tap_stats guest;
	struct md5sig_hasher *h;
	struct md5sig_ao_verifier *ao; /* for the MKTs of cfg.keys */
	offload_sink_fn sink;
	void *sink_arg;

	/* the frame pool: slots reused for every guest frame */
	struct offload_frame **pool;
	unsigned pool_cap, pool_used;

	struct pl_entry *level[2]; /* current and next level, OFFLOAD_MAX_SEGMENTS each */
	uint8_t *scratch;	   /* a fragmented guest frame gathered for its tap */
	const struct offload_frame *guest_frame; /* the one being carried through */
	const char *last_drop; /* why a frame was last dropped while carrying it, or NULL */
	uint32_t scratch_cap;
	struct offload_frame *outs[OFFLOAD_MAX_SEGMENTS];
	const struct pl_entry *input; /* the tap's view of the frame a stage is processing */
	struct pl_stage *current;     /* the stage being called, for its counters */
};

/* The instance that runs in slot @ps: its own, or the twin's it borrows. */
static struct offload_stage *slot_inst(const struct pl_stage *ps)
{
	return ps->borrowed ? ps->borrowed->inst : ps->inst;
}

/* ---- stage services ---- */

static struct pl_stage *pl_stage_of(const struct offload_stage *st)
{
	struct offload_pipeline *pl = st->pl;

	for (unsigned i = 0; i < pl->nstages; i++)
		if (pl->st[i].inst == st)
			return &pl->st[i];
	return NULL;
}

struct offload_frame *offload_frame_new(struct offload_stage *st, uint32_t cap)
{
	struct offload_pipeline *pl = st->pl;

	return offload_pool_get(pl, cap);
}

struct offload_frame *offload_pool_get(struct offload_pipeline *pl, uint32_t cap)
{
	if (cap > OFFLOAD_MAX_FRAME)
		return NULL;
	if (pl->pool_used == pl->pool_cap) {
		/* bounded: at most one guest frame plus a full level per stage */
		unsigned ncap = pl->pool_cap ? pl->pool_cap * 2 : 64;
		unsigned limit = 2 + OFFLOAD_MAX_SEGMENTS * (pl->nstages + 1);
		if (pl->pool_cap >= limit)
			return NULL;
		if (ncap > limit)
			ncap = limit;
		struct offload_frame **np = realloc(pl->pool, ncap * sizeof(*np));
		if (!np)
			return NULL;
		for (unsigned i = pl->pool_cap; i < ncap; i++)
			np[i] = NULL;
		pl->pool = np;
		pl->pool_cap = ncap;
	}
	struct offload_frame *f = pl->pool[pl->pool_used];
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
		pl->pool[pl->pool_used] = f;
	}
	if (f->cap < cap) {
		/* round up so a slot rarely grows twice */
		uint32_t ncap = cap < 2048 ? 2048 : cap;
		uint8_t *nd = realloc(f->data, ncap);
		if (!nd)
			return NULL;
		f->data = nd;
		f->cap = ncap;
	}
	uint8_t *data = f->data;
	uint32_t fcap = f->cap;
	/* everything after the fragment table is zero but seg, which seg_known guards; frags
	 * are valid only up to nfrags */
	memset(f, 0, offsetof(struct offload_frame, frags));
	memset(&f->tso, 0,
	       offsetof(struct offload_frame, seg) - offsetof(struct offload_frame, tso));
	f->data = data;
	f->cap = fcap;
	f->seg_count = 1;
	f->verdict = MD5SIG_NVERDICTS;
	f->ao_verdict = MD5SIG_AO_NVERDICTS;
	pl->pool_used++;
	return f;
}

void offload_frame_copy_meta(struct offload_frame *dst, const struct offload_frame *src)
{
	dst->tso = src->tso;
	dst->mss = src->mss;
	dst->csum = src->csum;
	dst->wire_len = src->wire_len;
	dst->guest_no = src->guest_no;
	dst->seg_no = src->seg_no;
	dst->seg_count = src->seg_count;
	dst->merged = src->merged;
	dst->ts = src->ts;
	dst->verdict = src->verdict;
	dst->ao_verdict = src->ao_verdict;
	dst->verdict_known = src->verdict_known;
}

int offload_stage_drop(struct offload_stage *st, const char *reason)
{
	st->drop_reason = reason;
	st->kept = OFFLOAD_KEPT_NONE;
	return 0;
}

void offload_stage_count(struct offload_stage *st, const char *what)
{
	struct pl_stage *ps = st->pl->current;

	if (!ps)
		return;
	struct offload_stage_stats *s = &ps->stats;
	for (unsigned i = 0; i < s->ncounts; i++) {
		if (!strcmp(s->counts[i].name, what)) {
			s->counts[i].count++;
			return;
		}
	}
	if (s->ncounts == OFFLOAD_MAX_COUNTS) {
		/* the last slot gathers whatever does not fit */
		s->counts[OFFLOAD_MAX_COUNTS - 1].name = "other";
		s->counts[OFFLOAD_MAX_COUNTS - 1].count++;
		return;
	}
	s->counts[s->ncounts].name = what;
	s->counts[s->ncounts++].count = 1;
}

int offload_stage_fail(struct offload_stage *st, const char *why)
{
	st->init_error = why;
	return -EINVAL;
}

/* (Re)initialise a stage; on failure the stage's own reason, or the errno, goes to @err. */
static int stage_init(struct offload_stage *inst, char *err, size_t errlen)
{
	int ret;

	inst->init_error = NULL;
	inst->pl->current = NULL; /* init() counts nothing */
	if (!inst->ops->init || (ret = inst->ops->init(inst)) >= 0)
		return 0;
	if (inst->init_error)
		snprintf(err, errlen, "%s", inst->init_error);
	else
		snprintf(err, errlen, "stage %s: %s", inst->ops->name, strerror(-ret));
	return ret;
}

int offload_stage_hold(struct offload_stage *st)
{
	st->kept = OFFLOAD_KEPT_HELD;
	return 0;
}

int offload_stage_merge(struct offload_stage *st)
{
	st->kept = OFFLOAD_KEPT_MERGED;
	return 0;
}

void offload_stage_release(struct offload_stage *st, unsigned n)
{
	st->released = n;
}

static const char *stage_param(const struct offload_stage *st, const char *name)
{
	const struct pl_stage *ps = pl_stage_of(st);
	const struct offload_param *p = st->ops->params;

	for (unsigned i = 0; ps && p && p[i].name; i++)
		if (!strcmp(p[i].name, name))
			return ps->values[i];
	return NULL;
}

const char *offload_stage_param(const struct offload_stage *st, const char *name)
{
	return stage_param(st, name);
}

unsigned long offload_stage_param_num(const struct offload_stage *st, const char *name)
{
	const char *v = stage_param(st, name);
	return v ? strtoul(v, NULL, 10) : 0;
}

bool offload_stage_feature(const struct offload_stage *st, enum offload_feature f)
{
	return offload_pipeline_feature(st->pl, f);
}

const struct md5sig_keytab *offload_stage_keys(const struct offload_stage *st)
{
	return st->pl->cfg.keys;
}

struct md5sig_ao_verifier *offload_stage_ao_verifier(const struct offload_stage *st)
{
	return st->pl->ao;
}

const struct md5sig_ao_flows *offload_stage_flows(const struct offload_stage *st)
{
	return st->pl->cfg.flows;
}

unsigned offload_stage_wire_mtu(const struct offload_stage *st)
{
	return st->pl->cfg.wire_mtu;
}

uint32_t offload_stage_linktype(const struct offload_stage *st)
{
	return st->pl->cfg.linktype;
}

enum md5sig_status offload_stage_parse(const struct offload_stage *st, struct offload_frame *in,
				       struct md5sig_seg *buf, const struct md5sig_seg **seg)
{
	const struct pl_entry *e = st->pl->input;
	uint32_t lt = st->pl->cfg.linktype;

	if (e && e->f == in) {
		*seg = &e->seg; /* the tap before this stage has just parsed it */
		return e->st;
	}
	*seg = buf;
	enum md5sig_status ps = offload_frame_parse(in, lt, buf);
	if (ps != MD5SIG_NSTATUS)
		return ps;
	if (offload_frame_linearize(in) < 0)
		return MD5SIG_BAD_LINK;
	return md5sig_parse(lt, in->data, in->len, buf);
}

struct md5sig_hasher *offload_stage_hasher(const struct offload_stage *st)
{
	return st->pl->h;
}

/* ---- configuration ---- */

bool offload_pipeline_feature(const struct offload_pipeline *pl, enum offload_feature f)
{
	return (unsigned)f < OFFLOAD_NFEATURES && pl->effective[f];
}

/* The registry's dependencies (Linux: tso needs sg and tx; without them it is off). */
static void apply_dependencies(struct offload_pipeline *pl)
{
	offload_features_effective(pl->cfg.requested, pl->effective);
}

/* Is stage @ps on: its feature is, or no feature names it? */
static bool stage_enabled(const struct offload_pipeline *pl, const struct pl_stage *ps)
{
	return ps->feature < 0 || pl->effective[ps->feature];
}

int offload_pipeline_set_feature(struct offload_pipeline *pl, enum offload_feature f, bool on)
{
	if ((unsigned)f >= OFFLOAD_NFEATURES)
		return -EINVAL;
	if (pl->cfg.fixed[f] && pl->cfg.requested[f] != on)
		return -EPERM;
	pl->cfg.requested[f] = on;
	apply_dependencies(pl);
	return 0;
}

void offload_pipeline_set_keys(struct offload_pipeline *pl, const struct md5sig_keytab *keys)
{
	pl->cfg.keys = keys;
	md5sig_ao_verifier_set_table(pl->ao, keys ? md5sig_keytab_ao(keys) : NULL);
}

bool offload_pipeline_requested(const struct offload_pipeline *pl, enum offload_feature f)
{
	return (unsigned)f < OFFLOAD_NFEATURES && pl->cfg.requested[f];
}

bool offload_pipeline_fixed(const struct offload_pipeline *pl, enum offload_feature f)
{
	return (unsigned)f < OFFLOAD_NFEATURES && pl->cfg.fixed[f];
}

bool offload_pipeline_has_feature(const struct offload_pipeline *pl, enum offload_feature f)
{
	for (unsigned i = 0; i < pl->nstages; i++)
		if (pl->st[i].feature == (int)f)
			return true;
	return false;
}

static bool valid_value(const struct offload_param *p, const char *v)
{
	if (p->syntax)
		return true; /* free text: the stage's init() checks it */
	if (!p->choices) {
		char *end;
		if (!*v || *v == '-')
			return false;
		strtoul(v, &end, 10);
		return !*end;
	}
	for (unsigned i = 0; p->choices[i]; i++)
		if (!strcmp(p->choices[i], v))
			return true;
	return false;
}

static void describe_choices(const struct offload_param *p, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (p->syntax) {
		snprintf(buf, len, "%s", p->syntax);
		return;
	}
	if (!p->choices) {
		snprintf(buf, len, "a number");
		return;
	}
	for (unsigned i = 0; p->choices[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "", p->choices[i]);
}

/* The index of the parameter "STAGE.PARAM" @key names in @ops' table, @val checked; or -EINVAL
 * with a reason in @err. */
static int param_index(const struct offload_stage_ops *ops, const char *key, const char *val,
		       char *err, size_t errlen)
{
	const struct offload_param *p = ops->params;
	const char *name = strchr(key, '.') + 1;
	int j = 0;

	for (; p && p[j].name; j++)
		if (!strcmp(p[j].name, name))
			break;
	if (!p || !p[j].name) {
		char names[128] = "";
		size_t o = 0;
		for (unsigned q = 0; p && p[q].name && o < sizeof(names); q++)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", q ? ", " : "",
					      p[q].name);
		snprintf(err, errlen, "unknown parameter '%s' (%s takes: %s)", key, ops->name,
			 *names ? names : "none");
		return -EINVAL;
	}
	if (!valid_value(&p[j], val)) {
		char choices[128];
		describe_choices(&p[j], choices, sizeof(choices));
		snprintf(err, errlen, "bad value '%s' for %s (expected %s)", val, key, choices);
		return -EINVAL;
	}
	return j;
}

/*
 * Find the stage and parameter a "STAGE.PARAM" key names and check @val: on success *@ps and
 * *@idx locate the value slot; otherwise a reason in @err.
 */
static int find_param(struct offload_pipeline *pl, const char *key, const char *val,
		      struct pl_stage **psp, unsigned *idx, char *err, size_t errlen)
{
	const char *dot = strchr(key, '.');
	size_t sl = dot ? (size_t)(dot - key) : 0;
	struct pl_stage *ps = NULL;

	for (unsigned k = 0; dot && k < pl->nstages; k++) {
		const char *n = pl->st[k].ops->name;
		if (strlen(n) == sl && !strncmp(n, key, sl))
			ps = &pl->st[k];
	}
	if (!ps) {
		snprintf(err, errlen, "unknown stage parameter '%s' (expected STAGE.PARAM)", key);
		return -EINVAL;
	}
	int j = param_index(ps->ops, key, val, err, errlen);
	if (j < 0)
		return j;
	*psp = ps;
	*idx = (unsigned)j;
	return 0;
}

int offload_param_check(const char *key, const char *value, char *err, size_t errlen)
{
	const struct offload_stage_ops *ops = offload_stage_find_prefix(key);

	if (!ops || !strchr(key, '.')) {
		snprintf(err, errlen, "unknown stage parameter '%s' (expected STAGE.PARAM)", key);
		return -EINVAL;
	}
	int j = param_index(ops, key, value, err, errlen);
	return j < 0 ? j : 0;
}

/* Replace the value of parameter @j of @ps with a copy of @value. */
static int set_value(struct pl_stage *ps, unsigned j, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(ps->values[j]);
	ps->values[j] = copy;
	return 0;
}

/* Resolve every "stage.param=value" of the configuration against the stages' tables. */
static int resolve_params(struct offload_pipeline *pl, const struct offload_config *cfg, char *err,
			  size_t errlen)
{
	for (unsigned i = 0; i < cfg->nparams; i++) {
		struct pl_stage *ps;
		unsigned j;
		int ret = find_param(pl, cfg->params[i].key, cfg->params[i].value, &ps, &j, err,
				     errlen);
		if (!ret && ps->borrowed) {
			snprintf(err, errlen,
				 "%s: a path element's parameters are its transmit "
				 "pipeline's",
				 cfg->params[i].key);
			ret = -EINVAL;
		}
		if (!ret && (ret = set_value(ps, j, cfg->params[i].value)))
			snprintf(err, errlen, "out of memory");
		if (ret)
			return ret;
	}
	return 0;
}

/* A new, zeroed instance of stage @ops, not yet initialised; NULL without memory. */
static struct offload_stage *stage_new(struct offload_pipeline *pl,
				       const struct offload_stage_ops *ops)
{
	struct offload_stage *inst = calloc(1, ops->size);

	if (inst) {
		inst->ops = ops;
		inst->pl = pl;
	}
	return inst;
}

int offload_pipeline_set_param(struct offload_pipeline *pl, const char *key, const char *value,
			       char *err, size_t errlen)
{
	struct pl_stage *ps;
	unsigned j;
	int ret = find_param(pl, key, value, &ps, &j, err, errlen);

	if (ret)
		return ret;
	if (ps->borrowed) /* the instance and its values are the twin's */
		return offload_pipeline_set_param(pl->cfg.twin, key, value, err, errlen);
	struct offload_stage *old = ps->inst, *fresh = stage_new(pl, old->ops);
	char *old_value = ps->values[j], *copy = strdup(value);
	if (!fresh || !copy) {
		free(fresh);
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the new instance reads its parameters through its slot while it initialises; the
	 * old one, untouched, runs on if that fails */
	ps->inst = fresh;
	ps->values[j] = copy;
	ret = stage_init(fresh, err, errlen);
	ps->inst = old;
	ps->values[j] = old_value;
	if (ret) {
		free(fresh);
		free(copy);
		return ret;
	}
	/* held frames leave first, from the instance that holds them */
	offload_pipeline_flush(pl, true);
	if (old->ops->fini)
		old->ops->fini(old);
	free(old);
	free(old_value);
	ps->inst = fresh;
	ps->values[j] = copy;
	return 0;
}

/* Set up slot @i for stage @name: the instance and a copy of every default value. */
static int stage_slot(struct offload_pipeline *pl, unsigned i, const char *name,
		      const struct offload_stage_ops *const *extra, char *err, size_t errlen)
{
	const struct offload_stage_ops *ops = offload_stage_lookup(extra, name);
	struct pl_stage *ps = &pl->st[i];
	unsigned np = 0;

	if (!ops) {
		snprintf(err, errlen, "unknown stage '%s'", name);
		return -EINVAL;
	}
	for (unsigned k = 0; k < i; k++) {
		if (pl->st[k].ops == ops) {
			snprintf(err, errlen, "stage '%s' listed twice", ops->name);
			return -EINVAL;
		}
	}
	while (ops->params && ops->params[np].name)
		np++;
	if (np > OFFLOAD_MAX_STAGE_PARAMS) {
		snprintf(err, errlen,
			 "stage '%s' declares %u parameters; a stage may have at most %u "
			 "(OFFLOAD_MAX_STAGE_PARAMS)",
			 ops->name, np, OFFLOAD_MAX_STAGE_PARAMS);
		return -EINVAL;
	}
	ps->ops = ops;
	ps->feature = offload_stage_feature_of(ops);
	ps->stats.name = ops->name;
	ps->receive = pl->cfg.dir == OFFLOAD_DIR_RX && ops->receive;
	if (ps->receive && pl->cfg.twin) {
		/* the transmit pipeline's instance: one per-flow state for both directions */
		struct offload_pipeline *tw = pl->cfg.twin;
		for (unsigned k = 0; k < tw->nstages && !ps->borrowed; k++)
			if (tw->st[k].ops == ops && !tw->st[k].borrowed)
				ps->borrowed = &tw->st[k];
		pl->nstages = i + 1;
		if (ps->borrowed)
			return 0;
		snprintf(err, errlen, "path element '%s' is not in the transmit pipeline",
			 ops->name);
		return -EINVAL;
	}
	ps->inst = stage_new(pl, ops);
	pl->nstages = i + 1; /* from here on _free() cleans the slot up */
	if (!ps->inst)
		goto nomem;
	for (unsigned j = 0; j < np; j++)
		if (set_value(ps, j, ops->params[j].def))
			goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

struct offload_pipeline *offload_pipeline_new(const struct offload_config *cfg, char *err,
					      size_t errlen)
{
	struct offload_pipeline *pl = calloc(1, sizeof(*pl));
	int ret = -ENOMEM;

	if (!pl) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pl->cfg = *cfg;
	apply_dependencies(pl);
	pl->h = md5sig_hasher_new();
	pl->ao = md5sig_ao_verifier_new(cfg->keys ? md5sig_keytab_ao(cfg->keys) : NULL, 1024);
	pl->level[0] = calloc(OFFLOAD_MAX_SEGMENTS, sizeof(struct pl_entry));
	pl->level[1] = calloc(OFFLOAD_MAX_SEGMENTS, sizeof(struct pl_entry));
	if (!pl->h || !pl->ao || !pl->level[0] || !pl->level[1]) {
		snprintf(err, errlen, "cannot set up the pipeline (libcrypto or memory)");
		goto fail;
	}
	if (cfg->nstages > OFFLOAD_MAX_STAGES || cfg->nparams > OFFLOAD_MAX_PARAMS) {
		snprintf(err, errlen, "too many stages or parameters");
		ret = -EINVAL;
		goto fail;
	}
	if (cfg->wire_mtu < 68 || cfg->wire_mtu > 65535) {
		snprintf(err, errlen, "wire MTU %u out of range (68..65535)", cfg->wire_mtu);
		ret = -EINVAL;
		goto fail;
	}
	for (unsigned i = 0; i < cfg->nstages; i++)
		if ((ret = stage_slot(pl, i, cfg->stages[i], cfg->extra_stages, err, errlen)))
			goto fail;
	if ((ret = resolve_params(pl, cfg, err, errlen)))
		goto fail;
	for (unsigned i = 0; i < pl->nstages; i++) {
		if (pl->st[i].borrowed)
			continue;
		if ((ret = stage_init(pl->st[i].inst, err, errlen)) < 0)
			goto fail;
		pl->st[i].ready = true;
	}
	/* what the configuration pointed to is the caller's: nothing keeps it */
	memset(pl->cfg.stages, 0, sizeof(pl->cfg.stages));
	memset(pl->cfg.params, 0, sizeof(pl->cfg.params));
	pl->cfg.nparams = 0;
	return pl;
fail:
	offload_pipeline_free(pl);
	errno = -ret;
	return NULL;
}

void offload_pipeline_free(struct offload_pipeline *pl)
{
	if (!pl)
		return;
	for (unsigned i = 0; i < pl->nstages; i++) {
		struct pl_stage *ps = &pl->st[i];
		if (ps->ready && ps->ops->fini) {
			ps->inst->pl =
				pl; /* its twin, which may have called it last, may be gone */
			ps->ops->fini(ps->inst);
		}
		free(ps->inst); /* NULL when borrowed */
		for (unsigned j = 0; j < OFFLOAD_MAX_STAGE_PARAMS; j++)
			free(ps->values[j]);
	}
	for (unsigned i = 0; i < pl->pool_cap; i++) {
		if (pl->pool[i])
			free(pl->pool[i]->data);
		free(pl->pool[i]);
	}
	free(pl->pool);
	free(pl->level[0]);
	free(pl->level[1]);
	free(pl->scratch);
	md5sig_hasher_free(pl->h);
	md5sig_ao_verifier_free(pl->ao);
	free(pl);
}

void offload_pipeline_set_sink(struct offload_pipeline *pl, offload_sink_fn fn, void *arg)
{
	pl->sink = fn;
	pl->sink_arg = arg;
}

struct offload_frame *offload_pipeline_guest_frame(struct offload_pipeline *pl, uint32_t cap)
{
	pl->pool_used = 0; /* the previous guest frame and everything made of it are done */
	return offload_pool_get(pl, cap);
}

/* ---- taps ---- */

static void tap_count(const struct offload_pipeline *pl, struct offload_tap_stats *t,
		      const struct pl_entry *e)
{
	const struct offload_frame *f = e->f;

	t->frames++;
	t->bytes += f->len;
	if (!f->verdict_known || f->verdict >= MD5SIG_NVERDICTS)
		return;
	t->verdicts[f->verdict]++;
	if (f->digest_inferred)
		t->inferred++;
	if (f->ao_verdict < MD5SIG_AO_MALFORMED)
		t->ao[f->ao_verdict]++;
	if (f->verdict == MD5SIG_UNCHECKED || f->ao_verdict == MD5SIG_AO_UNCHECKED)
		t->unchecked[pl->cfg.keys ? MD5SIG_UNCHECKED_SNAPLEN : MD5SIG_UNCHECKED_NO_KEY]++;
}

/* Gather a fragmented frame into the scratch buffer, leaving its layout for the sg stage. */
static const uint8_t *gather(struct offload_pipeline *pl, const struct offload_frame *f)
{
	uint32_t len = 0;

	if (f->len > pl->scratch_cap) {
		uint8_t *ns = realloc(pl->scratch, f->len);
		if (!ns)
			return NULL;
		pl->scratch = ns;
		pl->scratch_cap = f->len;
	}
	for (unsigned i = 0; i < f->nfrags; i++) {
		memcpy(pl->scratch + len, f->frags[i].p, f->frags[i].len);
		len += f->frags[i].len;
	}
	return pl->scratch;
}

/*
 * The bytes of a tap's frame in one piece, for what reads beyond the headers (a digest, a
 * sink). A frame a stage made with its own head is linearized in place: its bytes stay valid
 * for the rest of the guest frame, however many siblings follow. The guest frame itself, whose
 * descriptor layout sg must still see as it came, is gathered into the scratch buffer.
 */
static const uint8_t *entry_bytes(struct offload_pipeline *pl, struct pl_entry *e)
{
	struct offload_frame *f = e->f;

	if (e->bytes)
		return e->bytes;
	if (f->frags[0].p == f->data && f != pl->guest_frame)
		e->bytes = offload_frame_linearize(f) < 0 ? NULL : f->data;
	else
		e->bytes = gather(pl, f);
	return e->bytes;
}

/* Where a tap's frame keeps its headers: the whole bytes, or the first fragment. */
static const uint8_t *entry_head(const struct pl_entry *e)
{
	return e->bytes ? e->bytes : e->f->frags[0].p;
}

/*
 * Parse a frame for its tap. Contiguous bytes are parsed where they are; a fragmented frame
 * by its first fragment when that holds the headers, and whole otherwise.
 */
static int tap_parse(struct offload_pipeline *pl, struct pl_entry *e)
{
	struct offload_frame *f = e->f;
	uint32_t lt = pl->cfg.linktype, len = 0;

	e->bytes = offload_frame_bytes(f);
	if (f->seg_known && !pl->cfg.verify) {
		/* the stage that built the headers described them; verification parses anew */
		e->st = MD5SIG_TCP;
		e->seg = f->seg;
		return 0;
	}
	if (!e->bytes) {
		for (unsigned i = 0; i < f->nfrags; i++)
			len += f->frags[i].len;
		if (len > OFFLOAD_MAX_FRAME)
			return -EMSGSIZE;
		f->len = len;
	}
	e->st = offload_frame_parse(f, lt, &e->seg);
	if (e->st == MD5SIG_NSTATUS) {
		/* the headers run on past the first fragment: look at the frame gathered */
		if (!entry_bytes(pl, e))
			return -ENOMEM;
		e->st = md5sig_parse(lt, e->bytes, f->len, &e->seg);
	}
	if (e->st == MD5SIG_SNAPLEN) {
		/* an IP length past the frame's bytes: a capture cut it only if it says so */
		if (f->wire_len <= f->len) {
			e->st = MD5SIG_TRUNCATED_IP;
			e->seg.flags &= (uint16_t)~MD5SIG_SEG_HEADERS;
		} else if (entry_bytes(pl, e))
			e->st = md5sig_parse_cap(lt, e->bytes, f->len, f->wire_len, &e->seg);
	}
	return 0;
}

static bool is_tcp_status(enum md5sig_status st)
{
	return st != MD5SIG_OTHER && st != MD5SIG_FRAGMENT;
}

/* Are a segment's TCP headers described (a whole segment, or one whose payload was cut)? */
static bool has_headers(const struct pl_entry *e)
{
	return e->st == MD5SIG_TCP ||
	       (e->st == MD5SIG_SNAPLEN && (e->seg.flags & MD5SIG_SEG_HEADERS));
}

/* A frame's verdicts in both schemes, from its whole bytes @b (or malformed without them). */
static void judge(struct offload_pipeline *pl, struct pl_entry *e, const uint8_t *b)
{
	struct md5sig_checker c = {.h = pl->h, .kt = pl->cfg.keys, .ao = pl->ao};
	struct md5sig_ao_isns isns;
	struct md5sig_verdicts v;
	uint32_t sne = 0;
	bool known = false;

	if (!b) {
		e->f->verdict = MD5SIG_MALFORMED;
		e->f->ao_verdict = MD5SIG_AO_MALFORMED;
		return;
	}
	if (pl->cfg.flows && has_headers(e))
		known = md5sig_ao_flows_find(pl->cfg.flows, b, &e->seg, &isns, &sne);
	md5sig_classify_frame(&c, b, e->st, &e->seg, known ? &isns : NULL, sne, &v);
	e->f->verdict = v.md5;
	e->f->ao_verdict = v.ao;
}

/* Do two segments join the same addresses (so the same key or MKT)? */
static bool same_peers(const struct md5sig_seg *a, const struct md5sig_seg *b)
{
	return a->family == b->family && !memcmp(a->saddr, b->saddr, sizeof(a->saddr)) &&
	       !memcmp(a->daddr, b->daddr, sizeof(a->daddr));
}

/*
 * Does @e's frame carry @parent's signature verbatim over covered bytes that differ? The
 * signature is the MD5 digest, or (@ao) the whole TCP-AO option: KeyID, RNextKeyID and MAC.
 * Headers are compared first, from wherever they are; payloads only when all else is equal.
 * RFC 5925 covers all that RFC 2385 does (and the options, unless excluded, and the SNE), so a
 * difference RFC 2385 sees breaks either.
 */
static bool copied_stale_signature(struct offload_pipeline *pl, struct pl_entry *e,
				   struct pl_entry *parent, bool ao)
{
	const uint8_t *ph = entry_head(parent), *ch = entry_head(e);
	struct md5sig_ao_opt po, co;
	uint32_t poff, coff, len = MD5SIG_DIGEST_LEN;

	if (!same_peers(&parent->seg, &e->seg)) /* so the same key */
		return false;
	if (ao) {
		if (md5sig_ao_opt_find(ph, &parent->seg, &po) != MD5SIG_AO_OPT_OK ||
		    md5sig_ao_opt_find(ch, &e->seg, &co) != MD5SIG_AO_OPT_OK || po.len != co.len)
			return false;
		poff = po.off;
		coff = co.off;
		len = po.len;
	} else {
		poff = (uint32_t)parent->seg.md5_off;
		coff = (uint32_t)e->seg.md5_off;
	}
	if (memcmp(ph + poff, ch + coff, len))
		return false;
	if (offload_covered_hdr_differ(ph, &parent->seg, ch, &e->seg))
		return true;
	const uint8_t *pb = entry_bytes(pl, parent), *cb = entry_bytes(pl, e);
	return pb && cb && offload_covered_differ(pb, &parent->seg, cb, &e->seg);
}

/*
 * The verdicts of a frame a stage output, derived from @parent (its input, whose verdicts were
 * @pv and @pa). A signature copied verbatim onto a segment whose covered bytes differ cannot
 * match but by a collision (2^-128 for MD5, 2^-96 for a 96-bit MAC, for segments nobody
 * crafted): such a verdict is inferred without hashing unless full_verify is set, and the tap
 * counts it as inferred. The other scheme's verdict is then the parent's: it depends only on
 * the peers (the same) and on which option the segment carries (the same).
 */
static void classify_child(struct offload_pipeline *pl, struct pl_entry *e, struct pl_entry *parent,
			   enum md5sig_verdict pv, enum md5sig_ao_verdict pa)
{
	struct offload_frame *f = e->f;
	/* a new frame made from a whole segment: its signature may be a copy */
	bool copy = !pl->cfg.full_verify && e->st == MD5SIG_TCP && parent && parent->f != f &&
		    parent->st == MD5SIG_TCP;

	f->digest_inferred = false;
	if (!is_tcp_status(e->st)) {
		f->verdict = MD5SIG_NVERDICTS;
		f->ao_verdict = MD5SIG_AO_NVERDICTS;
		f->verdict_known = true;
		return;
	}
	if (copy && pv == MD5SIG_VALID && e->seg.md5_off >= 0 &&
	    copied_stale_signature(pl, e, parent, false)) {
		f->verdict = MD5SIG_INVALID;
		f->ao_verdict = pa;
		f->digest_inferred = true;
	} else if (copy && pa == MD5SIG_AO_VALID && (e->seg.flags & MD5SIG_SEG_AO) &&
		   copied_stale_signature(pl, e, parent, true)) {
		f->verdict = pv;
		f->ao_verdict = MD5SIG_AO_INVALID;
		f->digest_inferred = true;
	} else {
		judge(pl, e, entry_bytes(pl, e));
	}
	f->verdict_known = true;
}

/* The TCP-AO coverage of an explanation: the MKT's exclude-options, both frames' SNE. */
static void ao_cover(struct offload_pipeline *pl, const uint8_t *pb, const struct md5sig_seg *ps,
		     const uint8_t *cb, const struct md5sig_seg *cs, struct offload_ao_cover *c)
{
	const struct md5sig_ao_mkt *mkt;
	struct md5sig_ao_isns isns;
	struct md5sig_ao_opt opt;

	memset(c, 0, sizeof(*c));
	if (md5sig_ao_opt_find(pb, ps, &opt) == MD5SIG_AO_OPT_OK && pl->cfg.keys &&
	    !md5sig_aotab_lookup(md5sig_keytab_ao(pl->cfg.keys), ps, opt.keyid, &mkt))
		c->exclude_opts = mkt->exclude_opts;
	c->sne_known = md5sig_ao_flows_find(pl->cfg.flows, pb, ps, &isns, &c->sne_before) &&
		       md5sig_ao_flows_find(pl->cfg.flows, cb, cs, &isns, &c->sne_after);
}

static bool invalidates(enum md5sig_verdict v)
{
	return v == MD5SIG_INVALID || v == MD5SIG_MISSING;
}

static bool ao_invalidates(enum md5sig_ao_verdict v)
{
	return v == MD5SIG_AO_INVALID || v == MD5SIG_AO_MISSING;
}

/*
 * A stage invalidated a frame when, in either scheme, its input was valid and the frame is
 * invalid or missing. The first such frame of a stage is explained.
 */
static void attribute(struct offload_pipeline *pl, struct pl_stage *ps, struct pl_entry *parent,
		      enum md5sig_verdict pv, enum md5sig_ao_verdict pa, struct pl_entry *e)
{
	enum md5sig_verdict v = e->f->verdict;
	enum md5sig_ao_verdict a = e->f->ao_verdict;
	bool md5 = pv == MD5SIG_VALID && invalidates(v);
	bool ao = !md5 && pa == MD5SIG_AO_VALID && ao_invalidates(a);

	if (!e->f->verdict_known || (!md5 && !ao))
		return;
	ps->stats.invalidated++;
	ps->stats.invalidated_ao += ao;
	if (ps->stats.has_why)
		return;
	struct offload_why *w = &ps->stats.why;
	ps->stats.has_why = true;
	w->guest_no = e->f->guest_no;
	w->seg_no = e->f->seg_no;
	w->seg_count = e->f->seg_count;
	w->ao = ao;
	w->before = MD5SIG_VALID;
	w->after = v;
	w->ao_after = a;
	if (!parent) {
		snprintf(w->changed, sizeof(w->changed),
			 "%u segments coalesced into one: pseudo-header length and payload grew; "
			 "the first segment's header and %s kept",
			 e->f->merged + 1u, ao ? "TCP-AO option" : "digest");
	} else if (parent->f != e->f) {
		const uint8_t *pb = entry_bytes(pl, parent), *cb = entry_bytes(pl, e);
		struct offload_ao_cover c;
		if (pb && cb) {
			if (ao)
				ao_cover(pl, pb, &parent->seg, cb, &e->seg, &c);
			offload_explain(pb, &parent->seg, cb, &e->seg, ao ? &c : NULL, w);
		}
	} else {
		snprintf(w->changed, sizeof(w->changed), "covered bytes rewritten in place");
	}
}

static void sink(struct offload_pipeline *pl, unsigned tap, struct pl_entry *e)
{
	if (!pl->sink)
		return;
	/* the sink is promised a linear frame (emit() made sure it can have one) */
	const uint8_t *b = entry_bytes(pl, e);
	if (!b)
		return;
	if (b == e->f->data && !e->f->nfrags) {
		pl->sink(pl->sink_arg, tap, e->f, &e->seg, e->st);
		return;
	}
	struct offload_frame view = *e->f;
	view.data = (uint8_t *)b;
	view.nfrags = 0;
	pl->sink(pl->sink_arg, tap, &view, &e->seg, e->st);
}

static void count_drop(struct offload_pipeline *pl, struct pl_stage *ps, const char *reason)
{
	struct offload_stage_stats *s = &ps->stats;

	pl->last_drop = reason;
	s->dropped++;
	for (unsigned i = 0; i < s->ndrops; i++) {
		if (!strcmp(s->drops[i].reason, reason)) {
			s->drops[i].count++;
			return;
		}
	}
	if (s->ndrops == OFFLOAD_MAX_DROP_REASONS) {
		/* the last slot gathers whatever does not fit */
		s->drops[OFFLOAD_MAX_DROP_REASONS - 1].reason = "other";
		s->drops[OFFLOAD_MAX_DROP_REASONS - 1].count++;
		return;
	}
	s->drops[s->ndrops].reason = reason;
	s->drops[s->ndrops++].count = 1;
}

/*
 * Take the @n frames a stage output in @outs to the tap after it. @parent is the input they
 * came from (NULL for frames a stage released from its own storage), @pv its verdict.
 */
static unsigned emit(struct offload_pipeline *pl, unsigned k, struct pl_entry *parent,
		     enum md5sig_verdict pv, enum md5sig_ao_verdict pa,
		     struct offload_frame *const *outs, int n, struct pl_entry *next, unsigned nout)
{
	struct pl_stage *ps = &pl->st[k];
	struct offload_frame *f = parent ? parent->f : NULL;

	ps->stats.frames_out += (unsigned)n;
	if (parent)
		ps->stats.created += (unsigned)n - 1;
	else
		ps->stats.held -= (unsigned)n;
	for (int j = 0; j < n; j++) {
		struct pl_entry *e = &next[nout++];
		struct offload_frame *o = outs[j];
		/* a released frame carries its input's verdicts until classify_child() */
		enum md5sig_verdict before = parent ? pv : o->verdict;
		enum md5sig_ao_verdict ao_before = parent ? pa : o->ao_verdict;

		e->f = o;
		/* the input's parse still describes a frame changed in place only outside the
		 * schemes' coverage (checksums): lengths and offsets are covered, so unchanged;
		 * offsets count from the frame's start, wherever its bytes now lie */
		if (o == f && (!o->changed || !o->changed_covered)) {
			e->bytes = offload_frame_bytes(o);
			e->st = parent->st;
			e->seg = parent->seg;
		} else if (tap_parse(pl, e)) {
			/* a frame the tap cannot even gather is lost here: count it */
			ps->stats.frames_out--;
			nout--;
			count_drop(pl, ps, "oversize");
			continue;
		} else if (pl->cfg.verify && (o != f || o->changed_covered)) {
			/* a frame changed in place only outside the coverage keeps its verdicts;
			 * anything else is classified again */
			classify_child(pl, e, parent, before, ao_before);
		}
		if (pl->sink && !entry_bytes(pl, e)) {
			/* the sink (a capture, a port) needs the frame whole and it cannot be
			 * gathered: lost here, and counted */
			ps->stats.frames_out--;
			nout--;
			count_drop(pl, ps, "no-memory");
			continue;
		}
		if (pl->cfg.verify)
			attribute(pl, ps, parent, before, ao_before, e);
		tap_count(pl, &ps->stats.tap, e);
		sink(pl, k + 1, e);
	}
	return nout;
}

/* Run one stage over a level of frames; returns the size of the next level. */
static unsigned run_stage(struct offload_pipeline *pl, unsigned k, struct pl_entry *in,
			  unsigned nin, struct pl_entry *next)
{
	struct pl_stage *ps = &pl->st[k];
	struct offload_stage *inst = slot_inst(ps);
	bool enabled = stage_enabled(pl, ps);
	unsigned nout = 0;

	/* a borrowed instance serves this pipeline now: its pool, its taps, its counters */
	inst->pl = pl;
	pl->current = ps;

	for (unsigned i = 0; i < nin; i++) {
		struct offload_frame *f = in[i].f;
		struct offload_frame **outs;
		int n;

		/* the input's verdicts: a stage working in place overwrites the frame's */
		enum md5sig_verdict pv = f->verdict_known ? f->verdict : MD5SIG_NVERDICTS;
		enum md5sig_ao_verdict pa = f->verdict_known ? f->ao_verdict : MD5SIG_AO_NVERDICTS;

		ps->stats.frames_in++;
		inst->drop_reason = NULL;
		inst->kept = OFFLOAD_KEPT_NONE;
		inst->released = 0;
		f->changed = f->changed_covered = false;
		pl->input = &in[i];
		if (!enabled) {
			n = inst->ops->bypass ? inst->ops->bypass(inst, f) : 1;
			pl->outs[0] = f;
		} else if (ps->receive) {
			n = inst->ops->receive(inst, f, pl->outs, OFFLOAD_MAX_SEGMENTS - nout);
		} else {
			n = inst->ops->process(inst, f, pl->outs, OFFLOAD_MAX_SEGMENTS - nout);
		}
		pl->input = NULL;
		outs = pl->outs;
		if (n > 0 && inst->released) {
			/* held frames leave first and derive from no input of this call */
			int r = inst->released < (unsigned)n ? (int)inst->released : n;

			nout = emit(pl, k, NULL, MD5SIG_NVERDICTS, MD5SIG_AO_NVERDICTS, outs, r,
				    next, nout);
			outs += r;
			n -= r;
		}
		if (n == 0 && inst->kept == OFFLOAD_KEPT_HELD) {
			ps->stats.held++;
			continue;
		}
		if (n == 0 && inst->kept == OFFLOAD_KEPT_MERGED) {
			ps->stats.merged++;
			continue;
		}
		if (n <= 0) {
			count_drop(pl, ps,
				   n < 0	       ? "error"
				   : inst->drop_reason ? inst->drop_reason
						       : "unspecified");
			continue;
		}
		nout = emit(pl, k, &in[i], pv, pa, outs, n, next, nout);
	}
	return nout;
}

/* Carry a level of frames through stages k0.. to the end; returns how many reached it. */
static unsigned run_from(struct offload_pipeline *pl, unsigned k0, struct pl_entry *cur, unsigned n,
			 struct pl_entry *next)
{
	for (unsigned k = k0; k < pl->nstages && n; k++) {
		n = run_stage(pl, k, cur, n, next);
		struct pl_entry *t = cur;
		cur = next;
		next = t;
	}
	return n;
}

int offload_pipeline_tx(struct offload_pipeline *pl, struct offload_frame *f)
{
	struct pl_entry *cur = pl->level[0], *next = pl->level[1];
	unsigned n = 1;

	cur[0].f = f;
	pl->guest_frame = f;
	pl->last_drop = NULL;
	if (tap_parse(pl, &cur[0]))
		return -EMSGSIZE;
	f->digest_inferred = false;
	/* the connection as the frame enters: its ISNs, the furthest sequence number */
	if (pl->cfg.flows && has_headers(&cur[0]))
		md5sig_ao_flows_see(pl->cfg.flows, entry_head(&cur[0]), &cur[0].seg);
	if (!is_tcp_status(cur[0].st)) {
		f->verdict = MD5SIG_NVERDICTS;
		f->ao_verdict = MD5SIG_AO_NVERDICTS;
		f->verdict_known = true;
	} else if (pl->cfg.verify) {
		judge(pl, &cur[0], entry_bytes(pl, &cur[0]));
		f->verdict_known = true;
	}
	if (pl->sink && !entry_bytes(pl, &cur[0]))
		return -ENOMEM; /* the sink needs it whole: the caller counts the loss */
	tap_count(pl, &pl->guest, &cur[0]);
	sink(pl, 0, &cur[0]);

	return (int)run_from(pl, 0, cur, n, next);
}

int offload_pipeline_flush(struct offload_pipeline *pl, bool all)
{
	unsigned total = 0;

	pl->pool_used = 0;
	pl->guest_frame = NULL;
	pl->last_drop = NULL;
	for (unsigned k = 0; k < pl->nstages; k++) {
		struct offload_stage *inst = pl->st[k].inst;
		/* a borrowed instance's held frames are its owner's to flush */
		if (pl->st[k].borrowed || !inst->ops->flush)
			continue;
		inst->pl = pl;
		pl->current = &pl->st[k];
		int n = inst->ops->flush(inst, pl->outs, OFFLOAD_MAX_SEGMENTS, all);
		if (n < 0)
			return n;
		if (!n)
			continue;
		unsigned m = emit(pl, k, NULL, MD5SIG_NVERDICTS, MD5SIG_AO_NVERDICTS, pl->outs, n,
				  pl->level[0], 0);
		total += run_from(pl, k + 1, pl->level[0], m, pl->level[1]);
	}
	return (int)total;
}

void offload_pipeline_stats(const struct offload_pipeline *pl, struct offload_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->guest = pl->guest;
	out->nstages = pl->nstages;
	out->culprit = -1;
	out->verified = pl->cfg.verify;
	for (unsigned i = 0; i < pl->nstages; i++) {
		out->stages[i] = pl->st[i].stats;
		out->stages[i].enabled = stage_enabled(pl, &pl->st[i]);
		if (out->culprit < 0 && out->stages[i].invalidated)
			out->culprit = (int)i;
	}
}

const char *offload_pipeline_last_drop(const struct offload_pipeline *pl)
{
	return pl->last_drop;
}
