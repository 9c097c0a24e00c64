#!/bin/sh
# ValidateService: wait, bounded, until the app reports that the balancer has it in service. Fails the
# deployment with the reason (health route failing, never InService, app exited) otherwise.
set -eu
. "$(dirname -- "$0")/env.sh"
graceful_elb validate
