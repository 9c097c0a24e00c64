// The model check (fixtures/model_check.py): every implemented operation called through botocore against a local
// ELB, each answer checked against botocore's service models, each error against the codes and statuses they
// document. Needs python3 with botocore (boto3 or the AWS CLI v1 bring it; GRACEFUL_ELB_PYTHON picks another
// interpreter); without it the test says so and skips, as the moto and CLI tests do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { classicActions } from '../src/mock/classicApi.js';
import { startLocalElb } from '../src/mock/localElb.js';
import type { LocalElbStore } from '../src/mock/store.js';
import { classicTagActions, v2TagActions } from '../src/mock/tagsApi.js';
import { v2Actions } from '../src/mock/v2Api.js';
import { v2ListenerActions } from '../src/mock/v2ListenerApi.js';

const script = fileURLToPath(new URL('./fixtures/model_check.py', import.meta.url));
const python = process.env.GRACEFUL_ELB_PYTHON ?? 'python3';
const probe = spawnSync(python, ['-c', 'import botocore'], { encoding: 'utf8' });
const missing = probe.status === 0 ? '' : `${python} with botocore is not available (${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)})`;

/** The operation names each API answers (the action tables only close over the store; none is called here). */
function implemented(): { elb: string[]; elbv2: string[] } {
  const store = {} as LocalElbStore;
  return {
    elb: Object.keys({ ...classicActions(store), ...classicTagActions(store) }).sort(),
    elbv2: Object.keys({ ...v2Actions(store), ...v2ListenerActions(store), ...v2TagActions(store) }).sort(),
  };
}

test('every implemented operation answers as botocore\'s models say: 0 differences', { timeout: 120_000 }, async (t) => {
  if (missing) return t.skip(missing);
  const lb = await startLocalElb({ config: {}, listenerPorts: 'ephemeral', logger: false, provisioningMs: 0 });
  t.after(() => lb.close());
  const ops = implemented();
  assert.ok(ops.elb.length >= 20 && ops.elbv2.length >= 31, `implemented: ${JSON.stringify(ops)}`);
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    const child = execFile(python, [script, lb.endpoint, JSON.stringify(ops)], { timeout: 110_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) =>
      resolve({ stdout: out, stderr: errOut, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
    child.stdin?.end();
  });
  let report: { calls: number; errorsChecked: number; covered: { elb: string[]; elbv2: string[] }; differences: string[] };
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    assert.fail(`model_check.py did not report (exit ${code}): ${stderr.slice(-2000)}`);
  }
  assert.deepEqual(report.differences, []);
  assert.deepEqual(report.covered, ops, 'every implemented operation was answered and checked');
  assert.ok(report.errorsChecked >= 80, `errors checked: ${report.errorsChecked}`);
  assert.equal(code, 0, stderr);
});
