import type { Command } from 'commander';
import { DEMO_DEFAULTS } from '../demo/defaults.js';
import { resolveDemoOptions, type DemoFlags } from '../demo/demoOptions.js';
import { DEMO_STEPS, runDemoStep } from '../demo/demoStep.js';
import { runDemo } from '../demo/engine.js';
import { SCENARIOS } from '../demo/scenario.js';
import { libraryRoot } from '../packageRoots.js';
import { commandAction, EXIT_CODES } from './commandAction.js';

/** Exit code when the demo was interrupted (Ctrl-C): the shell's 128 + SIGINT. */
const INTERRUPTED = 130;
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .summary('a rolling CodeDeploy deployment under load on the local ELB (npm start)')
    .description(
      'Starts the local ELB and a fleet of examples/app.mjs under the supervisor, puts steady mixed load on the ' +
        "balancer, and deploys a new revision as CodeDeploy would: batches per the deployment configuration, the appspec's " +
        'hooks in lifecycle order on each instance. Shows live progress, prints a summary, writes a JSON report and an SVG ' +
        'timeline. Exits 0 only when no request failed and the deployment succeeded (1 otherwise, 2 for bad flags).',
    )
    .option('--instances <n>', `instances behind the balancer (default: ${DEMO_DEFAULTS.instances})`)
    .option('--rate <req/s>', `requests per second offered to the balancer (default: ${DEMO_DEFAULTS.ratePerSecond})`)
    .option('--duration <seconds>', `least seconds of load; it lasts until the deployment is over anyway (default: ${DEMO_DEFAULTS.durationSeconds})`)
    .option(
      '--strategy <config>',
      `OneAtATime, HalfAtATime, AllAtOnce, min-healthy=<count> or min-healthy=<percent>% (default: ${DEMO_DEFAULTS.strategy})`,
    )
    .option('--balancer <kind>', `classic (Classic ELB), alb or nlb (an ALB or NLB in front of a target group) (default: ${DEMO_DEFAULTS.balancer})`)
    .option(
      '--drain-seconds <seconds>',
      `the library's drain bound and the balancer's own: Classic draining timeout or target-group deregistration delay (default: ${DEMO_DEFAULTS.drainSeconds})`,
    )
    .option('--min-healthy <count|percent%>', 'a custom configuration: keep this many instances (2) or this share of the fleet (75%) healthy')
    .option('--scenario <name>', `what to prove: ${SCENARIOS.join(', ')} (default: deploy)`)
    .option('--naive', 'baseline: plain stop/start with the library off (GRACEFUL_ELB_DISABLE=1)')
    .option('--seed', "baseline: the seed article's scripts (deregister, sleep, stop, start, sleep, health, register, sleep)")
    .option('--codedeploy-builtin', "baseline: CodeDeploy's own BlockTraffic/AllowTraffic (deregister, wait until gone, stop, start, register, wait until healthy), library off")
    .option('--output-dir <dir>', `where each run writes its report, timeline and hook logs (default: ${DEMO_DEFAULTS.outputDir})`)
    .action(commandAction((flags: DemoFlags) => demo(flags)));

  // The baselines' hook scripts call these instead of curl and the AWS CLI (see src/demo/demoStep.ts).
  program
    .command('demo-step', { hidden: true })
    .argument('<step>', DEMO_STEPS.join(' | '))
    .argument('[args...]')
    .action(
      commandAction(async (step: string, args: string[]) => {
        process.stdout.write(`${await runDemoStep(step, args, process.env)}\n`);
        return EXIT_CODES.ok;
      }),
    );
}

async function demo(flags: DemoFlags): Promise<number> {
  const options = resolveDemoOptions(flags);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  // Ctrl-C, a kill, or the terminal closing: stop the load and the hooks, then tear the fleet down, so no
  // supervisor is left running in the background.
  for (const signal of INTERRUPTS) process.once(signal, onSignal);
  try {
    const { report, summary } = await runDemo({ ...options, libraryRoot: libraryRoot(), signal: controller.signal });
    process.stdout.write(`\n${summary}\n`);
    return report.ok ? EXIT_CODES.ok : EXIT_CODES.failure;
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write('demo interrupted; the fleet and the local ELB were stopped\n');
      return INTERRUPTED;
    }
    throw err;
  } finally {
    for (const signal of INTERRUPTS) process.off(signal, onSignal);
  }
}
