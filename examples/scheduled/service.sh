#!/bin/sh
# A long-running service (stands in for an API or a frontend server): logs a heartbeat.
name=${SWISOR_APP_NAME:-service}
echo "$name: up (pid $$, port ${PORT:-none})"
while :; do
    sleep 30
    echo "$name: alive"
done
