# `systemctl restart swisor` and `systemctl stop swisor` end every process of every app,
# a stubborn tree (ignores SIGINT and SIGTERM, with a setsid escapee) included, within
# TimeoutStopSec, and leave the service's cgroup tree empty; the restarted daemon brings the
# saved apps back (daemon --resurrect).
. "$(dirname "$0")/../lib.sh"
D=/root/vm-stop
cleanup() { service_down; rm -rf "$D"; }
trap cleanup EXIT
cleanup
mkdir -p "$D"
cat >"$D/stubborn.sh" <<'EOF'
#!/bin/sh
trap '' INT TERM
sleep 4752 &
setsid sh -c "trap '' INT TERM; sleep 4753 & while :; do sleep 1; done" &
while :; do sleep 1; done
EOF
chmod +x "$D/stubborn.sh"
cat >"$D/eco.json" <<EOF
{ "apps": [
  { "name": "coop", "script": "sleep", "args": ["4751"], "instances": 2 },
  { "name": "stubborn", "script": "$D/stubborn.sh", "kill_timeout": "3s" }
] }
EOF
apps_up() { app_online coop 0 && app_online coop 1 && app_online stubborn && [ "$(procs_matching '^sleep 475[123]$')" -eq 4 ]; }
marked() { procs_matching 'sleep 475[123]|stubborn.sh'; }

check "swisor startup and systemctl start swisor" service_up
check "swisor start of the ecosystem file" $SWISOR start "$D/eco.json"
expect_within 60 "coop (2 instances) and stubborn online, with the stubborn tree's 2 sleeps" apps_up
check "swisor save" $SWISOR save
# startup again after save: TimeoutStopSec follows the saved kill_timeouts (swisor(1)).
check "swisor startup after save" $SWISOR startup
old=$(pgrep -f 'sleep 475[123]|stubborn.sh' | sort | tr '\n' ' ')

start=$(date +%s)
check "systemctl restart swisor" timeout 120 systemctl restart swisor.service
took=$(( $(date +%s) - start ))
tos=$(systemctl show -P TimeoutStopUSec swisor.service)
note "restart took ${took}s; TimeoutStopUSec=$tos"
left=0
for p in $old; do [ -d /proc/$p ] && left=$((left + 1)); done
equals "processes of the old daemon's apps left after systemctl restart" 0 "$left"
expect_within 60 "the restarted daemon resurrected the saved apps" apps_up
equals "the service is active again" active "$(systemctl is-active swisor.service)"

start=$(date +%s)
check "systemctl stop swisor" timeout 120 systemctl stop swisor.service
took=$(( $(date +%s) - start ))
equals "processes of the apps left after systemctl stop" 0 "$(marked)"
if [ -d "$SERVICE_CG" ]; then
    equals "processes in the service's cgroup tree after stop" 0 "$(tree_count "$SERVICE_CG")"
else
    pass "the service's cgroup is gone after stop"
fi
if [ "$took" -lt 30 ]; then pass "systemctl stop took ${took}s, within TimeoutStopSec"; else fail "systemctl stop took ${took}s (TimeoutStopSec $tos)"; fi
# The daemon ended the apps itself (kill_timeout, then cgroup.kill) and exited cleanly:
# systemd did not have to SIGKILL anything at its TimeoutStopSec.
equals "the service ended cleanly (Result)" success "$(systemctl show -P Result swisor.service)"
equals "the service is inactive (not failed)" inactive "$(systemctl is-active swisor.service)"
finish
