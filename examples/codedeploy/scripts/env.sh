# Sourced by stop.sh, start.sh and validate.sh: the settings of this deployment, in one place.
# Every value can be overridden from the environment (the demo and the tests run several instances so).
# The app inherits this environment: export its own settings here too, e.g.
#   export HOST=0.0.0.0 PORT=3000 GRACEFUL_ELB_NAME=web GRACEFUL_ELB_DRAIN_SECONDS=30

# Where the app is installed: appspec.yml `files: destination` (PLACEHOLDER on real instances).
# CodeDeploy runs hook scripts from its deployment archive (ApplicationStop from the *previous*
# revision's), not from the install location: the default, the bundle these scripts belong to, is right
# only for local runs of this repository.
: "${GRACEFUL_ELB_APP_DIR:=$(CDPATH='' cd -- "$(dirname -- "$0")/../../.." && pwd)}"

# The app's entry script, relative to GRACEFUL_ELB_APP_DIR.
: "${GRACEFUL_ELB_APP_SCRIPT:=examples/codedeploy/app.mjs}"

# The node binary. Hooks run with a minimal PATH: give a full path if node came from nvm or a tarball.
: "${GRACEFUL_ELB_NODE:=node}"

# graceful-elb's CLI: the app's own dependency, else this repository's build.
if [ -z "${GRACEFUL_ELB_CLI:-}" ]; then
  GRACEFUL_ELB_CLI="$GRACEFUL_ELB_APP_DIR/node_modules/graceful-elb/dist/cli.js"
  [ -f "$GRACEFUL_ELB_CLI" ] || GRACEFUL_ELB_CLI="$GRACEFUL_ELB_APP_DIR/dist/cli.js"
fi

# GRACEFUL_ELB_STATE_DIR (default: ~/.local/state/graceful-elb of the runas user) is read by the CLI.

graceful_elb() {
  "$GRACEFUL_ELB_NODE" "$GRACEFUL_ELB_CLI" "$@"
}
