# `swisor startup --user deploy`: swisor-deploy.service runs the daemon as deploy, with the
# home /home/deploy/.swisor, and the apps deploy starts run as deploy, in cgroups below that
# service's (Delegate=yes hands the cgroup to the user).
. "$(dirname "$0")/../lib.sh"
U=deploy
cleanup() {
    systemctl stop swisor-$U.service 2>/dev/null
    $SWISOR unstartup --user $U >/dev/null 2>&1
    systemctl reset-failed swisor-$U.service 2>/dev/null
    if command -v userdel >/dev/null; then userdel -r $U 2>/dev/null; fi
    rm -rf /home/$U
    true
}
trap cleanup EXIT
cleanup
if command -v useradd >/dev/null; then
    check "useradd $U" useradd -m -s /bin/sh $U
else
    skip "startup --user: no useradd in the image to make a user with"; finish
fi
uid=$(id -u $U)
# deploy's commands, from deploy's home (an app's cwd is the CLI's: the harness's /root is
# not deploy's to enter).
as_deploy() { (cd /home/$U && runuser -u $U -- env HOME=/home/$U SWISOR_HOME=/home/$U/.swisor "$@"); }

check "swisor startup --user $U" $SWISOR startup --user $U
check "startup wrote swisor-$U.service" test -f /etc/systemd/system/swisor-$U.service
equals "the unit runs the daemon as $U" "User=$U" "$(grep '^User=' /etc/systemd/system/swisor-$U.service)"
check "systemctl start swisor-$U" timeout 120 systemctl start swisor-$U.service
mainpid=$(systemctl show -P MainPID swisor-$U.service)
equals "the daemon runs as $U (uid)" "$uid" "$(awk '/^Uid:/ { print $2 }' /proc/$mainpid/status)"
equals "$U's CLI reaches that daemon" "$mainpid" "$(as_deploy $SWISOR ping --json | jq -r .pid)"
check "$U starts an app" as_deploy $SWISOR start sleep --name deployed -- 4791
deployed_online() { [ "$(as_deploy $SWISOR jlist | jq -r '.[] | select(.name == "deployed") | .status')" = online ]; }
expect_within 60 "deployed online" deployed_online
apid=$(as_deploy $SWISOR jlist | jq -r '.[] | select(.name == "deployed") | .pid')
equals "the app runs as $U (uid)" "$uid" "$(awk '/^Uid:/ { print $2 }' /proc/$apid/status 2>/dev/null)"
case $(sed -n 's/^0:://p' /proc/$apid/cgroup) in
    /system.slice/swisor-$U.service/swisor-*/app-*-deployed) pass "the app's cgroup is below swisor-$U.service" ;;
    *) fail "the app's cgroup: $(cat /proc/$apid/cgroup)" ;;
esac
equals "ping as $U: containment" cgroup2 "$(as_deploy $SWISOR ping --json | jq -r .containment)"
check "systemctl stop swisor-$U" timeout 120 systemctl stop swisor-$U.service
equals "processes of the app left after the stop" 0 "$(procs_matching '^sleep 4791$')"
check "swisor unstartup --user $U" $SWISOR unstartup --user $U
check "unstartup removed swisor-$U.service" test ! -e /etc/systemd/system/swisor-$U.service
finish
