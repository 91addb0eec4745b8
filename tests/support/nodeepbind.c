// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A test-only LD_PRELOAD shim: dlopen() without RTLD_DEEPBIND. libvdeplug opens its plugins
 * (null://, ptp://, ...) with RTLD_DEEPBIND, which AddressSanitizer refuses, so a sanitized
 * vnicemu cannot open a VDE port; with this preloaded (and ASAN_OPTIONS=verify_asan_link_order=0)
 * it can, and the cli tests drive the real daemon under ASan. Never part of a product.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

void *dlopen(const char *file, int flags);

void *dlopen(const char *file, int flags)
{
	static void *(*next)(const char *, int);

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "dlopen");
	return next ? next(file, flags & ~RTLD_DEEPBIND) : NULL;
}
