import { Command } from 'commander';
import { createRequire } from 'node:module';
import { registerIamPolicyCommand } from './cli/iamPolicy.js';
import { registerStartCommand } from './cli/start.js';
import { registerStatusCommand } from './cli/status.js';
import { registerStopCommand } from './cli/stop.js';
import { registerValidateCommand } from './cli/validate.js';

// The bin entry. Each command lives in src/cli/<command>.ts and registers itself on the program.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('graceful-elb')
  .description('Redeploy a Node service behind an AWS load balancer without a failed request')
  .version(version)
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander reports usage errors itself; we only normalise the exit code (2 = usage).
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerStartCommand(program);
registerStopCommand(program);
registerStatusCommand(program);
registerValidateCommand(program);
registerIamPolicyCommand(program);

await program.parseAsync(process.argv);
