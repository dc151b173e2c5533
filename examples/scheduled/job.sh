#!/bin/sh
# A scheduled job: does its work once and exits 0 (autorestart false + cron_restart).
echo "job $1: started at $(date '+%Y-%m-%d %H:%M:%S')"
echo "job $1: done"
exit 0
