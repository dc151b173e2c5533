# Pure cgroup v2 with the controllers systemd delegates (swisor.service, Delegate=yes):
# the limits of an ecosystem file land in each app's cgroup files and the kernel enforces
# them (an app over memory_max is OOM-killed and reported oom; cpu_quota throttles a
# spinner, memory_high holds a growing one back), max_memory_restart restarts a growing app, a forking app's whole tree is in
# its cgroup, and `swisor stop` leaves 0 processes of it.
. "$(dirname "$0")/../lib.sh"
D=/root/vm-limits
cleanup() { service_down; rm -rf "$D"; }
trap cleanup EXIT
cleanup
mkdir -p "$D"

# forker: a child, a child that escapes with setsid and a double fork, then the main
# process; the sleeps' arguments mark them for pgrep.
cat >"$D/forker.sh" <<'EOF'
#!/bin/sh
sleep 4713 &
setsid sh -c 'sleep 4714 & exit 0' &
exec sleep 4715
EOF
# hog: tail(1) keeps the whole "last line" of /dev/zero, which has no newline: its memory
# grows until the kernel's OOM killer ends it. exec: the main process is the one killed.
printf '#!/bin/sh\nexec tail /dev/zero\n' >"$D/hog.sh"
# spinner: one busy loop, for cpu_quota.
printf '#!/bin/sh\nwhile :; do :; done\n' >"$D/spin.sh"
# grower: about 64 MiB in the shell's heap by doubling a string, then holds it.
cat >"$D/grower.sh" <<'EOF'
#!/bin/sh
s=0123456789abcdef; i=0
while [ $i -lt 22 ]; do s="$s$s"; i=$((i + 1)); done
echo "holding ${#s} bytes"
sleep 4716
EOF
chmod +x "$D"/*.sh
cat >"$D/eco.json" <<EOF
{ "apps": [
  { "name": "limited", "script": "sleep", "args": ["4712"],
    "memory_max": "64M", "memory_high": "48M", "tasks_max": 32, "cpu_quota": 50,
    "max_memory_restart": "200M" },
  { "name": "forker", "script": "$D/forker.sh", "kill_timeout": "2s" },
  { "name": "hog", "script": "$D/hog.sh", "memory_max": "32M", "autorestart": false },
  { "name": "spinner", "script": "$D/spin.sh", "cpu_quota": 20 },
  { "name": "grower", "script": "$D/grower.sh", "memory_max": "256M", "max_memory_restart": "20M",
    "restart_delay": 60000 },
  { "name": "squeezed", "script": "$D/grower.sh", "memory_high": "16M" }
] }
EOF

check "swisor startup and systemctl start swisor" service_up
check "swisor start of the ecosystem file" $SWISOR start "$D/eco.json"
for app in limited forker spinner; do
    expect_within 60 "$app online" app_online $app
done

# ---- the limits in the files of the app's cgroup
cg=$(app_cgroup limited)
if [ -n "$cg" ] && [ -d "$cg" ]; then pass "limited has a cgroup ($cg)"; else fail "limited has no cgroup: describe says \"$cg\""; fi
equals "memory_max 64M: memory.max" 67108864 "$(cat "$cg/memory.max" 2>&1)"
equals "memory_max: memory.swap.max" 0 "$(cat "$cg/memory.swap.max" 2>&1)"
equals "memory_high 48M: memory.high" 50331648 "$(cat "$cg/memory.high" 2>&1)"
equals "tasks_max 32: pids.max" 32 "$(cat "$cg/pids.max" 2>&1)"
equals "cpu_quota 50: cpu.max" "50000 100000" "$(cat "$cg/cpu.max" 2>&1)"
pid=$(app_field limited .pid)
if grep -qx "$pid" "$cg/cgroup.procs" 2>/dev/null; then pass "limited's process is in that cgroup"; else fail "limited's pid $pid is not in $cg/cgroup.procs"; fi

# ---- cpu_quota enforced: the spinner is throttled by the scheduler.
scg=$(app_cgroup spinner)
equals "cpu_quota 20: cpu.max" "20000 100000" "$(cat "$scg/cpu.max" 2>&1)"
throttled() { [ "$(awk '$1 == "nr_throttled" { print $2 }' "$scg/cpu.stat")" -gt 0 ]; }
expect_within 30 "the spinner is throttled (cpu.stat nr_throttled > 0)" throttled
# Its usage over a 3 s window of wall time (a measurement window, not a wait for an
# event) stays near 20% of a CPU (under 45% even with TCG's coarse clock), where the busy
# loop alone would take a whole one.
u0=$(awk '$1 == "usage_usec" { print $2 }' "$scg/cpu.stat"); t0=$(date +%s%N)
sleep 3
u1=$(awk '$1 == "usage_usec" { print $2 }' "$scg/cpu.stat"); t1=$(date +%s%N)
pct=$(( (u1 - u0) * 100000 / (t1 - t0) ))
if [ "$pct" -le 45 ]; then pass "the spinner used ${pct}% of a CPU under cpu_quota 20"; else fail "cpu_quota 20: the spinner used ${pct}% of a CPU"; fi

# ---- memory_max enforced: the hog is OOM-killed, reported oom; the service stays up.
hog_oom() { [ "$(app_field hog .last_exit.oom)" = true ]; }
hog_ended() { [ "$(app_status hog)" = stopped ]; }
expect_within 90 "the hog's main process ends (status stopped, autorestart false)" hog_ended
hog_history=$($SWISOR describe hog --json | jq -c '.[0].history')
kernel_kills=$(journalctl -k --no-pager -o cat | grep -c 'Memory cgroup out of memory: Killed process .*(tail)')
if hog_oom; then
    pass "the hog over memory_max 32M is killed by the OOM killer, reported last_exit.oom true"
elif [ "$kernel_kills" -gt 0 ] && printf '%s' "$hog_history" | jq -e 'map(.event) | index("oom")' >/dev/null; then
    # Seen in this VM (a run with the squeezed app beside it): the kernel OOM-killed the
    # main process (tail, exec'd by hog.sh), the daemon's once-a-second OOM check
    # (Sampler.checkOOMKills) ran before the main process was reaped, attributed the kill
    # to "another process of the app" and counted it as seen (oomSeen), so the reap
    # (Supervisor: kills > oomSeen) no longer saw it: the exit is reported as a plain
    # SIGKILL.
    fail "swisor bug: the OOM kill of the hog's main process is reported as a plain SIGKILL (last_exit $(app_json hog | jq -c .last_exit), status_reason \"$(app_field hog .status_reason)\"), not reason oom; the kernel logged the kill of the main process, and swisor's history has an 'oom' event for another process instead: $hog_history"
else
    fail "the hog over memory_max 32M is not reported oom: last_exit $(app_json hog | jq -c .last_exit), kernel OOM kills of tail: $kernel_kills, history $hog_history"
fi
reason=$(app_field hog .status_reason)
case $reason in *OOM*) pass "the hog's status reason names the OOM killer ($reason)" ;; *) fail "the hog's status reason does not name the OOM killer: \"$reason\"" ;; esac
equals "OOMPolicy=continue: the service is still active" active "$(systemctl is-active swisor.service)"
equals "the other apps are still online" "online online" "$(app_status limited) $(app_status forker)"

# ---- max_memory_restart: the grower is restarted with reason memory (checked every second).
memory_restart() { $SWISOR describe grower --json | jq -e '.[0].history | map(.event) | index("memory")' >/dev/null; }
expect_within 90 "the grower over max_memory_restart 20M is restarted with reason memory" memory_restart

# ---- memory_high enforced: the kernel throttles and reclaims the squeezed app above 16M
# (without swap its heap cannot go anywhere: it is held back, counted in memory.events).
qcg=$(app_cgroup squeezed)
equals "memory_high 16M: memory.high of squeezed" 16777216 "$(cat "$qcg/memory.high" 2>&1)"
over_high() { [ "$(awk '$1 == "high" { print $2 }' "$qcg/memory.events")" -gt 0 ]; }
expect_within 60 "the kernel held squeezed at memory.high (memory.events high > 0)" over_high

# ---- the forking app's whole tree is in its cgroup; stop leaves nothing.
fcg=$(app_cgroup forker)
tree_up() { [ "$(procs_matching '^sleep 471[345]$')" -eq 3 ]; }
expect_within 30 "the forker's three processes run (child, setsid escapee, main)" tree_up
for p in $(pgrep -f '^sleep 471[345]$'); do
    if grep -qx "$p" "$fcg/cgroup.procs"; then
        pass "forker process $p ($(tr '\0' ' ' </proc/$p/cmdline)) is in the app's cgroup"
    else
        fail "forker process $p ($(tr '\0' ' ' </proc/$p/cmdline)) is outside $fcg: $(cat /proc/$p/cgroup)"
    fi
done
check "swisor stop forker" $SWISOR stop forker
equals "processes of the forker left once stop answered" 0 "$(procs_matching 'sleep 471[345]')"
if [ ! -d "$fcg" ]; then pass "the forker's cgroup is removed after the stop"; else fail "the forker's cgroup $fcg is still there ($(cat "$fcg/cgroup.procs" | wc -l) processes)"; fi

# ---- doctor, under the service with everything above.
out=$($SWISOR doctor 2>&1); rc=$?
if printf '%s\n' "$out" | grep -q '^containment  *cgroup2'; then pass "doctor: containment cgroup2"; else fail "doctor: $(printf '%s' "$out" | head -n 2 | tr '\n' ' ')"; fi
equals "doctor finds nothing wrong (exit status)" 0 "$rc"

check "swisor delete all" $SWISOR delete all
equals "processes of the test's apps left after delete all" 0 "$(procs_matching 'sleep 471[2-6]|tail /dev/zero|spin.sh')"
finish
