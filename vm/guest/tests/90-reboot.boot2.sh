# Boot persistence, second part: after the real reboot, systemd started swisor.service at
# boot (nobody typed a command) and the daemon resurrected the saved apps: the same names,
# namespaces and instances, their env, running in this boot, and their log files still hold
# the lines of the first boot. Then `swisor unstartup` removes the unit, keeping the home
# and its dump: 90-reboot.boot3.sh checks that after one more reboot nothing comes back.
. "$(dirname "$0")/../lib.sh"
D=/root/vm-reboot
cleanup() { systemctl stop swisor.service 2>/dev/null; $SWISOR unstartup >/dev/null 2>&1; true; }
trap cleanup EXIT
if [ ! -f "$D/boot1" ]; then
    fail "the first half (90-reboot.sh) left no state in $D: nothing to check after the reboot"
    finish
fi
boot1=$(cat "$D/boot1")
boot2=$(cat /proc/sys/kernel/random/boot_id)
if [ "$boot1" != "$boot2" ]; then pass "this is a new boot ($boot2)"; else fail "the boot id did not change: no reboot happened"; fi

# Started by systemd at boot: active, and the daemon answering is the service's main process.
expect_within 120 "swisor.service is active after the boot, started by systemd" sh -c '[ "$(systemctl is-active swisor.service)" = active ]'
equals "swisor.service was started at boot (enabled, not by this test)" enabled "$(systemctl is-enabled swisor.service)"
mainpid=$(systemctl show -P MainPID swisor.service)
equals "the daemon answering is the service's main process" "$mainpid" "$($SWISOR ping --json | jq -r .pid)"

all_online() { [ "$($SWISOR jlist | jq '[.[] | select(.status == "online")] | length')" -eq 3 ]; }
expect_within 60 "the 3 saved app instances are back online" all_online
$SWISOR jlist | jq -c '[.[] | {name, namespace, instance}] | sort' >"$D/apps2"
equals "the same names, namespaces and instances as before the reboot" "$(cat "$D/apps1")" "$(cat "$D/apps2")"

# logged TEXT BOOT APP [INSTANCE]: the instance's out log has TEXT in a line of BOOT.
logged() { f=$(app_log "$3" "${4:-0}"); [ -n "$f" ] && grep -q "$1.*boot=$2" "$f"; }
expect_within 30 "web runs in this boot with its saved env (GREETING=hello-vm)" logged "greeting=hello-vm" "$boot2" web
for i in 0 1; do
    expect_within 30 "worker instance $i runs in this boot with its saved env (QUEUE=mail)" logged "instance=$i queue=mail" "$boot2" worker $i
done
if logged "greeting=hello-vm" "$boot1" web; then
    pass "web's log file still holds the lines of the first boot"
else
    fail "web's log file lost the lines of the first boot: $(head -n 3 "$(app_log web)" 2>&1 | tr '\n' ' ')"
fi
for i in 0 1; do
    if logged "instance=$i queue=mail" "$boot1" worker $i; then
        pass "worker instance $i's log file still holds the lines of the first boot"
    else
        fail "worker instance $i's log file lost the lines of the first boot: $(head -n 3 "$(app_log worker $i)" 2>&1 | tr '\n' ' ')"
    fi
done
cg=$(sed -n 's/^0:://p' /proc/"$mainpid"/cgroup)
case $cg in
    /system.slice/swisor.service/swisor-*/daemon) pass "after the boot the daemon is in the service's delegated cgroup ($cg)" ;;
    *) fail "after the boot the daemon's cgroup is $cg" ;;
esac

check "systemctl stop swisor" timeout 120 systemctl stop swisor.service
equals "processes of the apps left after systemctl stop" 0 "$(procs_matching "$D/")"
check "swisor unstartup" $SWISOR unstartup
check "unstartup removed the unit" test ! -e /etc/systemd/system/swisor.service
finish
