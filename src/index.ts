export { gracefulElb } from './gracefulElb.js';
export type { GracefulElb, GracefulElbEvents, ReadyInfo, ShutdownSummary } from './gracefulElb.js';
export { DEFAULTS, ENV_OVERRIDES } from './options.js';
export type { ElbClient, ElbV2Client, GracefulElbOptions } from './options.js';
export { EXIT_CODES } from './exitCodes.js';
export { NOTICE_DEFAULTS, NOTICE_ENV } from './autoScaling/noticeOptions.js';
export type { AutoScalingOptions, SpotOptions } from './autoScaling/noticeOptions.js';
export type { AutoScalingClientLike } from './autoScaling/autoScalingApi.js';
export { AutoScalingApiError, NotInAutoScalingGroupError } from './autoScaling/errors.js';
export {
  ApiCallTimeoutError,
  BalancerApiError,
  DiscoveryError,
  ForcedBySignalError,
  GracefulElbError,
  HealthCheckFailedError,
  IdentityError,
  InvalidOptionError,
  LeaveFailedError,
  MembershipStateError,
  NothingDiscoveredError,
  NotInServiceError,
  ShutdownBeforeReadyError,
  ShutdownTimeoutError,
} from './errors.js';
export { LIFECYCLE_MESSAGE_TYPE, isLifecycleMessage } from './lifecycleMessage.js';
export type { LifecycleMessage, LifecycleState } from './lifecycleMessage.js';
export type { Balancer, BalancerView } from './balancers/balancer.js';
export type { DrainReason } from './drainDecision.js';
