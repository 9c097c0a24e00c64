import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { resolveDemoOptions } from '../src/demo/demoOptions.js';
import { DEMO_DEFAULTS } from '../src/demo/defaults.js';
import { LiveProgress, formatProgress, formatProgressLine, type ProgressState } from '../src/demo/progress.js';
import { InvalidOptionError } from '../src/demo/errors.js';

test('defaults apply when no flag is given, each written once in DEMO_DEFAULTS', () => {
  const options = resolveDemoOptions({});
  assert.equal(options.mode, 'graceful');
  assert.equal(options.instances, DEMO_DEFAULTS.instances);
  assert.equal(options.ratePerSecond, DEMO_DEFAULTS.ratePerSecond);
  assert.equal(options.durationSeconds, DEMO_DEFAULTS.durationSeconds);
  assert.equal(options.drainSeconds, DEMO_DEFAULTS.drainSeconds);
  assert.equal(options.strategyLabel, 'CodeDeployDefault.OneAtATime');
  assert.equal(options.outputDir, DEMO_DEFAULTS.outputDir);
  assert.deepEqual(
    { instances: 3, ratePerSecond: 400, durationSeconds: 30, drainSeconds: 30, strategy: 'OneAtATime' },
    { instances: DEMO_DEFAULTS.instances, ratePerSecond: DEMO_DEFAULTS.ratePerSecond, durationSeconds: DEMO_DEFAULTS.durationSeconds, drainSeconds: DEMO_DEFAULTS.drainSeconds, strategy: DEMO_DEFAULTS.strategy },
    'the documented defaults',
  );
});

test('flags as commander passes them (strings) are read', () => {
  const options = resolveDemoOptions({ instances: '5', rate: '250', duration: '12.5', strategy: 'min-healthy=60%', drainSeconds: '10', seed: true, balancer: 'nlb' });
  assert.deepEqual(
    { ...options, strategy: undefined },
    { mode: 'seed', balancer: 'nlb', instances: 5, ratePerSecond: 250, durationSeconds: 12.5, strategy: undefined, strategyLabel: 'min-healthy=60%', drainSeconds: 10, outputDir: 'demo-output', scenario: 'deploy' },
  );
  assert.equal(resolveDemoOptions({ naive: true }).mode, 'naive');
  assert.equal(resolveDemoOptions({ codedeployBuiltin: true }).mode, 'builtin');
  assert.equal(resolveDemoOptions({}).balancer, 'classic');
  assert.equal(resolveDemoOptions({ scenario: 'failed-revision' }).scenario, 'failed-revision');
  assert.equal(resolveDemoOptions({ scenario: 'crash', naive: true }).mode, 'naive');
});

test('--min-healthy takes a count or a percent, as CodeDeploy custom configurations do', () => {
  assert.deepEqual(resolveDemoOptions({ minHealthy: '75%', instances: '4' }).strategy, { kind: 'FleetPercent', value: 75 });
  assert.equal(resolveDemoOptions({ minHealthy: '75%', instances: '4' }).strategyLabel, 'min-healthy=75%');
  assert.deepEqual(resolveDemoOptions({ minHealthy: ' 2 ', instances: '5' }).strategy, { kind: 'HostCount', value: 2 });
  assert.deepEqual(resolveDemoOptions({ minHealthy: 1 }).strategy, { kind: 'HostCount', value: 1 });
});

test('bad flags give coded errors naming the flag and the value', () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ rate: '-5' }, '--rate', /`--rate` to be a whole number from 1 to 5000, got "-5"/],
    [{ rate: 'fast' }, '--rate', /got "fast"/],
    [{ instances: '0' }, '--instances', /`--instances` to be a whole number from 1 to 20, got "0"/],
    [{ instances: '2.5' }, '--instances', /got "2\.5"/],
    [{ duration: '0' }, '--duration', /`--duration`/],
    [{ drainSeconds: '0' }, '--drain-seconds', /`--drain-seconds` to be a whole number from 1 to 3600/],
    [{ strategy: 'Sometimes' }, '--strategy', /`--strategy` to be OneAtATime, HalfAtATime/],
    [{ strategy: 'min-healthy=3', instances: '3' }, '--strategy', /below the 3 instance/],
    [{ naive: true, seed: true }, '--naive', /--naive and --seed/],
    [{ seed: true, codedeployBuiltin: true }, '--seed', /--seed and --codedeploy-builtin/],
    [{ balancer: 'gwlb' }, '--balancer', /`--balancer` to be classic, alb, nlb, got "gwlb"/],
    [{ minHealthy: 'most' }, '--min-healthy', /`--min-healthy` to be a count of healthy instances \(e\.g\. 2\) or a percent of the fleet \(e\.g\. 75%\), got "most"/],
    [{ minHealthy: '-1' }, '--min-healthy', /got "-1"/],
    [{ minHealthy: '100%' }, '--min-healthy', /percent from 0 to 99/],
    [{ minHealthy: '3', instances: '3' }, '--min-healthy', /below the 3 instance/],
    [{ minHealthy: '50%', strategy: 'OneAtATime' }, '--min-healthy', /without --strategy/],
    [{ scenario: 'meteor' }, '--scenario', /`--scenario` to be one of deploy, failed-revision, scale-in, spot, crash/],
    [{ scenario: 'failed-revision', naive: true }, '--naive', /--scenario deploy or crash only/],
  ];
  for (const [flags, flag, message] of cases) {
    assert.throws(
      () => resolveDemoOptions(flags),
      (err: unknown) => err instanceof InvalidOptionError && err.option === flag && err.code === 'ERR_GRACEFUL_ELB_INVALID_OPTION' && message.test(err.message),
      JSON.stringify(flags),
    );
  }
});

const state = (elapsedMs: number, failed = 0): ProgressState => ({
  elapsedMs,
  headline: 'graceful-elb-local demo (graceful, OneAtATime)',
  stage: 'batch 1/3',
  instances: [
    { instanceId: 'i-0demo0000000001', step: 'ApplicationStop', balancer: 'InService', routing: false, servedLastSecond: 12 },
    { instanceId: 'i-0demo0000000002', step: 'waiting', balancer: 'InService', routing: true, servedLastSecond: 190 },
  ],
  sent: 1234,
  ok: 1200,
  failed,
  answeredLastSecond: 399,
});

test('progress lists each instance step, balancer view and rate, and the totals', () => {
  const lines = formatProgress(state(12_300));
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? '', /t=12\.3 s +batch 1\/3/);
  assert.match(lines[1] ?? '', /i-0demo0000000001 +ApplicationStop +balancer: InService \(not routing\) +app: \? +12 req\/s/);
  assert.match(lines[3] ?? '', /1,234 sent, 1,200 2xx, 0 failed +\(399 req\/s\)/);
  assert.match(formatProgressLine(state(5000, 3)), /^\[5\.0 s\] batch 1\/3; 399 req\/s, 1234 sent, 3 failed; 0001:ApplicationStop\/out 0002:waiting\/in$/);
});

test('on a terminal the block is redrawn in place; elsewhere plain lines, throttled', () => {
  // Everything written so far: Node 26's read() returns one buffered chunk at a time, older Nodes all of them.
  const read = (stream: PassThrough): string => {
    let text = '';
    for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) text += chunk.toString();
    return text;
  };
  const tty = new PassThrough();
  const live = new LiveProgress(tty, { tty: true });
  live.update(state(1000));
  live.update(state(1500));
  live.note('i-0demo0000000001 left the balancer');
  live.finish();
  const screen = read(tty);
  assert.ok(screen.includes('\x1b[4A'), 'cursor moved up over the 4-line block');
  assert.ok(screen.includes('\x1b[2K'));
  assert.ok(screen.includes('left the balancer\n'));

  const pipe = new PassThrough();
  const plain = new LiveProgress(pipe, { tty: false, plainEveryMs: 5000 });
  plain.update(state(0));
  plain.update(state(1000));
  plain.note('a note');
  plain.update(state(5200));
  const text = read(pipe);
  assert.doesNotMatch(text, /\x1b\[/, 'no escape codes in a pipe');
  assert.deepEqual(text.trim().split('\n').map((l) => l.slice(0, 7)), ['[0.0 s]', 'a note', '[5.2 s]']);
});
