# Boot persistence, first part (the next are 90-reboot.boot2.sh and .boot3.sh, run by the
# harness after each real `systemctl reboot`): `swisor startup`, the service started, apps of an
# ecosystem file (names, env, instances) started and `swisor save`d. Left running on
# purpose: the reboot is what stops them.
. "$(dirname "$0")/../lib.sh"
D=/root/vm-reboot
service_down
rm -rf "$D"
mkdir -p "$D"
cat /proc/sys/kernel/random/boot_id >"$D/boot1"
# Each app writes a line with its environment and the boot it runs in, then one a second.
cat >"$D/web.sh" <<'EOF'
#!/bin/sh
while :; do
    echo "web greeting=$GREETING boot=$(cat /proc/sys/kernel/random/boot_id)"
    sleep 1
done
EOF
cat >"$D/worker.sh" <<'EOF'
#!/bin/sh
while :; do
    echo "worker instance=$NODE_APP_INSTANCE queue=$QUEUE boot=$(cat /proc/sys/kernel/random/boot_id)"
    sleep 1
done
EOF
chmod +x "$D"/*.sh
cat >"$D/eco.json" <<EOF
{ "apps": [
  { "name": "web", "script": "$D/web.sh", "env": { "GREETING": "hello-vm" } },
  { "name": "worker", "namespace": "jobs", "script": "$D/worker.sh", "instances": 2,
    "env": { "QUEUE": "mail" } }
] }
EOF
boot1=$(cat "$D/boot1")
# logged TEXT APP [INSTANCE]: the instance's out log has TEXT in a line of this boot.
logged() { f=$(app_log "$2" "${3:-0}"); [ -n "$f" ] && grep -q "$1.*boot=$boot1" "$f"; }

check "swisor startup and systemctl start swisor" service_up
check "swisor start of the ecosystem file" $SWISOR start "$D/eco.json"
expect_within 60 "web and worker (2 instances) online" sh -c "[ \"\$($SWISOR jlist | jq '[.[] | select(.status == \"online\")] | length')\" -eq 3 ]"
expect_within 30 "web logged its env in this boot" logged "greeting=hello-vm" web
for i in 0 1; do
    expect_within 30 "worker instance $i logged its env in this boot" logged "instance=$i queue=mail" worker $i
done
check "swisor save" $SWISOR save
check "the dump is written" test -s "$SWISOR_HOME/dump.json"
# startup again after save, as swisor(1) advises (TimeoutStopSec from the saved apps).
check "swisor startup after save" $SWISOR startup
equals "swisor.service is enabled for the next boot" enabled "$(systemctl is-enabled swisor.service)"
$SWISOR jlist | jq -c '[.[] | {name, namespace, instance}] | sort' >"$D/apps1"
note "apps before the reboot: $(cat "$D/apps1")"
sync
finish
