import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pkg from '../src/index.js';
import { ApiCallTimeoutError, BalancerApiError, NotInServiceError } from '../src/balancers/errors.js';
import { GracefulElbError, InvalidOptionError } from '../src/errors.js';
import { ForcedBySignalError, HealthCheckFailedError, IdentityError, LeaveFailedError, ShutdownBeforeReadyError, ShutdownTimeoutError } from '../src/lifecycleErrors.js';
import { AutoScalingApiError, NotInAutoScalingGroupError } from '../src/autoScaling/errors.js';
import { AppCrashedError } from '../src/crashHandlers.js';

const cause = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

// [instance, class name, code, expected cause, message fragment]
const TABLE: Array<[GracefulElbError, string, string, unknown, RegExp]> = [
  [new InvalidOptionError('drainSeconds', -1, 'a number', { cause }), 'InvalidOptionError', 'ERR_GRACEFUL_ELB_INVALID_OPTION', cause, /drainSeconds/],
  [new IdentityError('no IMDS', { cause }), 'IdentityError', 'ERR_GRACEFUL_ELB_IDENTITY', cause, /no IMDS/],
  [new HealthCheckFailedError('http://127.0.0.1:1/ping', 500, 503, { cause }), 'HealthCheckFailedError', 'ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED', cause, /\/ping.*500 ms.*status 503/],
  [new NotInServiceError('elb/web', 900, 'OutOfService', { cause }), 'NotInServiceError', 'ERR_GRACEFUL_ELB_NEVER_IN_SERVICE', cause, /elb\/web.*900 ms.*OutOfService/],
  [new BalancerApiError('elb/web', 'DeregisterInstancesFromLoadBalancer', { cause }), 'BalancerApiError', 'ERR_GRACEFUL_ELB_BALANCER_API', cause, /Deregister.*elb\/web.*Throttling: Rate exceeded/],
  [new ShutdownBeforeReadyError('SIGTERM'), 'ShutdownBeforeReadyError', 'ERR_GRACEFUL_ELB_SHUTDOWN_BEFORE_READY', undefined, /SIGTERM/],
  [new ShutdownTimeoutError(6000, 2), 'ShutdownTimeoutError', 'ERR_GRACEFUL_ELB_SHUTDOWN_TIMEOUT', undefined, /6000 ms.*2 request/],
  [new ForcedBySignalError('SIGINT'), 'ForcedBySignalError', 'ERR_GRACEFUL_ELB_FORCED_BY_SIGNAL', undefined, /SIGINT/],
  [new ApiCallTimeoutError('DescribeInstanceHealth', 5000), 'ApiCallTimeoutError', 'ERR_GRACEFUL_ELB_API_TIMEOUT', undefined, /DescribeInstanceHealth.*apiTimeoutMs \(5000 ms\)/],
  [new LeaveFailedError(['elb/web', 'target-group/api'], { cause }), 'LeaveFailedError', 'ERR_GRACEFUL_ELB_LEAVE_FAILED', cause, /elb\/web, target-group\/api.*may still be registered/],
  [new AutoScalingApiError('CompleteLifecycleAction', 'web-asg', { cause }), 'AutoScalingApiError', 'ERR_GRACEFUL_ELB_AUTO_SCALING_API', cause, /CompleteLifecycleAction on web-asg.*Throttling: Rate exceeded/],
  [new NotInAutoScalingGroupError('i-0abc'), 'NotInAutoScalingGroupError', 'ERR_GRACEFUL_ELB_NOT_IN_AUTO_SCALING_GROUP', undefined, /i-0abc.*GRACEFUL_ELB_AUTO_SCALING_GROUP/],
  [new AppCrashedError('uncaughtException', { cause }), 'AppCrashedError', 'ERR_GRACEFUL_ELB_APP_CRASHED', cause, /uncaught exception/],
];

for (const [error, name, code, expectedCause, message] of TABLE) {
  test(`${name}: name, stable code, cause, message, exported from the package`, () => {
    assert.ok(error instanceof GracefulElbError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, name);
    assert.equal(error.code, code);
    assert.equal(error.cause, expectedCause);
    assert.match(error.message, message);
    assert.equal((pkg as Record<string, unknown>)[name], error.constructor, `${name} is exported from src/index.ts`);
  });
}

test('every error code is distinct', () => {
  const codes = TABLE.map(([e]) => e.code);
  assert.equal(new Set(codes).size, codes.length);
});
