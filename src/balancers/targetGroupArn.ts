/** The parts of an ELBv2 target group ARN. */
export interface TargetGroupArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The target group's name (1-32 letters, digits, hyphens). */
  readonly name: string;
  readonly id: string;
}

// arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>. A load balancer, listener or
// Classic ELB ARN has another resource type after the account, and is the mistake this catches.
const TARGET_GROUP_ARN = /^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):(\d{12}):targetgroup\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?)\/([0-9A-Za-z]+)$/;

/** The parts of `arn`, or undefined when it is not a target group ARN. */
export function parseTargetGroupArn(arn: unknown): TargetGroupArn | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = TARGET_GROUP_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition, region, accountId, name, id] = match as unknown as [string, string, string, string, string, string];
  return { partition, region, accountId, name, id };
}
