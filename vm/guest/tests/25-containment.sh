# The containment cases of the integration suite, on pure cgroup v2 under systemd: a fork
# bomb is held at tasks_max by the kernel (pids.max) while the daemon keeps answering, and
# its stop leaves nothing; then, outside systemd, a daemon killed with SIGKILL leaves its
# app running in its cgroup, the next daemon leaves it running and doctor reports it as a
# stale cgroup with the command that ends it.
. "$(dirname "$0")/../lib.sh"
D=/root/vm-containment
STALE_HOME=/root/.swisor-stale
cleanup() {
    service_down
    SWISOR_HOME=$STALE_HOME $SWISOR kill >/dev/null 2>&1
    for cg in /sys/fs/cgroup/system.slice/vmtest.service/swisor-*/app-*-left; do
        [ -d "$cg" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null && wait_for 10 sh -c "! grep -q . '$cg/cgroup.procs'" && rmdir "$cg"
    done
    rm -rf "$D" "$STALE_HOME"
}
trap cleanup EXIT
cleanup
mkdir -p "$D"
# bash, not dash: bash retries a fork that fails with EAGAIN, so the bomb keeps pushing at
# the limit instead of exiting at the first refusal.
cat >"$D/bomb.sh" <<'EOF'
#!/bin/bash
while :; do sleep 4721 & done
EOF
chmod +x "$D/bomb.sh"
cat >"$D/eco.json" <<EOF
{ "apps": [ { "name": "bomb", "script": "$D/bomb.sh", "tasks_max": 20, "kill_timeout": "1s" } ] }
EOF

check "swisor startup and systemctl start swisor" service_up
check "swisor start of a fork bomb with tasks_max 20" $SWISOR start "$D/eco.json"
cg=""
has_cgroup() { cg=$(app_cgroup bomb); [ -n "$cg" ] && [ -d "$cg" ]; }
expect_within 30 "the bomb has a cgroup" has_cgroup
refused() { [ "$(awk '$1 == "max" { print $2 }' "$cg/pids.events")" -gt 0 ]; }
expect_within 60 "the kernel refuses the bomb's forks at pids.max (pids.events max > 0)" refused
equals "pids.max of the bomb" 20 "$(cat "$cg/pids.max")"
peak=$(cat "$cg/pids.peak" 2>/dev/null || cat "$cg/pids.current")
if [ "$peak" -le 20 ]; then pass "the bomb never had more than 20 tasks ($peak)"; else fail "the bomb reached $peak tasks over tasks_max 20"; fi
if timeout 20 $SWISOR list >/dev/null 2>&1; then pass "the daemon answers list during the bomb"; else fail "swisor list did not answer within 20 s during the bomb"; fi
check "swisor stop bomb" timeout 60 $SWISOR stop bomb
equals "processes of the bomb left once stop answered" 0 "$(procs_matching '^sleep 4721$|bomb.sh')"
check "swisor delete bomb" $SWISOR delete bomb
service_down

# ---- a daemon killed without stopping its app (outside systemd, which would clean up).
export SWISOR_HOME=$STALE_HOME
check "swisor start (a daemon outside systemd)" $SWISOR start sleep --name left -- 4722
expect_within 60 "left online" app_online left
dpid=$($SWISOR ping --json | jq -r .pid)
apid=$(app_field left .pid)
lcg=$(app_cgroup left)
kill -KILL "$dpid"
gone() { [ ! -d /proc/"$dpid" ] || grep -q '^State:.*Z' /proc/"$dpid"/status; }
expect_within 10 "the daemon is gone after SIGKILL" gone
if [ -d /proc/"$apid" ]; then pass "its app keeps running in its cgroup"; else fail "the app $apid died with its daemon"; fi
# A new daemon, as a user starting another app would make one (list and ping never start
# a daemon, swisor(1)).
check "swisor start of another app starts a new daemon" $SWISOR start sleep --name other -- 4723
expect_within 30 "other online" app_online other
if [ -d /proc/"$apid" ]; then pass "the new daemon leaves the earlier daemon's app running"; else fail "the new daemon ended the earlier daemon's app $apid"; fi
out=$($SWISOR doctor 2>&1); rc=$?
note "doctor:"; printf '%s\n' "$out" | sed 's/^/#   /'
equals "doctor exits 1 on a stale cgroup" 1 "$rc"
json=$($SWISOR doctor --json 2>/dev/null)
# Outside systemd's delegation doctor also lists the missing controllers (50-no-delegation):
# the stale cgroup is the finding looked for here.
stale=$(printf '%s' "$json" | jq -c '[.findings[] | select(.kind == "stale-cgroup")]')
equals "doctor --json: one stale-cgroup finding" 1 "$(printf '%s' "$stale" | jq length)"
advice=$(printf '%s' "$stale" | jq -r '.[0].advice')
case $advice in
    *"$lcg/cgroup.kill"*) pass "the advice names the command that ends it ($advice)" ;;
    *) fail "the advice does not name $lcg/cgroup.kill: $advice" ;;
esac
if printf '%s' "$stale" | jq -e --argjson p "$apid" '.[0].processes | map(.pid) | index($p)' >/dev/null; then
    pass "the finding lists the stale app's process"
else
    fail "the finding does not list pid $apid: $stale"
fi
echo 1 >"$lcg/cgroup.kill"
expect_within 10 "the stale app ends by its cgroup.kill" sh -c "[ ! -d /proc/$apid ]"
rmdir "$lcg" 2>/dev/null
left=$($SWISOR doctor --json 2>/dev/null | jq '[.findings[] | select(.kind == "stale-cgroup")] | length')
equals "stale-cgroup findings once it is gone" 0 "$left"
check "swisor kill" $SWISOR kill
equals "processes of the test's apps left" 0 "$(procs_matching '^sleep 472[23]$')"
finish
