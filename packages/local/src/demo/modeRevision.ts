import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoBalancerKind } from './balancerConfig.js';
import { DEMO_DEFAULTS } from './defaults.js';

/**
 * The two baselines' revisions, written as a CodeDeploy bundle would carry them (appspec.yml + scripts/), so
 * the demo runs them through the same hook runner as the real template. Every script gets the demo's
 * per-instance environment: GRACEFUL_ELB_NODE, GRACEFUL_ELB_CLI, GRACEFUL_ELB_LOCAL_CLI, GRACEFUL_ELB_APP_DIR, GRACEFUL_ELB_APP_SCRIPT,
 * GRACEFUL_ELB_STATE_DIR, GRACEFUL_ELB_NAME, GRACEFUL_ELB_DRAIN_SECONDS, PORT and the AWS endpoint variables.
 * Both run the app with the library off (GRACEFUL_ELB_DISABLE=1) under the same supervisor as the graceful mode,
 * so the only difference measured is who leaves the balancer, and how.
 */

const PRELUDE = `# Shared by the demo's generated hook scripts.
graceful_elb() { "$GRACEFUL_ELB_NODE" "$GRACEFUL_ELB_CLI" "$@"; }
# curl and \`aws elb\` stand-ins (the AWS SDK), so the demo needs neither installed.
demo_step() { "$GRACEFUL_ELB_NODE" "$GRACEFUL_ELB_LOCAL_CLI" demo-step "$@"; }
`;

const NAIVE = {
  appspec: `# The naive baseline: stop and start the app in place, no balancer handling at all.
version: 0.0
os: linux
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 60
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 30
  ValidateService:
    - location: scripts/validate.sh
      timeout: ${DEMO_DEFAULTS.naiveValidateTimeoutSeconds + 10}
`,
  scripts: {
    'stop.sh': `#!/bin/sh
# Plain stop (forever stop): SIGTERM; without the library the app exits at once, mid-request.
set -eu
. "$(dirname -- "$0")/common.sh"
graceful_elb stop
`,
    'start.sh': `#!/bin/sh
# Plain start (forever start).
set -eu
. "$(dirname -- "$0")/common.sh"
cd "$GRACEFUL_ELB_APP_DIR"
graceful_elb start "$GRACEFUL_ELB_APP_SCRIPT"
`,
    'validate.sh': `#!/bin/sh
# Waits until the app answers its health route, so the next instance is not stopped before this one is up.
set -eu
. "$(dirname -- "$0")/common.sh"
tries=0
while [ "$tries" -lt ${DEMO_DEFAULTS.naiveValidateTimeoutSeconds * 4} ]; do
  [ "$(demo_step http-status "http://127.0.0.1:$PORT/ping")" = 200 ] && exit 0
  tries=$((tries + 1))
  sleep 0.25
done
echo "health route never answered 200" >&2
exit 1
`,
  },
} as const;

/**
 * CodeDeploy's built-in load-balancer mode: the library off, the naive revision's stop/start/validate, and around them
 * what CodeDeploy itself does when the deployment group names the balancer. BlockTraffic runs right before
 * ApplicationStop and AllowTraffic right after ValidateService; CodeDeploy runs them itself, not from scripts, so here
 * they are the first step of ApplicationStop and the last of ValidateService (the timeline shows them inside those).
 */
const BUILTIN = {
  appspec: (drainSeconds: number) => `# CodeDeploy's built-in load-balancer handling (BlockTraffic / AllowTraffic) with a plain stop/start app.
version: 0.0
os: linux
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: ${Math.min(3600, drainSeconds + 120)}
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 30
  ValidateService:
    - location: scripts/validate.sh
      timeout: ${DEMO_DEFAULTS.naiveValidateTimeoutSeconds + DEMO_DEFAULTS.builtinAllowTimeoutSeconds + 10}
`,
  scripts: {
    'stop.sh': `#!/bin/sh
# BlockTraffic (deregister, wait until the balancer reports the instance gone: the whole deregistration delay on a
# target group), then a plain stop.
set -eu
. "$(dirname -- "$0")/common.sh"
demo_step block-traffic "$(demo_step instance-id)"
graceful_elb stop
`,
    'start.sh': NAIVE.scripts['start.sh'],
    'validate.sh': `#!/bin/sh
# The app answers its health route, then AllowTraffic (register, wait until the balancer reports it healthy).
set -eu
. "$(dirname -- "$0")/common.sh"
tries=0
until [ "$(demo_step http-status "http://127.0.0.1:$PORT/ping")" = 200 ]; do
  tries=$((tries + 1))
  if [ "$tries" -ge ${DEMO_DEFAULTS.naiveValidateTimeoutSeconds * 4} ]; then echo "health route never answered 200" >&2; exit 1; fi
  sleep 0.25
done
demo_step allow-traffic "$(demo_step instance-id)"
`,
  },
} as const;

const SEED = {
  appspec: `# The seed article's appspec, hook for hook: it stops the app in AfterInstall.
version: 0.0
os: linux
hooks:
  AfterInstall:
    - location: scripts/stop.sh
  ApplicationStart:
    - location: scripts/start.sh
  ValidateService:
    - location: scripts/validate.sh
`,
  scripts: {
    'stop.sh': `#!/bin/sh
# The seed's stop.sh, step for step. Only the tools differ: the instance id comes from this instance's
# metadata endpoint (the article curls 169.254.169.254), \`aws elb\` is the AWS SDK through demo_step,
# and \`forever stop\` is the supervisor's stop.
. "$(dirname -- "$0")/common.sh"
# Get the instance-id from AWS
INSTANCEID=$(demo_step instance-id)
# Remove the instance from the load balancer
__DEREGISTER__
# Let connections drain (the article: sleep 30, "replace with your drain time")
sleep "$GRACEFUL_ELB_DRAIN_SECONDS"
# Now stop the server
graceful_elb stop
`,
    'start.sh': `#!/bin/sh
# The seed's start.sh: forever start.
. "$(dirname -- "$0")/common.sh"
cd "$GRACEFUL_ELB_APP_DIR"
graceful_elb start "$GRACEFUL_ELB_APP_SCRIPT"
`,
    'validate.sh': `#!/bin/sh
# The seed's validate.sh, step for step (its fixed waits included).
. "$(dirname -- "$0")/common.sh"
# Wait for however long the service takes to be responsive
sleep ${DEMO_DEFAULTS.seedStartSleepSeconds}
res=$(demo_step http-status "http://127.0.0.1:$PORT/ping")
echo "$res"
if [ "$res" -eq 200 ]
 then
  # Get the instance-id from AWS
  INSTANCEID=$(demo_step instance-id)
  # Add the instance back to the ELB
  __REGISTER__
  # Wait for the instance to be detected by the ELB (set this to the health check interval)
  sleep ${DEMO_DEFAULTS.seedRegisterSleepSeconds}
  exit 0
 else
  exit 1
fi
`,
  },
} as const;

/**
 * The seed's `aws elb` calls, or for a target group the `aws elbv2` ones the same article would need
 * (GRACEFUL_ELB_TARGET_GROUP_ARNS and PORT come from the instance's environment).
 */
const SEED_MEMBERSHIP = {
  classic: {
    deregister: 'demo_step deregister-instances-from-load-balancer "$GRACEFUL_ELB_NAME" "$INSTANCEID"',
    register: 'demo_step register-instances-with-load-balancer "$GRACEFUL_ELB_NAME" "$INSTANCEID"',
  },
  targetGroup: {
    deregister: 'demo_step deregister-targets "$GRACEFUL_ELB_TARGET_GROUP_ARNS" "Id=$INSTANCEID,Port=$PORT"',
    register: 'demo_step register-targets "$GRACEFUL_ELB_TARGET_GROUP_ARNS" "Id=$INSTANCEID,Port=$PORT"',
  },
} as const;

/** Writes a baseline's revision into `dir` and returns the path of its appspec.yml. */
export function writeBaselineRevision(mode: 'naive' | 'seed' | 'builtin', dir: string, settings: { balancer: DemoBalancerKind; drainSeconds: number } = { balancer: 'classic', drainSeconds: DEMO_DEFAULTS.drainSeconds }): string {
  const membership = SEED_MEMBERSHIP[settings.balancer === 'classic' ? 'classic' : 'targetGroup'];
  const revision =
    mode === 'naive'
      ? NAIVE
      : mode === 'builtin'
        ? { appspec: BUILTIN.appspec(settings.drainSeconds), scripts: BUILTIN.scripts }
        : {
            appspec: SEED.appspec,
            scripts: Object.fromEntries(
              Object.entries(SEED.scripts).map(([name, body]) => [name, body.replace('__DEREGISTER__', membership.deregister).replace('__REGISTER__', membership.register)]),
            ),
          };
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'appspec.yml'), revision.appspec);
  writeFileSync(join(dir, 'scripts', 'common.sh'), PRELUDE);
  for (const [name, body] of Object.entries(revision.scripts)) {
    const path = join(dir, 'scripts', name);
    writeFileSync(path, body);
    chmodSync(path, 0o755);
  }
  return join(dir, 'appspec.yml');
}
