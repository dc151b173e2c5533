# Sourced by every guest test (POSIX sh). A test prints one line per check:
#   PASS <test>: <what held>
#   FAIL <test>: <what was expected>: <what was seen>
#   SKIP <test>: <what was not checked>: <why>
# which the harness collects. Nothing here sleeps for a fixed time to let something
# happen: wait_for polls a condition until its deadline.

TEST=$(basename "$0" .sh)
SWISOR=/usr/local/bin/swisor
FAILED=0
export SWISOR_HOME=/root/.swisor HOME=/root

# The harness's timeout(1) ends a hung test with SIGTERM: exit through the test's EXIT trap
# (its clean-up), with timeout's own status, so that the next test starts clean.
trap 'exit 124' TERM

pass() { echo "PASS $TEST: $*"; }
fail() { echo "FAIL $TEST: $*"; FAILED=1; }
skip() { echo "SKIP $TEST: $*"; }
note() { echo "# $*"; }

# check WHAT CMD...: PASS when CMD succeeds, else FAIL with its output.
check() {
    what=$1; shift
    if out=$("$@" 2>&1); then
        pass "$what"
    else
        fail "$what: \`$*\` failed: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
    fi
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds (0) or the deadline
# passes (1).
wait_for() {
    secs=$1; shift
    end=$(( $(date +%s) + secs ))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
}

# expect_within SECONDS WHAT CMD...: PASS when CMD succeeds within the deadline, else FAIL
# with what CMD printed the last time.
expect_within() {
    secs=$1; what=$2; shift 2
    if wait_for "$secs" "$@"; then
        pass "$what"
    else
        fail "$what: not within ${secs}s; last \`$*\`: $("$@" 2>&1 | tail -n 5 | tr '\n' ' ')"
    fi
}

# equals WHAT EXPECTED SEEN
equals() {
    if [ "$2" = "$3" ]; then pass "$1 ($3)"; else fail "$1: expected \"$2\", seen \"$3\""; fi
}

# procs_matching PATTERN: how many processes have a command line matching PATTERN, an
# extended regular expression (the tests' apps run programs with marker arguments, e.g.
# `sleep 4711`, to be found by; anchor it, ^sleep 4711$, so that a `sh -c "sleep 4711"`
# is not counted with it).
procs_matching() { pgrep -fc -- "$1" || true; }
none_matching() { [ "$(procs_matching "$1")" -eq 0 ]; }

# The app entry of NAME (instance 0 unless given) in `swisor jlist`.
app_json() { $SWISOR jlist 2>/dev/null | jq -c --arg n "$1" --argjson i "${2:-0}" '.[] | select(.name == $n and .instance == $i)'; }
app_field() { app_json "$1" "${3:-0}" | jq -r "$2"; }
app_status() { app_field "$1" .status "${2:-0}"; }
app_online() { [ "$(app_status "$1" "${2:-0}")" = online ]; }
# The out log file of NAME's instance (NAME-out.log, or NAME-out-<i>.log with instances).
app_log() { $SWISOR describe "$1" --json 2>/dev/null | jq -r --argjson i "${2:-0}" '[.[] | select(.instance == $i)][0].logs.out // empty'; }
# The cgroup directory of NAME's instance (describe --json), while it has one.
app_cgroup() { $SWISOR describe "$1" --json 2>/dev/null | jq -r --argjson i "${2:-0}" '[.[] | select(.instance == $i)][0].cgroup // empty'; }

# The systemd service `swisor startup` writes, started the way a user would; service_down
# undoes it (every test that brings it up calls it from its EXIT trap).
service_up() {
    $SWISOR startup && systemctl start swisor.service
}
service_down() {
    systemctl stop swisor.service 2>/dev/null
    $SWISOR unstartup >/dev/null 2>&1
    # A daemon outside systemd, started by a CLI command of a failed check.
    $SWISOR kill >/dev/null 2>&1
    rm -rf "$SWISOR_HOME"
    systemctl reset-failed swisor.service 2>/dev/null
    true
}

# The cgroup of the service: where systemd put the daemon (Delegate=yes).
SERVICE_CG=/sys/fs/cgroup/system.slice/swisor.service
# Every pid in a cgroup tree.
tree_pids() { find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null; }
tree_count() { tree_pids "$1" | wc -l; }

finish() { exit "$FAILED"; }
