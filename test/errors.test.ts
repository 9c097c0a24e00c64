import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GracefulElbError, InvalidOptionError, describeValue } from '../src/errors.js';

test('InvalidOptionError names the option and the value, with a stable code and the cause', () => {
  const cause = new Error('underlying');
  const err = new InvalidOptionError('drainSeconds', -1, 'a number from 0 to 3600', { cause });
  assert.ok(err instanceof GracefulElbError);
  assert.equal(err.name, 'InvalidOptionError');
  assert.equal(err.code, 'ERR_GRACEFUL_ELB_INVALID_OPTION');
  assert.equal(err.option, 'drainSeconds');
  assert.equal(err.value, -1);
  assert.equal(err.cause, cause);
  assert.match(err.message, /`drainSeconds`.*0 to 3600.*got -1/);
});

test('describeValue keeps messages short and free of object dumps', () => {
  assert.equal(describeValue('x'.repeat(300)).length < 210, true);
  assert.equal(describeValue({ secretAccessKey: 'abc' }), 'an object');
  assert.equal(describeValue(new Map()), 'an instance of Map');
  assert.equal(describeValue([1, 2]), 'an array of length 2');
  assert.equal(describeValue(undefined), 'undefined');
});
