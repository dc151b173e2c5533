# Boot persistence, last part: boot 2 ran `swisor unstartup` and kept the home with its
# dump; after this reboot nothing starts swisor and none of the saved apps runs.
. "$(dirname "$0")/../lib.sh"
D=/root/vm-reboot
cleanup() { service_down; rm -rf "$D"; }
trap cleanup EXIT
if [ ! -f "$D/boot1" ]; then
    fail "the earlier parts (90-reboot.sh, .boot2.sh) left no state in $D"
    finish
fi
check "the saved dump is still there (what a unit would resurrect)" test -s "$SWISOR_HOME/dump.json"
check "no swisor.service unit after unstartup" test ! -e /etc/systemd/system/swisor.service
# The boot is complete (the harness runs after multi-user.target): whatever would start
# swisor at boot has had its turn.
state=$(systemctl is-active swisor.service 2>&1)
case $state in active|activating) fail "swisor.service is $state after the reboot that followed unstartup" ;; *) pass "swisor.service is not running after the reboot ($state)" ;; esac
if $SWISOR ping >/dev/null 2>&1; then fail "a swisor daemon answers after the reboot: $($SWISOR ping 2>&1 | head -n 1)"; else pass "no swisor daemon answers ping"; fi
equals "processes of the saved apps after the reboot" 0 "$(procs_matching "$D/")"
finish
