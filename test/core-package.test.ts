// What we publish: `npm pack`, unpack as a consumer's dependency, import from ESM, require from CJS, compile a
// TypeScript consumer against the shipped declarations. Offline: the package's declared dependencies are linked from
// this checkout's node_modules (which also proves dist/ needs nothing that package.json does not declare).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  // The bin is split into chunks that each command imports on demand: they must ship, and resolve once installed.
  assert.ok(files.some((f) => f.startsWith('dist/cli-chunks/')), 'the CLI chunks are in the tarball');
  const bin = join(consumer, 'node_modules', pkg.name, 'dist', 'cli.js');
  assert.match(run([bin, '--version']), /^\d+\.\d+\.\d+/);
  assert.match(run([bin, 'stop', '--state-dir', join(dir, 'state')]), /nothing running/);

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

/** The local ELB's and the demo's dependencies: a service that depends on graceful-elb must not install them. */
const LOCAL_ONLY = ['autocannon', 'http-proxy-3', 'yaml', 'fast-xml-parser', '@graceful-elb/local'];

interface Installed {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/**
 * What `npm install --omit=dev graceful-elb` puts in an app, found offline: Node's resolution (nearest node_modules
 * first) from each package's `dependencies` and `optionalDependencies` over this checkout's installed tree, which npm
 * resolved from the same ranges (and the same `overrides` a user is told to add).
 */
function productionClosure(dependencies: Record<string, string>): Installed[] {
  const found = new Map<string, Installed>();
  const visit = (name: string, fromDir: string): void => {
    let dir = fromDir;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        if (found.has(candidate)) return;
        const manifest = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as {
          version: string;
          dependencies?: Record<string, string>;
          optionalDependencies?: Record<string, string>;
        };
        found.set(candidate, { name, version: manifest.version, dir: candidate });
        for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) visit(dep, candidate);
        return;
      }
      if (dir === root || dirname(dir) === dir) {
        // An optional dependency for another platform (fsevents) is legitimately absent.
        return;
      }
      dir = dirname(dir);
    }
  };
  for (const name of Object.keys(dependencies)) visit(name, root);
  return [...found.values()];
}

test('a production install of the packed package holds none of the local ELB, demo or bench dependencies', (t) => {
  for (const name of LOCAL_ONLY) assert.ok(!(name in pkg.dependencies), `graceful-elb does not depend on ${name}`);
  const closure = productionClosure(pkg.dependencies);
  assert.ok(closure.some((p) => p.name === 'forever-monitor'), 'the closure walk found the supervisor dependency');
  const names = new Set(closure.map((p) => p.name));
  for (const name of LOCAL_ONLY) assert.ok(!names.has(name), `${name} is installed with graceful-elb`);
  // GHSA-grv7-fg5c-xmjg: braces < 3.0.3, via forever-monitor's chokidar 2, gone with the documented override.
  const braces = closure.filter((p) => p.name === 'braces' && Number(p.version.split('.')[0]) < 3);
  assert.deepEqual(braces.map((p) => `${p.name}@${p.version}`), []);
  t.diagnostic(`${closure.length} packages in a production install`);
  assert.ok(closure.length < 240, `${closure.length} packages in a production install`);
});
