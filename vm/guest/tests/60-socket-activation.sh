# Socket activation: `swisor startup --socket` installs and enables swisor.socket; with the
# socket started and the service not running, the first CLI command connects to the socket
# systemd holds, which starts swisor.service, and the daemon serves that socket
# (LISTEN_FDS).
. "$(dirname "$0")/../lib.sh"
cleanup() { systemctl stop swisor.socket 2>/dev/null; service_down; }
trap cleanup EXIT
cleanup

check "swisor startup --socket" $SWISOR startup --socket
check "startup wrote swisor.socket" test -f /etc/systemd/system/swisor.socket
equals "swisor.socket is enabled" enabled "$(systemctl is-enabled swisor.socket 2>&1)"
check "systemctl start swisor.socket" timeout 60 systemctl start swisor.socket
equals "the socket listens" active "$(systemctl is-active swisor.socket)"
equals "the service is not running yet" inactive "$(systemctl is-active swisor.service)"
check "systemd holds the control socket at \$SWISOR_HOME/swisor.sock" test -S "$SWISOR_HOME/swisor.sock"

# The first command: `swisor list` connects; systemd starts the service on it.
if out=$(timeout 120 $SWISOR list 2>&1); then pass "swisor list answered through the activated socket"; else fail "swisor list: $out"; fi
expect_within 60 "swisor.service was started by the socket" sh -c '[ "$(systemctl is-active swisor.service)" = active ]'
mainpid=$(systemctl show -P MainPID swisor.service)
equals "the daemon answering is the service's main process" "$mainpid" "$($SWISOR ping --json | jq -r .pid)"
activation_logged() { journalctl -u swisor.service --no-pager -o cat | grep -q 'socket activation'; }
expect_within 30 "the daemon logs that it serves the socket systemd passed (socket activation)" activation_logged
check "swisor start through the activated daemon" $SWISOR start sleep --name socketed -- 4781
expect_within 60 "socketed online" app_online socketed

check "systemctl stop swisor.service" timeout 120 systemctl stop swisor.service
equals "processes of the app left after the stop" 0 "$(procs_matching '^sleep 4781$')"
equals "the socket is still held by systemd after the service stopped" active "$(systemctl is-active swisor.socket)"
# A second activation: the next command starts the service again.
if out=$(timeout 120 $SWISOR list 2>&1); then pass "a command after the stop answers (the socket started the service again)"; else fail "swisor list after the stop: $out"; fi
expect_within 60 "swisor.service active again" sh -c '[ "$(systemctl is-active swisor.service)" = active ]'
systemctl stop swisor.socket swisor.service
check "swisor unstartup" $SWISOR unstartup
check "unstartup removed swisor.socket" test ! -e /etc/systemd/system/swisor.socket
finish
