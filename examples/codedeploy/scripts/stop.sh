#!/bin/sh
# ApplicationStop: SIGTERM to the app; its library leaves the balancer, drains and exits. Waits for that,
# bounded (drainSeconds + 15 s, then SIGKILL and exit 1). Exits 0 when nothing runs: CodeDeploy runs the
# previous revision's copy of this script, even if that revision never started. Exits 4 when the app could not
# leave the balancer (add --accept-leave-failure to let the deployment go on anyway).
set -eu
. "$(dirname -- "$0")/env.sh"
graceful_elb stop
