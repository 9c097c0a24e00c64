import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, SIGV4_FORM_AUTHORIZATION } from './mock-helpers.js';

// The control port refuses what a web page in the developer's browser could send: a cross-site form POST, a
// DNS-rebound Host, a Query API call without an AWS Signature V4 Authorization header. Real SDK clients still work.

let lb: LocalElb;
let port: number;

before(async () => {
  lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false, apiHostNames: ['local-elb.internal'] });
  port = Number(new URL(lb.endpoint).port);
});

after(async () => {
  await lb.close();
});

/** A raw request with full control of the headers (fetch may not set Host). */
function send(options: { method?: string; path?: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const FORM = 'application/x-www-form-urlencoded';
const deleteWeb = 'Action=DeleteLoadBalancer&Version=2012-06-01&LoadBalancerName=web';

async function webStillExists(): Promise<void> {
  const { classic } = clientsFor(lb);
  const out = await classic.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['web'] }));
  assert.equal(out.LoadBalancerDescriptions?.[0]?.LoadBalancerName, 'web', 'the balancer survived');
  classic.destroy();
}

test('a cross-site form POST (what any web page can send to 127.0.0.1) is refused and changes nothing', async () => {
  const res = await send({
    headers: { host: `127.0.0.1:${port}`, 'content-type': FORM, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
    body: deleteWeb,
  });
  assert.equal(res.status, 403);
  assert.match(res.text, /<Code>AccessDenied<\/Code>/);
  await webStillExists();

  // Either browser header alone is enough, even with a SigV4-looking Authorization a page could not send anyway.
  const originOnly = await send({ headers: { host: `127.0.0.1:${port}`, 'content-type': FORM, origin: 'http://evil.example', authorization: SIGV4_FORM_AUTHORIZATION }, body: deleteWeb });
  assert.equal(originOnly.status, 403);
  const nullOrigin = await send({ headers: { host: `127.0.0.1:${port}`, 'content-type': FORM, origin: 'null', authorization: SIGV4_FORM_AUTHORIZATION }, body: deleteWeb });
  assert.equal(nullOrigin.status, 403, 'Origin: null (sandboxed frame, file: page) is refused');
  const siteOnly = await send({ headers: { host: `127.0.0.1:${port}`, 'content-type': FORM, 'sec-fetch-site': 'same-site', authorization: SIGV4_FORM_AUTHORIZATION }, body: deleteWeb });
  assert.equal(siteOnly.status, 403);
  await webStillExists();
});

test('a cross-site POST to the fault switch and a cross-site metadata read are refused too', async () => {
  const faults = await send({ path: '/_local/faults', headers: { host: `127.0.0.1:${port}`, 'content-type': 'text/plain', origin: 'https://evil.example' }, body: '{"throttle":1}' });
  assert.equal(faults.status, 403);
  assert.equal(lb.status().faults.throttle, null, 'no fault was switched on');
  const imds = await send({ method: 'GET', path: '/latest/meta-data/instance-id', headers: { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' } });
  assert.equal(imds.status, 403);
});

test('a DNS-rebound Host is refused on every path, with a message naming the accepted addresses', async () => {
  const api = await send({ headers: { host: `evil.example:${port}`, 'content-type': FORM, authorization: SIGV4_FORM_AUTHORIZATION }, body: deleteWeb });
  assert.equal(api.status, 403);
  assert.match(api.text, /Host &quot;evil\.example:\d+&quot; is not an address of this local ELB|Host "evil\.example:\d+" is not an address of this local ELB/);
  await webStillExists();
  const status = await send({ method: 'GET', path: '/_local/status', headers: { host: 'evil.example' } });
  assert.equal(status.status, 403);
  const wrongPort = await send({ method: 'GET', path: '/_local/status', headers: { host: '127.0.0.1:1' } });
  assert.equal(wrongPort.status, 403, 'the right address on another port is not this local ELB');
});

test('the bound address, localhost and a configured name are accepted', async () => {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `local-elb.internal:${port}`, `LOCALHOST:${port}`]) {
    const res = await send({ method: 'GET', path: '/_local/status', headers: { host } });
    assert.equal(res.status, 200, host);
  }
  const sameOrigin = await send({ method: 'GET', path: '/_local/status', headers: { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' } });
  assert.equal(sameOrigin.status, 200, "a page of the local ELB's own origin may read its status");
});

test('a Query API call needs an Authorization header of the SigV4 form (not verified)', async () => {
  const headers = { host: `127.0.0.1:${port}`, 'content-type': FORM };
  const missing = await send({ headers, body: 'Action=DescribeLoadBalancers&Version=2012-06-01' });
  assert.equal(missing.status, 403);
  assert.match(missing.text, /<Code>MissingAuthenticationToken<\/Code>/);
  const basic = await send({ headers: { ...headers, authorization: 'Basic dXNlcjpwYXNz' }, body: 'Action=DescribeLoadBalancers&Version=2012-06-01' });
  assert.equal(basic.status, 400);
  assert.match(basic.text, /<Code>IncompleteSignature<\/Code>/);
  const signed = await send({ headers: { ...headers, authorization: SIGV4_FORM_AUTHORIZATION }, body: 'Action=DescribeLoadBalancers&Version=2012-06-01' });
  assert.equal(signed.status, 200, 'any signature of the right form passes: the local ELB has no secret to check it with');
  // IMDS and the status page are not the Query API: no signature there (the SDKs send none to IMDS either).
  const imds = await send({ method: 'GET', path: '/latest/meta-data/instance-id', headers: { host: `127.0.0.1:${port}` } });
  assert.equal(imds.status, 200);
});

test('the AWS SDK v3 clients still work unchanged (they sign every call)', async () => {
  const { classic, v2 } = clientsFor(lb);
  const balancers = await classic.send(new DescribeLoadBalancersCommand({}));
  assert.ok(balancers.LoadBalancerDescriptions?.some((d) => d.LoadBalancerName === 'web'));
  const groups = await v2.send(new DescribeTargetGroupsCommand({ Names: ['web-tg'] }));
  assert.equal(groups.TargetGroups?.[0]?.TargetGroupName, 'web-tg');
  classic.destroy();
  v2.destroy();
});

test('apiHostNames is checked: a bad entry names the option', async () => {
  await assert.rejects(startLocalElb({ logger: false, apiHostNames: ['evil example'] }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_GRACEFUL_ELB_MOCK_CONFIG');
    assert.match(err.message, /apiHostNames/);
    return true;
  });
});
