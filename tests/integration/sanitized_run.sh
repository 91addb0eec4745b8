# Sourced: sanitized_run.sh VNICEMU NODEEPBIND.so sets run=(...), the command that starts
# vnicemu. A vnicemu built with AddressSanitizer cannot dlopen libvdeplug's plugins (they are
# opened with RTLD_DEEPBIND, which ASan refuses: reference/vde.md), so it runs with
# tests/support/nodeepbind.c preloaded, which drops that flag, and with ASan's check that its
# runtime comes first turned off (the shim must come before it to see the calls).
if grep -qa __asan_init "$1"; then
	run=(env LD_PRELOAD="$2" "ASAN_OPTIONS=verify_asan_link_order=0:${ASAN_OPTIONS:-}" "$1")
else
	run=("$1")
fi
