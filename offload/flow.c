// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-flow state for path elements: a bounded table of flows, as a firewall's connection table
 * is. Everything is allocated when the table is made (@max entries, each with the element's
 * state); a full table makes room by evicting the flow used least recently, and the element
 * counts the eviction. Flows are chained by hash in buckets and kept in one list from the most
 * to the least recently used; indices, not pointers, so the table is two flat arrays.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define NONE UINT32_MAX

struct flow_entry {
	struct offload_flow_key key;
	uint32_t chain;	     /* next entry in the bucket */
	uint32_t prev, next; /* the recency list: prev is more recent */
	bool used;
};

struct offload_flowtab {
	unsigned max, count;
	size_t value_size;
	uint32_t nbuckets; /* a power of two */
	uint32_t *bucket;
	struct flow_entry *e;
	uint8_t *values;
	uint32_t head, tail; /* most and least recently used */
};

void offload_flow_key(struct offload_flow_key *k, const struct md5sig_seg *seg, bool rx)
{
	size_t alen = seg->family == AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->family = seg->family;
	k->proto = WIRE_IPPROTO_TCP;
	k->guest_port = rx ? seg->dport : seg->sport;
	k->peer_port = rx ? seg->sport : seg->dport;
	memcpy(k->guest, rx ? seg->daddr : seg->saddr, alen);
	memcpy(k->peer, rx ? seg->saddr : seg->daddr, alen);
}

struct offload_flowtab *offload_flowtab_new(unsigned max, size_t value_size)
{
	struct offload_flowtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (!max || max > (1u << 24)) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	t->max = max;
	t->value_size = value_size;
	t->nbuckets = 1;
	while (t->nbuckets < 2 * max)
		t->nbuckets <<= 1;
	t->bucket = malloc(t->nbuckets * sizeof(*t->bucket));
	t->e = calloc(max, sizeof(*t->e));
	t->values = calloc(max, value_size ? value_size : 1);
	if (!t->bucket || !t->e || !t->values) {
		offload_flowtab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->bucket[i] = NONE;
	t->head = t->tail = NONE;
	return t;
}

void offload_flowtab_free(struct offload_flowtab *t)
{
	if (!t)
		return;
	free(t->bucket);
	free(t->e);
	free(t->values);
	free(t);
}

/* FNV-1a over the key: deterministic, so a replay evicts the same flows every time. */
static uint32_t hash(const struct offload_flowtab *t, const struct offload_flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return (uint32_t)(h ^ h >> 32) & (t->nbuckets - 1);
}

static void unlink_lru(struct offload_flowtab *t, uint32_t i)
{
	struct flow_entry *e = &t->e[i];

	if (e->prev != NONE)
		t->e[e->prev].next = e->next;
	else
		t->head = e->next;
	if (e->next != NONE)
		t->e[e->next].prev = e->prev;
	else
		t->tail = e->prev;
}

static void push_front(struct offload_flowtab *t, uint32_t i)
{
	struct flow_entry *e = &t->e[i];

	e->prev = NONE;
	e->next = t->head;
	if (t->head != NONE)
		t->e[t->head].prev = i;
	t->head = i;
	if (t->tail == NONE)
		t->tail = i;
}

static void *value_of(struct offload_flowtab *t, uint32_t i)
{
	return t->values + (size_t)i * t->value_size;
}

static uint32_t lookup(struct offload_flowtab *t, const struct offload_flow_key *k)
{
	for (uint32_t i = t->bucket[hash(t, k)]; i != NONE; i = t->e[i].chain)
		if (!memcmp(&t->e[i].key, k, sizeof(*k)))
			return i;
	return NONE;
}

void *offload_flowtab_find(struct offload_flowtab *t, const struct offload_flow_key *k)
{
	uint32_t i = lookup(t, k);

	if (i == NONE)
		return NULL;
	unlink_lru(t, i);
	push_front(t, i);
	return value_of(t, i);
}

/* Take entry @i out of its bucket's chain. */
static void unchain(struct offload_flowtab *t, uint32_t i)
{
	uint32_t *p = &t->bucket[hash(t, &t->e[i].key)];

	while (*p != i)
		p = &t->e[*p].chain;
	*p = t->e[i].chain;
}

void *offload_flowtab_add(struct offload_flowtab *t, const struct offload_flow_key *k,
			  bool *evicted)
{
	uint32_t i = lookup(t, k);

	*evicted = false;
	if (i != NONE) {
		unlink_lru(t, i);
	} else if (t->count < t->max) {
		i = t->count++;
	} else {
		i = t->tail; /* the least recently used makes room */
		unlink_lru(t, i);
		unchain(t, i);
		*evicted = true;
	}
	if (!t->e[i].used || *evicted) {
		uint32_t b = hash(t, k);

		t->e[i].key = *k;
		t->e[i].chain = t->bucket[b];
		t->bucket[b] = i;
		t->e[i].used = true;
	}
	push_front(t, i);
	memset(value_of(t, i), 0, t->value_size);
	return value_of(t, i);
}

unsigned offload_flowtab_count(const struct offload_flowtab *t)
{
	return t->count;
}
