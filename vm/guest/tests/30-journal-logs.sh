# log_type "journal" under a real journald: each line of the app is a journal entry with
# SYSLOG_IDENTIFIER=<name>, PRIORITY 6 (stdout) or 3 (stderr) and the SWISOR_* fields
# (swisor-ecosystem(5), LOG LINES); the daemon's own lines are in journalctl -u.
. "$(dirname "$0")/../lib.sh"
D=/root/vm-journal
TOKEN=$(cat /proc/sys/kernel/random/uuid | cut -c1-8)
cleanup() { service_down; rm -rf "$D"; }
trap cleanup EXIT
cleanup
mkdir -p "$D"
cat >"$D/jlog.sh" <<EOF
#!/bin/sh
echo "jout-$TOKEN"
echo "jerr-$TOKEN" >&2
exec sleep 4741
EOF
chmod +x "$D/jlog.sh"
cat >"$D/eco.json" <<EOF
{ "apps": [ { "name": "jlog", "script": "$D/jlog.sh", "log_type": "journal" } ] }
EOF

check "swisor startup and systemctl start swisor" service_up
check "swisor start of an app with log_type journal" $SWISOR start "$D/eco.json"
expect_within 60 "jlog online" app_online jlog
in_journal() { journalctl -t jlog --no-pager -o cat | grep -qx "$1-$TOKEN"; }
expect_within 30 "the app's stdout line is in journalctl -t jlog" in_journal jout
expect_within 30 "the app's stderr line is in journalctl -t jlog" in_journal jerr

entry() { journalctl -t jlog --no-pager -o json | jq -c --arg m "$1-$TOKEN" 'select(.MESSAGE == $m)' | tail -n 1; }
out=$(entry jout); err=$(entry jerr)
id=$(app_field jlog .id)
equals "stdout entry: PRIORITY" 6 "$(printf '%s' "$out" | jq -r .PRIORITY)"
equals "stderr entry: PRIORITY" 3 "$(printf '%s' "$err" | jq -r .PRIORITY)"
equals "stdout entry: SWISOR_STREAM" out "$(printf '%s' "$out" | jq -r .SWISOR_STREAM)"
equals "stderr entry: SWISOR_STREAM" err "$(printf '%s' "$err" | jq -r .SWISOR_STREAM)"
equals "entry: SWISOR_APP_NAME" jlog "$(printf '%s' "$out" | jq -r .SWISOR_APP_NAME)"
equals "entry: SWISOR_APP_ID (the instance's id)" "$id" "$(printf '%s' "$out" | jq -r .SWISOR_APP_ID)"
equals "entry: SWISOR_INSTANCE" 0 "$(printf '%s' "$out" | jq -r .SWISOR_INSTANCE)"
n=$(journalctl --no-pager -o cat SWISOR_APP_NAME=jlog | grep -c -- "-$TOKEN$")
equals "journalctl SWISOR_APP_NAME=jlog finds both lines" 2 "$n"
if [ -s "$SWISOR_HOME/logs/jlog-out.log" ] && grep -q "jout-$TOKEN" "$SWISOR_HOME/logs/jlog-out.log"; then
    fail "the journal app's line went to its log file too"
else
    pass "the journal app's lines are not in a log file"
fi

# The daemon's own lines: the unit's stderr goes to the journal.
daemon_lines() { [ "$(journalctl -u swisor.service --no-pager -o cat | grep -c .)" -gt 0 ]; }
expect_within 30 "journalctl -u swisor.service has the daemon's lines" daemon_lines
finish
