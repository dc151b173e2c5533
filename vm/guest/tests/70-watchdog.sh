# The daemon's watchdog under systemd: with WatchdogSec= in a drop-in (as `systemctl edit
# swisor.service` makes), the daemon sends WATCHDOG=1 from its event loop (systemd records
# each ping); a hung daemon (SIGSTOP) misses them, systemd kills it (watchdog timeout) and
# restarts it (Restart=on-failure), and the new daemon resurrects the saved apps.
. "$(dirname "$0")/../lib.sh"
DROPIN=/etc/systemd/system/swisor.service.d
cleanup() {
    pid=$(systemctl show -P MainPID swisor.service 2>/dev/null)
    [ -n "$pid" ] && [ "$pid" != 0 ] && kill -CONT "$pid" 2>/dev/null
    rm -rf "$DROPIN"; systemctl daemon-reload; service_down
}
trap cleanup EXIT
cleanup

check "swisor startup" $SWISOR startup
mkdir -p "$DROPIN"
printf '[Service]\nWatchdogSec=6s\n' >"$DROPIN/watchdog.conf"
systemctl daemon-reload
check "systemctl start swisor (WatchdogSec=6s)" timeout 120 systemctl start swisor.service
equals "WatchdogUSec of the service" 6s "$(systemctl show -P WatchdogUSec swisor.service)"
check "swisor start of an app" $SWISOR start sleep --name watched -- 4771
expect_within 60 "watched online" app_online watched
check "swisor save" $SWISOR save

# WATCHDOG=1 arrives: systemd's WatchdogTimestamp moves on at each ping.
w0=$(systemctl show -P WatchdogTimestampMonotonic swisor.service)
pinged() { [ "$(systemctl show -P WatchdogTimestampMonotonic swisor.service)" != "$w0" ]; }
expect_within 20 "systemd receives the daemon's WATCHDOG=1 pings (WatchdogTimestamp moves)" pinged
old=$(systemctl show -P MainPID swisor.service)
oldapp=$(app_field watched .pid)
restarts0=$(systemctl show -P NRestarts swisor.service)

kill -STOP "$old"
restarted() {
    pid=$(systemctl show -P MainPID swisor.service)
    [ "$pid" != 0 ] && [ "$pid" != "$old" ] && [ "$(systemctl is-active swisor.service)" = active ]
}
expect_within 90 "the hung daemon is replaced by systemd (a new MainPID, active)" restarted
equals "systemd counted one restart (NRestarts)" $((restarts0 + 1)) "$(systemctl show -P NRestarts swisor.service)"
wd_logged() { journalctl -u swisor.service --no-pager -o cat | grep -qi 'watchdog timeout'; }
expect_within 30 "the journal has systemd's watchdog timeout for the service" wd_logged
if [ -d /proc/"$old" ]; then fail "the hung daemon $old is still there"; else pass "the hung daemon is gone"; fi
back() { app_online watched && [ "$(app_field watched .pid)" != "$oldapp" ]; }
expect_within 60 "the new daemon resurrected the saved app (a new process)" back
if [ -d /proc/"$oldapp" ]; then fail "the old daemon's app process $oldapp survived"; else pass "the old daemon's app process is gone"; fi
finish
