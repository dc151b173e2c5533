#!/bin/sh
# A queue worker: takes jobs from the queue named by its first argument.
queue=${1:-default}
echo "worker for queue $queue: up (pid $$)"
while :; do
    sleep 10
    echo "worker for queue $queue: idle"
done
