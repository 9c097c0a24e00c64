import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { InvalidOptionError } from '../src/errors.js';
import { BALANCER_ENV } from '../src/balancerOptions.js';
import { MAX_TIMER_MS } from '../src/maxTimer.js';
import { DEFAULTS, ENV_OVERRIDES, resolveOptions, type GracefulElbOptions, type ResolvedOptions } from '../src/options.js';
import { defaultStopTimeoutSeconds } from '../src/supervisor/stopTimeout.js';
import { assertInvalidOption } from './helpers/invalidOption.js';

const server = createServer();
const base: GracefulElbOptions = { server, elbName: 'web', logger: false };

test('every default is applied, and equals the one written in DEFAULTS', () => {
  const r = resolveOptions(base, {});
  // One assertion per default, each against the single DEFAULTS object (no second copy of the values here).
  const expected: Record<keyof typeof DEFAULTS, unknown> = {
    drainSeconds: r.drainSeconds,
    healthPath: r.healthPath,
    quietMs: r.quietMs,
    graceMs: r.graceMs,
    signals: r.signals,
    probeIntervalMs: r.probeIntervalMs,
    probeTimeoutMs: r.probeTimeoutMs,
    probeRequestTimeoutMs: r.probeRequestTimeoutMs,
    inServiceTimeoutMs: r.inServiceTimeoutMs,
    pollIntervalMs: r.pollIntervalMs,
    imdsTimeoutMs: r.imdsTimeoutMs,
    apiTimeoutMs: r.apiTimeoutMs,
    retryMaxAttempts: r.retryMaxAttempts,
    retryBaseMs: r.retryBaseMs,
    retryMaxDelayMs: r.retryMaxDelayMs,
    adjustKeepAlive: r.adjustKeepAlive,
    exitOnStartupFailure: r.exitOnStartupFailure,
    handleCrashes: r.handleCrashes,
    crashDrainSeconds: r.crashDrainSeconds,
  };
  for (const [name, value] of Object.entries(expected)) assert.deepEqual(value, DEFAULTS[name as keyof typeof DEFAULTS], name);
  assert.deepEqual(r.elbNames, ['web']);
  assert.equal(r.instanceId, undefined);
  assert.equal(r.client, undefined);
  // The documented values (README's Options table is written from these).
  assert.equal(DEFAULTS.drainSeconds, 30);
  assert.equal(DEFAULTS.healthPath, '/ping');
  assert.ok(DEFAULTS.probeIntervalMs <= 250, 'the issue requires probing at least every 250 ms');
  assert.ok(DEFAULTS.quietMs <= DEFAULTS.drainSeconds * 1000, 'the default quiet window fits inside the default drain');
});

test('env overrides win over the options and are read at call time', () => {
  const r = resolveOptions(
    { ...base, drainSeconds: 10, healthPath: '/health', instanceId: 'i-fromoption' },
    { GRACEFUL_ELB_NAME: 'a, b', GRACEFUL_ELB_DRAIN_SECONDS: '12.5', GRACEFUL_ELB_HEALTH_PATH: '/ping2', GRACEFUL_ELB_INSTANCE_ID: 'i-fromenv' },
  );
  assert.deepEqual(r.elbNames, ['a', 'b']);
  assert.equal(r.drainSeconds, 12.5);
  assert.equal(r.healthPath, '/ping2');
  assert.equal(r.instanceId, 'i-fromenv');
});

test('options are not mutated, and values given are kept', () => {
  const input = { ...base, drainSeconds: 5, quietMs: 200, signals: ['SIGUSR2'] as NodeJS.Signals[] };
  const copy = structuredClone({ ...input, server: undefined, logger: undefined });
  const r = resolveOptions(input, {});
  assert.deepEqual({ ...input, server: undefined, logger: undefined }, copy);
  assert.equal(r.quietMs, 200);
  assert.deepEqual(r.signals, ['SIGUSR2']);
  assert.notEqual(r.signals, input.signals);
});

test('the default quiet window is clamped to a shorter drain; a given one that does not fit is an error', () => {
  assert.equal(resolveOptions({ ...base, drainSeconds: 0.5 }, {}).quietMs, 500);
  assert.equal(resolveOptions({ ...base, drainSeconds: 0 }, {}).quietMs, 0);
  assert.throws(() => resolveOptions({ ...base, drainSeconds: 1, quietMs: 1500 }, {}), (e: unknown) => e instanceof InvalidOptionError && e.option === 'quietMs');
});

test('crashDrainSeconds is capped by a shorter drainSeconds', () => {
  assert.equal(resolveOptions({ ...base, drainSeconds: 2 }, {}).crashDrainSeconds, 2);
  assert.equal(resolveOptions({ ...base, drainSeconds: 60, crashDrainSeconds: 3 }, {}).crashDrainSeconds, 3);
});

test('a node:http2 server is refused with a message that says why and what to use instead', async () => {
  const { createServer: createHttp2Server, createSecureServer } = await import('node:http2');
  for (const http2Server of [createHttp2Server(), createSecureServer({ allowHTTP1: true })]) {
    assert.throws(
      () => resolveOptions({ ...base, server: http2Server as never }, {}),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'server' && /node:http2 servers are not supported.*HTTP\/1\.1/.test(e.message),
    );
  }
});

test('a logger is used as given; false silences', () => {
  const logger = pino({ enabled: false });
  assert.equal(resolveOptions({ ...base, logger }, {}).logger, logger);
  assert.equal(resolveOptions({ ...base, logger: false }, {}).logger.isLevelEnabled('error'), false);
});

// [description, options, env, option named in the error, value in the error]
const BAD: Array<[string, Record<string, unknown>, Record<string, string>, string, unknown]> = [
  ['no server', { server: undefined }, {}, 'server', undefined],
  ['a non-server', { server: {} }, {}, 'server', {}],
  ['missing elbName', { elbName: undefined }, {}, 'elbName', undefined],
  ['empty elbName', { elbName: '' }, {}, 'elbName', ''],
  ['elbName with a space', { elbName: 'my elb' }, {}, 'elbName', 'my elb'],
  ['elbName too long', { elbName: 'a'.repeat(33) }, {}, 'elbName', 'a'.repeat(33)],
  ['duplicate elbNames', { elbName: ['a', 'a'] }, {}, 'elbName', ['a', 'a']],
  ['bad env name', {}, { GRACEFUL_ELB_NAME: '-web' }, 'GRACEFUL_ELB_NAME', '-web'],
  ['negative drainSeconds', { drainSeconds: -1 }, {}, 'drainSeconds', -1],
  ['drainSeconds over 3600', { drainSeconds: 3601 }, {}, 'drainSeconds', 3601],
  ['NaN drainSeconds', { drainSeconds: Number.NaN }, {}, 'drainSeconds', Number.NaN],
  ['string drainSeconds', { drainSeconds: '30' }, {}, 'drainSeconds', '30'],
  ['env drainSeconds not a number', {}, { GRACEFUL_ELB_DRAIN_SECONDS: 'thirty' }, 'GRACEFUL_ELB_DRAIN_SECONDS', 'thirty'],
  ['env drainSeconds out of range', {}, { GRACEFUL_ELB_DRAIN_SECONDS: '4000' }, 'GRACEFUL_ELB_DRAIN_SECONDS', 4000],
  ['healthPath without slash', { healthPath: 'ping' }, {}, 'healthPath', 'ping'],
  ['env healthPath without slash', {}, { GRACEFUL_ELB_HEALTH_PATH: 'ping' }, 'GRACEFUL_ELB_HEALTH_PATH', 'ping'],
  ['instanceId with space', { instanceId: 'i- 1' }, {}, 'instanceId', 'i- 1'],
  ['bad region', { region: 'US East' }, {}, 'region', 'US East'],
  ['negative graceMs', { graceMs: -5 }, {}, 'graceMs', -5],
  // Node clamps a longer timer to 1 ms: "very long" would mean "now".
  ['graceMs past the timer max (3e9)', { graceMs: 3e9 }, {}, 'graceMs', 3e9],
  ['drainSeconds × 1000 + graceMs past the timer max', { drainSeconds: 3600, graceMs: MAX_TIMER_MS - 3_600_000 + 1 }, {}, 'graceMs', MAX_TIMER_MS - 3_600_000 + 1],
  ...(['probeIntervalMs', 'probeTimeoutMs', 'probeRequestTimeoutMs', 'inServiceTimeoutMs', 'pollIntervalMs', 'imdsTimeoutMs', 'apiTimeoutMs', 'retryBaseMs', 'retryMaxDelayMs'] as const).map(
    (name): [string, Record<string, unknown>, Record<string, string>, string, unknown] => [
      `${name} past the timer max`,
      // probeIntervalMs must also fit inside probeTimeoutMs: give that its largest value.
      { [name]: MAX_TIMER_MS + 1, ...(name === 'probeIntervalMs' && { probeTimeoutMs: MAX_TIMER_MS }) },
      {},
      name,
      MAX_TIMER_MS + 1,
    ],
  ),
  ['quietMs past the timer max', { drainSeconds: 3600, quietMs: MAX_TIMER_MS + 1 }, {}, 'quietMs', MAX_TIMER_MS + 1],
  ['infinite probeTimeoutMs', { probeTimeoutMs: Infinity }, {}, 'probeTimeoutMs', Infinity],
  ['zero probeIntervalMs', { probeIntervalMs: 0 }, {}, 'probeIntervalMs', 0],
  ['probe interval over its timeout', { probeIntervalMs: 2000, probeTimeoutMs: 1000 }, {}, 'probeIntervalMs', 2000],
  ['negative inServiceTimeoutMs', { inServiceTimeoutMs: -1 }, {}, 'inServiceTimeoutMs', -1],
  ['zero pollIntervalMs', { pollIntervalMs: 0 }, {}, 'pollIntervalMs', 0],
  ['zero imdsTimeoutMs', { imdsTimeoutMs: 0 }, {}, 'imdsTimeoutMs', 0],
  ['zero apiTimeoutMs', { apiTimeoutMs: 0 }, {}, 'apiTimeoutMs', 0],
  ['negative quietMs', { quietMs: -1 }, {}, 'quietMs', -1],
  ['fractional retryMaxAttempts', { retryMaxAttempts: 1.5 }, {}, 'retryMaxAttempts', 1.5],
  ['zero retryMaxAttempts', { retryMaxAttempts: 0 }, {}, 'retryMaxAttempts', 0],
  ['negative retryBaseMs', { retryBaseMs: -1 }, {}, 'retryBaseMs', -1],
  ['NaN retryMaxDelayMs', { retryMaxDelayMs: Number.NaN }, {}, 'retryMaxDelayMs', Number.NaN],
  ['signals not an array', { signals: 'SIGTERM' }, {}, 'signals', 'SIGTERM'],
  ['unknown signal', { signals: ['SIGFOO'] }, {}, 'signals', 'SIGFOO'],
  ['uncatchable signal', { signals: ['SIGKILL'] }, {}, 'signals', 'SIGKILL'],
  ['adjustKeepAlive not boolean', { adjustKeepAlive: 'yes' }, {}, 'adjustKeepAlive', 'yes'],
  ['exitOnStartupFailure not boolean', { exitOnStartupFailure: 1 }, {}, 'exitOnStartupFailure', 1],
  ['handleCrashes not boolean', { handleCrashes: 'yes' }, {}, 'handleCrashes', 'yes'],
  ['negative crashDrainSeconds', { crashDrainSeconds: -1 }, {}, 'crashDrainSeconds', -1],
  ['crashDrainSeconds over 3600', { crashDrainSeconds: 3601 }, {}, 'crashDrainSeconds', 3601],
  ['logger not a logger', { logger: console.log }, {}, 'logger', console.log],
  ['client without send', { client: {} }, {}, 'client', {}],
  ['exit not a function', { exit: 0 }, {}, 'exit', 0],
  ['unknown option (typo)', { drainSecond: 30 }, {}, 'drainSecond', 30],
];

for (const [description, options, env, option, value] of BAD) {
  test(`bad input: ${description} → InvalidOptionError naming ${option}`, () => {
    assertInvalidOption(() => resolveOptions({ ...base, ...options } as unknown as GracefulElbOptions, env), option, value);
  });
}

test('every duration accepts the timer max itself, and the message names the bound', () => {
  const r = resolveOptions({ ...base, drainSeconds: 0, graceMs: MAX_TIMER_MS, inServiceTimeoutMs: MAX_TIMER_MS, apiTimeoutMs: MAX_TIMER_MS }, {});
  assert.equal(r.graceMs, MAX_TIMER_MS);
  assertInvalidOption(() => resolveOptions({ ...base, apiTimeoutMs: MAX_TIMER_MS + 1 }, {}), 'apiTimeoutMs', MAX_TIMER_MS + 1, /at most 2147483647 \(Node's longest timer\)/);
});

// One rule for every GRACEFUL_ELB_* var: empty or blank means unset. The list is read from the code, so a var added
// later is covered too.
const EVERY_ENV_VAR = [...new Set<string>([...Object.values(ENV_OVERRIDES), ...Object.values(BALANCER_ENV)])];
const comparable = (r: ResolvedOptions) => {
  const { logger: _logger, exit: _exit, ...rest } = r;
  return rest;
};
for (const blank of ['', '  ']) {
  test(`empty env values count as unset (${JSON.stringify(blank)}): ${EVERY_ENV_VAR.join(', ')}`, () => {
    assert.ok(EVERY_ENV_VAR.length >= 8, EVERY_ENV_VAR.join());
    const expected = comparable(resolveOptions({ ...base, drainSeconds: 12, healthPath: '/health', instanceId: 'i-fromoption', stateFile: '/var/x.json' }, {}));
    for (const name of EVERY_ENV_VAR) {
      const actual = comparable(resolveOptions({ ...base, drainSeconds: 12, healthPath: '/health', instanceId: 'i-fromoption', stateFile: '/var/x.json' }, { [name]: blank }));
      assert.deepEqual(actual, expected, name);
    }
    // The supervisor's stop bound reads GRACEFUL_ELB_DRAIN_SECONDS by the same rule.
    assert.equal(defaultStopTimeoutSeconds({ GRACEFUL_ELB_DRAIN_SECONDS: blank }), defaultStopTimeoutSeconds({}));
  });
}
