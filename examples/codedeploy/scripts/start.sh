#!/bin/sh
# ApplicationStart: run the new revision under the graceful-elb supervisor. Returns once the app is
# spawned; the library then proves the app's health and rejoins the balancer by itself.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$GRACEFUL_ELB_APP_DIR"
graceful_elb start "$GRACEFUL_ELB_APP_SCRIPT"
