// What we publish: `npm pack`, unpack as a consumer's dependency, import from ESM, require from CJS, compile a
// TypeScript consumer against the shipped declarations. Offline: the package's declared dependencies are linked from
// this checkout's node_modules (which also proves dist/ needs nothing that package.json does not declare).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };

test('packed tarball: ESM import, CJS require, and a TypeScript consumer compile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-elb-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' })) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const files = packed[0]!.files.map((f) => f.path);
  for (const expected of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js', 'examples/app.mjs', 'README.md', 'package.json']) {
    assert.ok(files.includes(expected), `tarball contains ${expected}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests in the tarball');

  const consumer = join(dir, 'consumer');
  const installed = join(consumer, 'node_modules', pkg.name);
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', installed, '--strip-components=1']);
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    const link = join(consumer, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), link, 'dir');
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));

  const run = (args: string[]): string => {
    const r = spawnSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const esm = run([
    '--input-type=module',
    '-e',
    "import { gracefulElb, DEFAULTS, InvalidOptionError, EXIT_CODES } from 'graceful-elb'; console.log(typeof gracefulElb, DEFAULTS.drainSeconds, typeof InvalidOptionError, EXIT_CODES.ok)",
  ]);
  assert.equal(esm, 'function 30 function 0');
  const cjs = run([
    '-e',
    "const { gracefulElb, InvalidOptionError } = require('graceful-elb'); try { gracefulElb({}) } catch (e) { console.log(e instanceof InvalidOptionError, e.code) }",
  ]);
  assert.equal(cjs, 'true ERR_GRACEFUL_ELB_INVALID_OPTION');

  writeFileSync(
    join(consumer, 'consumer.ts'),
    [
      "import { createServer } from 'node:http';",
      "import { gracefulElb, type GracefulElbOptions, type ReadyInfo, type LifecycleState } from 'graceful-elb';",
      "const options: GracefulElbOptions = { server: createServer(), elbName: 'web', drainSeconds: 30, healthPath: '/ping', logger: false };",
      'const elb = gracefulElb(options);',
      "const state: LifecycleState = elb.state;",
      "elb.on('state', (next: LifecycleState, previous: LifecycleState) => void [next, previous]);",
      'const ready: Promise<ReadyInfo> = elb.ready;',
      'void [state, ready];',
      '// @ts-expect-error drainSeconds is a number',
      "gracefulElb({ server: createServer(), elbName: 'web', drainSeconds: '30' });",
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['consumer.ts'] }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  assert.ok(readdirSync(consumer).includes('consumer.ts'));
});
