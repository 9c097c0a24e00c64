import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideDrain, type DrainInput, type DrainReason } from '../src/drainDecision.js';

const signalAt = 1_000_000;
const base: DrainInput = { now: signalAt, signalAt, drainSeconds: 30, quietMs: 1000, inFlight: 0, lastRequestAt: undefined, balancers: [] };
const left = (routing: boolean | null, label = 'elb/web') => ({ label, routing });

// [case, input changes, done, reason]
const TABLE: Array<[string, Partial<DrainInput>, boolean, DrainReason]> = [
  ['idle, no balancer, right at the signal: the quiet window still applies once', {}, false, 'quiet-window'],
  ['idle, no balancer, quiet window passed', { now: signalAt + 1000 }, true, 'drained'],
  ['idle, balancer stopped routing, quiet window passed', { now: signalAt + 1000, balancers: [left(false)] }, true, 'drained'],
  ['balancer still routing', { now: signalAt + 5000, balancers: [left(true)] }, false, 'balancer-routing'],
  ['one of two balancers still routing', { now: signalAt + 5000, balancers: [left(false), left(true, 'elb/b')] }, false, 'balancer-routing'],
  ['balancer view unknown (API unreachable): wait', { now: signalAt + 29_999, balancers: [left(null)] }, false, 'balancer-unknown'],
  ['unknown beats routing in the report', { now: signalAt + 5000, balancers: [left(true), left(null, 'elb/b')] }, false, 'balancer-unknown'],
  ['requests in flight', { now: signalAt + 5000, inFlight: 2, balancers: [left(false)] }, false, 'in-flight'],
  ['a request arrived 999 ms ago', { now: signalAt + 5000, lastRequestAt: signalAt + 4001 }, false, 'quiet-window'],
  ['the last request arrived exactly quietMs ago', { now: signalAt + 5000, lastRequestAt: signalAt + 4000 }, true, 'drained'],
  ['a request long before the signal does not shorten the window', { now: signalAt + 500, lastRequestAt: signalAt - 60_000 }, false, 'quiet-window'],
  ['deadline with requests in flight', { now: signalAt + 30_000, inFlight: 3 }, true, 'deadline'],
  ['deadline with the balancer unknown', { now: signalAt + 30_000, balancers: [left(null)] }, true, 'deadline'],
  ['deadline with the balancer still routing', { now: signalAt + 31_000, balancers: [left(true)] }, true, 'deadline'],
  ['drainSeconds 0: done at once', { drainSeconds: 0, quietMs: 0, inFlight: 5 }, true, 'deadline'],
  ['quietMs 0: done as soon as traffic stops', { quietMs: 0, balancers: [left(false)] }, true, 'drained'],
];

for (const [name, changes, done, reason] of TABLE) {
  test(`drain decision: ${name}`, () => {
    const decision = decideDrain({ ...base, ...changes });
    assert.equal(decision.done, done);
    assert.equal(decision.reason, reason);
  });
}

test('drain decision names the balancers it waits for', () => {
  const d = decideDrain({ ...base, now: signalAt + 10, balancers: [left(true, 'elb/a'), left(false, 'elb/b'), left(true, 'elb/c')] });
  assert.deepEqual(d.balancers, ['elb/a', 'elb/c']);
});
