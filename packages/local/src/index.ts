export { startLocalElb } from './mock/localElb.js';
export type { LocalElb, LocalElbEnv, LocalElbListener, LocalElbOptions } from './mock/localElb.js';
export type { LocalElbConfig } from './mock/config.js';
export type { LocalElbFaults, FaultRule } from './mock/faults.js';
export type { LocalElbStatus } from './mock/status.js';
export type { LocalElbCall } from './mock/callLog.js';
export { AwsQueryError, LocalElbConfigError, LocalElbListenError } from './mock/errors.js';
export { GracefulElbLocalError } from './localError.js';
