import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../src/errors.js';

/** Asserts that `run` throws the coded InvalidOptionError naming `option` (in its field and its message) and `value`. */
export function assertInvalidOption(run: () => unknown, option: string, value: unknown, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InvalidOptionError, `got ${String(error)}`);
    assert.equal(error.code, 'ERR_GRACEFUL_ELB_INVALID_OPTION');
    assert.equal(error.option, option);
    assert.deepEqual(error.value, value);
    assert.ok(error.message.includes(`\`${option}\``), error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}
