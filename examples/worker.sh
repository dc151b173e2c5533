#!/bin/sh
# A queue worker for the swisor demo. It runs as two instances: swisor sets
# NODE_APP_INSTANCE (0, 1) and SWISOR_APP_ID in each one's environment.
# Every few seconds it "takes a job"; now and then it forks a short-lived child,
# which swisor counts as part of the app (memory, cpu) and stops with it.
instance=${NODE_APP_INSTANCE:-0}
trap 'echo "worker $instance: SIGTERM, finishing"; exit 0' TERM

echo "worker $instance: started (pid $$, app id ${SWISOR_APP_ID:-?})"
job=0
while :; do
    job=$((job + 1))
    echo "worker $instance: job $job done"
    if [ $((job % 3)) -eq 0 ]; then
        # A child that lives a few seconds, then exits; swisor reaps it.
        ( echo "worker $instance: helper for job $job"; sleep 2 ) &
    fi
    sleep 4
done
