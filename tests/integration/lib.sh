# Shared helpers for the program-level tests (sourced).
fails=0
passes=0
t_ok() { passes=$((passes + 1)); echo "ok   - $*"; }
t_fail() { fails=$((fails + 1)); echo "FAIL - $*"; }
t_done() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]
}
