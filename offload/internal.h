/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared inside offload/ only; never installed. */
#ifndef VNICEMU_OFFLOAD_INTERNAL_H
#define VNICEMU_OFFLOAD_INTERNAL_H

#include "offload.h"

/* A frame from the pool of @pl (reset for each guest frame), or NULL. */
struct offload_frame *offload_pool_get(struct offload_pipeline *pl, uint32_t cap);

/*
 * Do two parsed TCP segments differ in anything RFC 2385 hashes (pseudo-header, fixed TCP
 * header but the checksum, payload)? Options are not hashed and not compared.
 */
bool offload_covered_differ(const uint8_t *a, const struct md5sig_seg *sa, const uint8_t *b,
			    const struct md5sig_seg *sb);

/* Fill why->changed / why->unchanged by comparing a stage's input and output segments. */
void offload_explain(const uint8_t *pf, const struct md5sig_seg *ps, const uint8_t *cf,
		     const struct md5sig_seg *cs, struct offload_why *why);

#endif
