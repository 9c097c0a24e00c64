import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ENV_OVERRIDES, resolveOptions, type GracefulElbOptions } from '../src/options.js';
import { parseTargetGroupArn } from '../src/balancers/targetGroupArn.js';
import { assertInvalidOption } from './helpers/invalidOption.js';

// Target-group, several-balancer and discovery options: how they combine with each other and with the env.

const server = createServer();
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/0123456789abcdef';
const ARN2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-tg/fedcba9876543210';
const base: GracefulElbOptions = { server, logger: false };

test('targetGroupArn / targetGroups: resolved with the port left to the listening port unless given', () => {
  const r = resolveOptions({ ...base, targetGroupArn: ARN, targetGroups: [{ targetGroupArn: ARN2, port: 8080 }] }, {});
  assert.deepEqual(r.elbNames, []);
  assert.deepEqual(r.targetGroups, [
    { targetGroupArn: ARN, port: undefined },
    { targetGroupArn: ARN2, port: 8080 },
  ]);
  assert.equal(r.discover, false);
});

test('Classic ELBs and target groups together', () => {
  const r = resolveOptions({ ...base, elbName: ['web', 'api'], targetGroupArn: ARN }, {});
  assert.deepEqual(r.elbNames, ['web', 'api']);
  assert.deepEqual(r.targetGroups, [{ targetGroupArn: ARN, port: undefined }]);
});

test('discover, with its state file option and env', () => {
  const r = resolveOptions({ ...base, discover: true, stateFile: '/var/lib/app/membership.json' }, {});
  assert.equal(r.discover, true);
  assert.equal(r.stateFile, '/var/lib/app/membership.json');
  assert.equal(r.stateDir, undefined);
  const e = resolveOptions({ ...base, discover: true }, { GRACEFUL_ELB_STATE_FILE: '/tmp/m.json', GRACEFUL_ELB_STATE_DIR: '/srv/state' });
  assert.equal(e.stateFile, '/tmp/m.json');
  assert.equal(e.stateDir, '/srv/state');
});

test('the balancer env vars replace the balancer options as a whole', () => {
  const code: GracefulElbOptions = { ...base, elbName: 'web', targetGroupArn: ARN };
  const groups = resolveOptions(code, { GRACEFUL_ELB_TARGET_GROUP_ARNS: ` ${ARN2} , ${ARN}` });
  assert.deepEqual(groups.elbNames, [], 'the code’s elbName is replaced too');
  assert.deepEqual(groups.targetGroups.map((g) => g.targetGroupArn), [ARN2, ARN]);
  const discover = resolveOptions(code, { GRACEFUL_ELB_DISCOVER: '1' });
  assert.equal(discover.discover, true);
  assert.deepEqual(discover.elbNames, []);
  assert.deepEqual(discover.targetGroups, []);
  const both = resolveOptions({ ...base, discover: true }, { GRACEFUL_ELB_NAME: 'web', GRACEFUL_ELB_TARGET_GROUP_ARNS: ARN });
  assert.equal(both.discover, false);
  assert.deepEqual(both.elbNames, ['web']);
  // Empty values count as unset (a shell's `export GRACEFUL_ELB_NAME=` to clear it).
  assert.deepEqual(resolveOptions(code, { GRACEFUL_ELB_NAME: '', GRACEFUL_ELB_DISCOVER: ' ' }).elbNames, ['web']);
  assert.equal(ENV_OVERRIDES.targetGroupArn, 'GRACEFUL_ELB_TARGET_GROUP_ARNS');
  assert.equal(ENV_OVERRIDES.discover, 'GRACEFUL_ELB_DISCOVER');
});

test('target group ARNs: what parses and what does not', () => {
  assert.deepEqual(parseTargetGroupArn(ARN), { partition: 'aws', region: 'us-east-1', accountId: '123456789012', name: 'web-tg', id: '0123456789abcdef' });
  assert.equal(parseTargetGroupArn('arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/a/1')?.partition, 'aws-cn');
  for (const bad of [
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/0123456789abcdef',
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-alb/0123456789abcdef/fedcba9876543210',
    'arn:aws:ec2:us-east-1:123456789012:targetgroup/web-tg/0123456789abcdef',
    'web-tg',
    `${ARN} `,
    '',
    42,
  ]) {
    assert.equal(parseTargetGroupArn(bad), undefined, String(bad));
  }
});

const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/0123456789abcdef';

// [description, options, env, option named in the error, value in the error, message fragment]
const BAD: Array<[string, Record<string, unknown>, Record<string, string>, string, unknown, RegExp]> = [
  ['nothing to join', {}, {}, 'elbName', undefined, /targetGroupArn.*targetGroups.*discover/],
  ['a load balancer ARN as targetGroupArn', { targetGroupArn: LB_ARN }, {}, 'targetGroupArn', LB_ARN, /target group ARN/],
  ['a name as targetGroupArn', { targetGroupArn: 'web-tg' }, {}, 'targetGroupArn', 'web-tg', /targetgroup\/NAME\/ID/],
  ['targetGroupArn not a string', { targetGroupArn: 7 }, {}, 'targetGroupArn', 7, /target group ARN/],
  ['a bad ARN in targetGroups', { targetGroups: [{ targetGroupArn: ARN }, { targetGroupArn: LB_ARN }] }, {}, 'targetGroups[1].targetGroupArn', LB_ARN, /target group ARN/],
  ['port 0', { targetGroups: [{ targetGroupArn: ARN, port: 0 }] }, {}, 'targetGroups[0].port', 0, /1 to 65535/],
  ['port 65536', { targetGroups: [{ targetGroupArn: ARN, port: 65536 }] }, {}, 'targetGroups[0].port', 65536, /1 to 65535/],
  ['port fractional', { targetGroups: [{ targetGroupArn: ARN, port: 80.5 }] }, {}, 'targetGroups[0].port', 80.5, /1 to 65535/],
  ['port as a string', { targetGroups: [{ targetGroupArn: ARN, port: '80' }] }, {}, 'targetGroups[0].port', '80', /1 to 65535/],
  ['targetGroups not an array', { targetGroups: ARN }, {}, 'targetGroups', ARN, /array/],
  ['a targetGroups entry not an object', { targetGroups: [ARN] }, {}, 'targetGroups[0]', ARN, /object/],
  ['an unknown key in a targetGroups entry', { targetGroups: [{ targetGroupArn: ARN, Port: 80 }] }, {}, 'targetGroups[0].Port', 80, /known: targetGroupArn, port/],
  ['the same group and port twice', { targetGroupArn: ARN, targetGroups: [{ targetGroupArn: ARN }] }, {}, 'targetGroups', [`${ARN} server port`, `${ARN} server port`], /duplicates/],
  ['elbName with discover', { elbName: 'web', discover: true }, {}, 'discover', true, /`elbName` is set/],
  ['targetGroupArn with discover', { targetGroupArn: ARN, discover: true }, {}, 'discover', true, /`targetGroupArn` is set/],
  ['targetGroups with discover', { targetGroups: [{ targetGroupArn: ARN }], discover: true }, {}, 'discover', true, /`targetGroups` is set/],
  ['discover not a boolean', { discover: 'yes' }, {}, 'discover', 'yes', /boolean/],
  ['stateFile empty', { discover: true, stateFile: ' ' }, {}, 'stateFile', ' ', /file path/],
  ['elbv2Client without send', { targetGroupArn: ARN, elbv2Client: {} }, {}, 'elbv2Client', {}, /ElasticLoadBalancingV2Client/],
  ['env: GRACEFUL_ELB_NAME with GRACEFUL_ELB_DISCOVER', {}, { GRACEFUL_ELB_NAME: 'web', GRACEFUL_ELB_DISCOVER: 'true' }, 'GRACEFUL_ELB_DISCOVER', true, /`GRACEFUL_ELB_NAME` is set/],
  ['env: ARNs with GRACEFUL_ELB_DISCOVER', {}, { GRACEFUL_ELB_TARGET_GROUP_ARNS: ARN, GRACEFUL_ELB_DISCOVER: '1' }, 'GRACEFUL_ELB_DISCOVER', true, /GRACEFUL_ELB_TARGET_GROUP_ARNS/],
  ['env: a listener ARN', {}, { GRACEFUL_ELB_TARGET_GROUP_ARNS: `${ARN},${LB_ARN}` }, 'GRACEFUL_ELB_TARGET_GROUP_ARNS', LB_ARN, /target group ARN/],
  ['env: an empty item in the ARN list', {}, { GRACEFUL_ELB_TARGET_GROUP_ARNS: `${ARN},` }, 'GRACEFUL_ELB_TARGET_GROUP_ARNS', '', /target group ARN/],
  ['env: GRACEFUL_ELB_DISCOVER=yes', {}, { GRACEFUL_ELB_DISCOVER: 'yes' }, 'GRACEFUL_ELB_DISCOVER', 'yes', /1, true, 0 or false/],
  ['env: GRACEFUL_ELB_DISCOVER=0 alone joins nothing', { elbName: 'web' }, { GRACEFUL_ELB_DISCOVER: '0' }, 'GRACEFUL_ELB_NAME', undefined, /Classic ELB name/],
];

for (const [description, options, env, option, value, message] of BAD) {
  test(`bad input: ${description} → InvalidOptionError naming ${option}`, () => {
    assertInvalidOption(() => resolveOptions({ ...base, ...options } as unknown as GracefulElbOptions, env), option, value, message);
  });
}
