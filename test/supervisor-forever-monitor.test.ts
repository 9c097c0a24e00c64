// forever-monitor 3.0.3 declares chokidar ^2 (→ braces 2.3.2, GHSA-grv7-fg5c-xmjg). It requires chokidar when it is
// loaded (monitor.js → plugins/index.js → plugins/watch.js), watch on or off, but only ever calls `chokidar.watch(dirs,
// { usePolling, interval, ignoreInitial, ignored })`, which chokidar 4 still offers. The root package.json therefore
// overrides chokidar for forever-monitor (docs/codedeploy.md gives users the same entry), so every supervisor test
// runs through the overridden tree; this file proves the override is in force and that forever-monitor's watch
// still works on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { overrides?: Record<string, Record<string, string>> };
const requireFromMonitor = createRequire(createRequire(join(root, 'package.json')).resolve('forever-monitor'));

test('forever-monitor loads chokidar even with watch off, and gets the overridden one', () => {
  assert.deepEqual(rootPkg.overrides?.['forever-monitor'], { chokidar: '^4.0.3' });
  const chokidarPkg = JSON.parse(readFileSync(join(dirname(requireFromMonitor.resolve('chokidar')), 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> };
  assert.ok(Number(chokidarPkg.version.split('.')[0]) >= 4, `forever-monitor resolves chokidar ${chokidarPkg.version}`);
  assert.ok(!('braces' in (chokidarPkg.dependencies ?? {})), 'chokidar 4 no longer depends on braces');

  // Loading the supervisor's dependency pulls chokidar in, in a fresh process (this one's cache is shared).
  const r = spawnSync(
    process.execPath,
    ['-e', "require('forever-monitor'); console.log(Object.keys(require.cache).some((p) => /[\\\\/]chokidar[\\\\/]/.test(p)))"],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'true');
});

test("forever-monitor's watch plugin still restarts the child on a file change with the overridden chokidar", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-elb-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'child.js'), 'setInterval(() => {}, 1000);\n');
  writeFileSync(join(dir, '.foreverignore'), 'ignored.txt\n');
  // In its own process: forever-monitor never closes the chokidar watcher it creates, which would keep this one alive.
  const script = `
    const { Monitor } = require(${JSON.stringify(requireFromMonitor.resolve('forever-monitor'))});
    const { writeFileSync } = require('node:fs');
    const dir = ${JSON.stringify(dir)};
    const monitor = new Monitor(dir + '/child.js', { max: 2, silent: true, watch: true, watchDirectory: dir, killSignal: 'SIGTERM' });
    let n = 0;
    const touch = setInterval(() => writeFileSync(dir + '/changed-' + (n++ % 3) + '.txt', String(n)), 200);
    monitor.on('watch:restart', (info) => {
      clearInterval(touch);
      console.log('restart', info.file.replace(dir + '/', ''));
      monitor.stop();
    });
    monitor.on('exit', () => process.exit(0));
    monitor.start();
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  assert.match(r.stdout, /^restart changed-\d\.txt$/m);
});
