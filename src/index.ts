export { GracefulElbError, InvalidOptionError } from './errors.js';
export { LIFECYCLE_MESSAGE_TYPE, isLifecycleMessage } from './lifecycleMessage.js';
export type { LifecycleMessage, LifecycleState } from './lifecycleMessage.js';
export type { Balancer, BalancerView } from './balancers/balancer.js';
