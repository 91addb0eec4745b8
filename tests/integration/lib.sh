# Shared helpers for the program-level tests (sourced).
fails=0
passes=0
t_ok() { passes=$((passes + 1)); echo "ok   - $*"; }
t_fail() { fails=$((fails + 1)); echo "FAIL - $*"; }
t_done() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]
}
# t_need_root: skip the test (exit 77) unless root, as network namespaces need
t_need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "needs root for network namespaces: skipped"
	exit 77
}
# t_need TOOL...: skip the test (exit 77) naming the first TOOL not installed
t_need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 && continue
		echo "$tool not installed (tools/deps): skipped"
		exit 77
	done
}
