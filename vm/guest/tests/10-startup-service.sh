# `swisor startup` and the unit it writes, started by the real systemd as PID 1:
# Type=notify reaches active through the daemon's READY=1 (libsystemd's sd_notify), the
# STATUS= summary shows in systemctl, the daemon runs in the service's delegated cgroup and
# says cgroup2, journalctl -u has its lines, and `swisor unstartup` removes the unit.
. "$(dirname "$0")/../lib.sh"
trap service_down EXIT
service_down

UNIT=/etc/systemd/system/swisor.service
check "swisor startup exits 0" $SWISOR startup
check "startup wrote $UNIT" test -f $UNIT
equals "systemctl is-enabled swisor" enabled "$(systemctl is-enabled swisor.service 2>&1)"
equals "the unit runs the daemon beside this binary" "ExecStart=${SWISOR}d --resurrect" "$(grep '^ExecStart=' $UNIT)"
equals "the unit is Type=notify" Type=notify "$(grep '^Type=' $UNIT)"

# systemctl start of a Type=notify service returns once READY=1 came (or fails once the
# start times out): active right after it, with the daemon answering, means READY=1 was
# sent by the process systemd started (NotifyAccess=main).
check "systemctl start swisor (Type=notify: waits for READY=1)" timeout 120 systemctl start swisor.service
equals "the service is active after start" active "$(systemctl is-active swisor.service)"
mainpid=$(systemctl show -P MainPID swisor.service)
pingpid=$($SWISOR ping --json | jq -r .pid)
equals "systemd's MainPID is the daemon that answers ping" "$mainpid" "$pingpid"
# READY=1 was not only sent but received: systemd records when the start job finished.
equals "the start job has completed (ActiveState, SubState)" "active running" \
    "$(systemctl show -P ActiveState swisor.service) $(systemctl show -P SubState swisor.service)"

# The STATUS= summary, kept up to date: with no app, then with one.
status0=$(systemctl show -P StatusText swisor.service)
if [ -n "$status0" ]; then pass "systemd has a STATUS= text from the daemon (\"$status0\")"; else fail "no STATUS= text in systemctl show -P StatusText"; fi
$SWISOR start sleep --name napper -- 4711 >/dev/null
expect_within 30 "napper online" app_online napper
status_has_online() { systemctl show -P StatusText swisor.service | grep -q '1 online'; }
expect_within 30 "STATUS= updated to count the app (\"1 online\")" status_has_online
if systemctl status swisor.service --no-pager 2>&1 | grep -q 'Status: "'; then
    pass "systemctl status shows the Status: line"
else
    fail "systemctl status shows no Status: line: $(systemctl status swisor.service --no-pager 2>&1 | head -n 5 | tr '\n' ' ')"
fi

# Delegate=yes: the daemon lives in the service's cgroup, moved to swisor-<hash>/daemon
# below it, and the app's cgroup is beside it with the controllers enabled above it.
cg=$(sed -n 's/^0:://p' /proc/"$mainpid"/cgroup)
case $cg in
    /system.slice/swisor.service/swisor-*/daemon) pass "the daemon's cgroup is below the service's ($cg)" ;;
    *) fail "the daemon's cgroup: expected /system.slice/swisor.service/swisor-<hash>/daemon, seen $cg" ;;
esac
equals "Delegate=yes in effect" yes "$(systemctl show -P Delegate swisor.service)"
appcg=$(app_cgroup napper)
case $appcg in
    $SERVICE_CG/swisor-*/app-*-napper) pass "the app's cgroup is below the service's ($appcg)" ;;
    *) fail "the app's cgroup: expected $SERVICE_CG/swisor-<hash>/app-<id>-napper, seen \"$appcg\"" ;;
esac
napid=$(app_field napper .pid)
if [ -n "$appcg" ] && grep -qx "$napid" "$appcg/cgroup.procs" 2>/dev/null; then
    pass "the app's process is in its cgroup"
else
    fail "the app's pid $napid is not in $appcg/cgroup.procs"
fi
group=$(dirname "$appcg")
for c in memory pids cpu; do
    if grep -qw $c "$group/cgroup.subtree_control" 2>/dev/null; then
        pass "$c controller enabled for the app cgroups ($group/cgroup.subtree_control)"
    else
        fail "$c not in $group/cgroup.subtree_control: \"$(cat "$group/cgroup.subtree_control" 2>&1)\""
    fi
done

equals "swisor ping --json: containment" cgroup2 "$($SWISOR ping --json | jq -r .containment)"
if out=$($SWISOR doctor 2>&1); then
    pass "swisor doctor exits 0"
else
    fail "swisor doctor exits $?: $(printf '%s' "$out" | tr '\n' ' ')"
fi
for c in memory pids cpu; do
    if printf '%s\n' "$out" | grep -Eq "^ *$c +v2 "; then
        pass "doctor: $c through cgroup v2"
    else
        fail "doctor does not list $c as v2: $(printf '%s' "$out" | tr '\n' ' ')"
    fi
done
if printf '%s\n' "$out" | grep -q '^containment  *cgroup2'; then pass "doctor: containment cgroup2"; else fail "doctor: no 'containment cgroup2' line: $(printf '%s' "$out" | head -n 2 | tr '\n' ' ')"; fi

# The daemon's own lines reach the journal (stderr of the unit).
journal_has_daemon() { journalctl -u swisor.service --no-pager -o cat | grep -q .; }
expect_within 30 "journalctl -u swisor.service shows the daemon's lines" journal_has_daemon
note "journalctl -u swisor.service:"
journalctl -u swisor.service --no-pager -o cat | tail -n 20 | sed 's/^/#   /'

# unstartup: the unit goes; the running service keeps running until stopped (swisor(1)).
check "systemctl stop swisor" timeout 120 systemctl stop swisor.service
none_app() { none_matching 'sleep 4711'; }
expect_within 10 "no process of the app is left after systemctl stop" none_app
check "swisor unstartup exits 0" $SWISOR unstartup
check "unstartup removed $UNIT" test ! -e $UNIT
enabled=$(systemctl is-enabled swisor.service 2>&1)
case $enabled in
    enabled*) fail "swisor.service is still enabled after unstartup: $enabled" ;;
    *) pass "swisor.service is no longer enabled ($enabled)" ;;
esac
if [ -e /etc/systemd/system/multi-user.target.wants/swisor.service ]; then
    fail "the enable link multi-user.target.wants/swisor.service is still there"
else
    pass "no enable link left in multi-user.target.wants"
fi
finish
