import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  ACCOUNT_RULE,
  AUTO_SCALING_GROUP_RULE,
  buildIamPolicy,
  ELB_NAME_RULE,
  REGION_RULE,
  TARGET_GROUP_ARN_RULE,
  type InputRule,
} from '../iamPolicy.js';
import { InvalidOptionError } from '../errors.js';
import { collect } from './argParsers.js';
import { commandAction } from './commandAction.js';
import { EXIT_CODES } from './exitCodes.js';

interface IamPolicyCliOptions {
  elb?: string[];
  targetGroupArn?: string[];
  region?: string;
  account?: string;
  discover?: boolean;
  autoScalingGroup?: string[];
}

export function registerIamPolicyCommand(program: Command): void {
  program
    .command('iam-policy')
    .summary('print the least-privilege IAM policy the instance role needs')
    .description(
      'Prints an IAM identity policy (JSON, on stdout) for the instance role: register/deregister scoped to the ' +
        'named Classic ELBs and target groups, lifecycle actions and Standby scoped to the named Auto Scaling groups, ' +
        'the Describe calls (which IAM cannot scope) on "*". Notes go to stderr.',
    )
    .option('--elb <name>', 'a Classic ELB name (repeatable)', collect(ruleParser(ELB_NAME_RULE)))
    .option('--target-group-arn <arn>', 'an ALB/NLB target group ARN (repeatable)', collect(ruleParser(TARGET_GROUP_ARN_RULE)))
    .option('--auto-scaling-group <name>', 'the Auto Scaling group, for scale-in lifecycle actions and Standby deployments (repeatable; * for any)', collect(ruleParser(AUTO_SCALING_GROUP_RULE)))
    .option('--region <region>', 'region of the Classic ELBs (default: *)', ruleParser(REGION_RULE))
    .option('--account <id>', 'account id of the Classic ELBs (default: *)', ruleParser(ACCOUNT_RULE))
    .addOption(
      new Option('--discover', "for the library's discover mode: membership on every balancer of the region and account")
        .conflicts(['elb', 'targetGroupArn']),
    )
    .action(commandAction((options: IamPolicyCliOptions) => iamPolicy(options)));
}

async function iamPolicy(options: IamPolicyCliOptions): Promise<number> {
  if (!options.discover && !options.elb?.length && !options.targetGroupArn?.length) {
    throw new InvalidOptionError('--elb', undefined, 'given at least once (or --target-group-arn, or --discover)');
  }
  const { policy, notes } = buildIamPolicy({
    ...(options.elb ? { elbNames: options.elb } : {}),
    ...(options.targetGroupArn ? { targetGroupArns: options.targetGroupArn } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.account ? { account: options.account } : {}),
    ...(options.discover ? { discover: true } : {}),
    ...(options.autoScalingGroup ? { autoScalingGroups: options.autoScalingGroup } : {}),
  });
  process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  return EXIT_CODES.ok;
}

function ruleParser(rule: InputRule): (value: string) => string {
  return (value) => {
    if (!rule.test(value)) throw new InvalidArgumentError(`Expected ${rule.expected}.`);
    return value;
  };
}
