import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDemoCommand } from './cli/demo.js';
import { registerLocalControlCommands } from './cli/localControl.js';
import { registerMockCommand } from './cli/mock.js';
import { localPackageRoot } from './packageRoots.js';

// The bin entry of @graceful-elb/local: the local ELB (`mock`) and the demo (`demo`, and the hidden `demo-step`
// tools its baseline hook scripts call).
const { version } = JSON.parse(readFileSync(join(localPackageRoot(), 'package.json'), 'utf8')) as { version: string };

const program = new Command('graceful-elb-local')
  .description('Local development for graceful-elb: a local ELB that speaks the AWS API and routes traffic, and the demo')
  .version(version)
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerMockCommand(program);
registerDemoCommand(program);
registerLocalControlCommands(program);

await program.parseAsync(process.argv);
