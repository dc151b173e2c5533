#!/bin/sh
# A scheduled job for the swisor demo: prints one line and exits 0.
# With autorestart false it is `stopped` afterwards, not restarted; cron_restart
# (not implemented yet: a warning today) will run it again every hour.
echo "report: $(date '+%Y-%m-%d %H:%M:%S') ${APP_ENV:-development} report written"
exit 0
