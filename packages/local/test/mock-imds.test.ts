import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { rawCall } from './mock-helpers.js';

// Instance metadata as the real @aws-sdk/ec2-metadata-service client and raw requests see it.

let open: LocalElb; // IMDSv1 allowed
let strict: LocalElb; // IMDSv2 only

before(async () => {
  open = await startLocalElb({ config: {}, logger: false, imds: { instanceId: 'i-0abc0000000000001', region: 'eu-west-1' } });
  strict = await startLocalElb({ config: {}, logger: false, imds: { instanceId: 'i-0abc0000000000002', requireToken: true } });
});

after(async () => {
  await open.close();
  await strict.close();
});

function sdk(endpoint: string, options: { disableFetchToken?: boolean } = {}): MetadataService {
  return new MetadataService({ endpoint, httpOptions: { timeout: 2000 }, retries: 0, ...options });
}

test('the SDK MetadataService (token flow, GET //latest/...) reads instance-id, region and the identity document', async () => {
  const imds = sdk(strict.endpoint);
  assert.equal(await imds.request('/latest/meta-data/instance-id', {}), 'i-0abc0000000000002');
  assert.equal(await imds.request('/latest/meta-data/placement/region', {}), 'us-east-1');
  const document = JSON.parse(await imds.request('/latest/dynamic/instance-identity/document', {})) as Record<string, string>;
  assert.equal(document.instanceId, 'i-0abc0000000000002');
  assert.equal(document.region, 'us-east-1');
  assert.equal(document.availabilityZone, 'us-east-1a');
  assert.equal(document.accountId, '123456789012');
});

test('IMDSv1 works when allowed, and the region follows the imds option', async () => {
  const imds = sdk(open.endpoint, { disableFetchToken: true });
  assert.equal(await imds.request('/latest/meta-data/instance-id', {}), 'i-0abc0000000000001');
  assert.equal(await imds.request('/latest/meta-data/placement/region', {}), 'eu-west-1');
});

test('IMDSv2 only: no token or a bad token is 401; a good token works', async () => {
  assert.equal((await fetch(`${strict.endpoint}/latest/meta-data/instance-id`)).status, 401);
  assert.equal((await fetch(`${strict.endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': 'forged' } })).status, 401);
  const tokenRes = await fetch(`${strict.endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
  assert.equal(tokenRes.status, 200);
  assert.equal(tokenRes.headers.get('x-aws-ec2-metadata-token-ttl-seconds'), '60');
  const token = await tokenRes.text();
  const res = await fetch(`${strict.endpoint}//latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'i-0abc0000000000002');
});

test('token TTL: missing, zero, too large or not a number is 400; the SDK surfaces it', async () => {
  for (const ttl of [undefined, '0', '21601', 'abc', '-5']) {
    const headers: Record<string, string> = ttl === undefined ? {} : { 'x-aws-ec2-metadata-token-ttl-seconds': ttl };
    const res = await fetch(`${strict.endpoint}/latest/api/token`, { method: 'PUT', headers });
    assert.equal(res.status, 400, `ttl ${String(ttl)}`);
  }
  assert.equal((await fetch(`${strict.endpoint}/latest/api/token`)).status, 405, 'the token is only issued on PUT');
});

test('an expired token is refused', async () => {
  const token = await (await fetch(`${strict.endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '1' } })).text();
  const ok = await fetch(`${strict.endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } });
  assert.equal(ok.status, 200);
  await new Promise((r) => setTimeout(r, 1100)); // the TTL itself is what is under test
  const expired = await fetch(`${strict.endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } });
  assert.equal(expired.status, 401);
});

test('per-instance endpoints: /_local/imds/<id> gives each local process its own instance id', async () => {
  const imds = sdk(`${open.endpoint}/_local/imds/i-0abc000000000000f`);
  assert.equal(await imds.request('/latest/meta-data/instance-id', {}), 'i-0abc000000000000f');
  const doc = JSON.parse(await imds.request('/latest/dynamic/instance-identity/document', {})) as { instanceId: string };
  assert.equal(doc.instanceId, 'i-0abc000000000000f');
});

test('unknown metadata paths are 404, listings list, and the control plane still answers on the same port', async () => {
  assert.equal((await fetch(`${open.endpoint}/latest/meta-data/no-such-thing`)).status, 404);
  assert.match(await (await fetch(`${open.endpoint}/latest/meta-data/`)).text(), /^ami-id\n(.+\n)*instance-id\n/);
  const api = await rawCall(open.endpoint, 'Action=DescribeLoadBalancers&Version=2012-06-01');
  assert.equal(api.status, 200);
});
