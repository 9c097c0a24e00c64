import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { InstanceCredentials } from '../src/mock/instanceCredentials.js';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';

// IMDS as on an EC2 instance with an instance profile: the complete identity document, iam/info and temporary
// credentials at iam/security-credentials/<role> that expire and are renewed ahead of expiry, as EC2 does.

let lb: LocalElb;

before(async () => {
  lb = await startLocalElb({ config: {}, logger: false, imds: { instanceId: 'i-0c0ed0000000000001', requireToken: true, roleName: 'web-role' } });
});

after(() => lb.close());

const imds = (): MetadataService => new MetadataService({ endpoint: lb.endpoint, httpOptions: { timeout: 2000 }, retries: 0 });

test('the identity document has every member EC2 writes, nulls included, and a pendingTime of this run', async () => {
  const document = JSON.parse(await imds().request('/latest/dynamic/instance-identity/document', {})) as Record<string, unknown>;
  assert.deepEqual(Object.keys(document).sort(), [
    'accountId', 'architecture', 'availabilityZone', 'billingProducts', 'devpayProductCodes', 'imageId', 'instanceId', 'instanceType',
    'kernelId', 'marketplaceProductCodes', 'pendingTime', 'privateIp', 'ramdiskId', 'region', 'version',
  ]);
  for (const key of ['billingProducts', 'devpayProductCodes', 'marketplaceProductCodes', 'kernelId', 'ramdiskId']) assert.equal(document[key], null, key);
  assert.ok(Date.now() - Date.parse(String(document.pendingTime)) < 600_000, `pendingTime ${String(document.pendingTime)} is this run, not 1970`);
});

test('iam/security-credentials/<role> serves temporary credentials (ASIA key, session token, expiry 6 h ahead), stable until renewal', async () => {
  const client = imds();
  assert.equal(await client.request('/latest/meta-data/iam/security-credentials/', {}), 'web-role');
  const info = JSON.parse(await client.request('/latest/meta-data/iam/info', {})) as Record<string, string>;
  assert.equal(info.Code, 'Success');
  assert.equal(info.InstanceProfileArn, 'arn:aws:iam::123456789012:instance-profile/web-role');
  const read = async (): Promise<Record<string, string>> => JSON.parse(await client.request('/latest/meta-data/iam/security-credentials/web-role', {})) as Record<string, string>;
  const first = await read();
  assert.equal(first.Code, 'Success');
  assert.equal(first.Type, 'AWS-HMAC');
  assert.match(first.AccessKeyId!, /^ASIA[0-9A-F]{16}$/);
  assert.ok(first.SecretAccessKey!.length >= 40 && first.Token!.length >= 100);
  assert.match(first.Expiration!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const lifetimeMs = Date.parse(first.Expiration!) - Date.now();
  assert.ok(lifetimeMs > 5.9 * 3600_000 && lifetimeMs <= 6 * 3600_000, `expires in ${lifetimeMs} ms`);
  assert.deepEqual(await read(), first, 'the same credentials until the renewal window');
  await assert.rejects(client.request('/latest/meta-data/iam/security-credentials/other-role', {}), /404|Not Found/);
});

test('credentials are renewed from 15 minutes before expiry; the old key stays valid until it expires, then reads expired', () => {
  let now = Date.parse('2026-12-02T00:00:00Z');
  const credentials = new InstanceCredentials({ roleName: 'r', ttlSeconds: 21_600, renewBeforeSeconds: 900, now: () => now });
  const first = credentials.for('i-0a');
  assert.equal(first.expiresAt - first.issuedAt, 21_600_000);
  now += 21_600_000 - 900_001;
  assert.equal(credentials.for('i-0a'), first, 'still outside the renewal window');
  assert.notEqual(credentials.for('i-0b').accessKeyId, first.accessKeyId, 'each instance has its own');
  now += 2;
  const second = credentials.for('i-0a');
  assert.notEqual(second.accessKeyId, first.accessKeyId, 'renewed inside the window');
  assert.ok(second.expiresAt > first.expiresAt);
  assert.equal(credentials.expired(first.accessKeyId), false, 'the old key is valid until its own expiry');
  now = first.expiresAt;
  assert.equal(credentials.expired(first.accessKeyId), true);
  assert.equal(credentials.expired(second.accessKeyId), false);
  assert.equal(credentials.expired('AKIANOTISSUEDHERE000'), false, 'keys from elsewhere are not judged');
});

test('a bad role name or credential lifetime is refused naming the option', async () => {
  await assert.rejects(startLocalElb({ config: {}, logger: false, imds: { roleName: 'bad role!' } }), /`imds\.roleName`.*"bad role!"/);
  await assert.rejects(startLocalElb({ config: {}, logger: false, imds: { credentialsTtlSeconds: 60 } }), /`imds\.credentialsTtlSeconds`.*60/);
});
