import { GracefulElbError } from '../errors.js';

/** An Auto Scaling API call failed for good (after retries), or with an error that is not worth retrying. */
export class AutoScalingApiError extends GracefulElbError {
  readonly action: string;
  readonly group: string | undefined;

  constructor(action: string, group: string | undefined, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : 'unknown error';
    super('ERR_GRACEFUL_ELB_AUTO_SCALING_API', `${action}${group === undefined ? '' : ` on ${group}`} failed (${reason})`, options);
    this.action = action;
    this.group = group;
  }
}

/** The instance is in no Auto Scaling group (DescribeAutoScalingInstances does not list it), though a group is needed. */
export class NotInAutoScalingGroupError extends GracefulElbError {
  readonly instanceId: string;

  constructor(instanceId: string) {
    super('ERR_GRACEFUL_ELB_NOT_IN_AUTO_SCALING_GROUP', `Instance ${instanceId} is in no Auto Scaling group (DescribeAutoScalingInstances does not list it); set autoScaling.groupName or GRACEFUL_ELB_AUTO_SCALING_GROUP`);
    this.instanceId = instanceId;
  }
}
