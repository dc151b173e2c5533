# Pure cgroup v2 without systemd's delegation: the daemon started by a CLI command from a
# shell, as from a login session (here: the cgroup of vmtest.service, which holds the
# harness's own processes). Apps still get a cgroup each; limits are refused at start with
# the reason, nothing of that request starts; doctor says why.
. "$(dirname "$0")/../lib.sh"
export SWISOR_HOME=/root/.swisor-plain
cleanup() { $SWISOR kill >/dev/null 2>&1; rm -rf "$SWISOR_HOME" /root/vm-plain; }
trap cleanup EXIT
cleanup
mkdir -p /root/vm-plain

check "swisor start (the daemon starts by itself, outside any delegated service)" $SWISOR start sleep --name plain -- 4761
expect_within 60 "plain online" app_online plain
equals "ping: containment" cgroup2 "$($SWISOR ping --json | jq -r .containment)"
cg=$(app_cgroup plain)
pid=$(app_field plain .pid)
if [ -n "$cg" ] && grep -qx "$pid" "$cg/cgroup.procs" 2>/dev/null; then
    pass "the app has a cgroup of its own, with its process ($cg)"
else
    fail "the app's cgroup: describe says \"$cg\", pid $pid: $(cat /proc/$pid/cgroup 2>&1)"
fi
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
note "the shell's cgroup: $own; the daemon's: $(sed -n 's/^0:://p' /proc/$($SWISOR ping --json | jq -r .pid)/cgroup)"

cat >/root/vm-plain/limited.json <<'EOF'
{ "apps": [ { "name": "capped", "script": "sleep", "args": ["4762"], "memory_max": "64M" } ] }
EOF
if out=$($SWISOR start /root/vm-plain/limited.json 2>&1); then
    fail "start of an app with memory_max was accepted without the memory controller: $out"
else
    case $out in
        *memory_max*) pass "memory_max refused at start, with the reason: $(printf '%s' "$out" | head -n 1)" ;;
        *) fail "the refusal does not name memory_max: $out" ;;
    esac
fi
equals "nothing of the refused request started" 0 "$(procs_matching 'sleep 4762')"
if [ -z "$(app_json capped)" ]; then pass "no app capped is known"; else fail "capped is known: $(app_json capped)"; fi

out=$($SWISOR doctor 2>&1); rc=$?
note "doctor:"; printf '%s\n' "$out" | sed 's/^/#   /'
if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -qi 'memory'; then
    pass "doctor exits $rc and says why the memory controller is missing"
else
    fail "doctor without delegation: exit $rc, $(printf '%s' "$out" | tr '\n' ' ')"
fi
check "swisor kill" $SWISOR kill
equals "processes of the app left after kill" 0 "$(procs_matching 'sleep 476')"
finish
