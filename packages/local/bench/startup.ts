import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DEFAULTS } from '../src/demo/defaults.js';
import { median } from './stats.js';

export interface StartupMeasure {
  readonly what: string;
  /** Wall time of the whole process (node's own start included), ms, median over the runs. */
  readonly medianMs: number;
  /** JavaScript and JSON files the process opened (strace; undefined without it): the modules it loaded. */
  readonly moduleFiles: number | undefined;
  /** Resident set size at the end, MiB (imports only). */
  readonly rssMiB?: number;
}

export interface StartupResult {
  readonly libraryRoot: string;
  readonly runs: number;
  readonly measures: readonly StartupMeasure[];
}

/**
 * What one import and one CLI call cost: `graceful-elb --version`, `graceful-elb stop` with nothing running (what
 * every ApplicationStop hook of a first deployment pays), `import` of the ESM build and `require` of the CommonJS
 * one, each a fresh process, timed as a whole; plus the module files each opens, counted with strace.
 */
export function measureStartup(libraryRoot: string, log: (line: string) => void): StartupResult {
  const runs = BENCH_DEFAULTS.startupRuns;
  const cli = join(libraryRoot, 'dist', 'cli.js');
  const stateDir = mkdtempSync(join(tmpdir(), 'graceful-elb-startup-'));
  const esm = pathToFileURL(join(libraryRoot, 'dist', 'index.js')).href;
  const cjs = join(libraryRoot, 'dist', 'index.cjs');
  const rss = 'process.stdout.write(String(process.memoryUsage().rss))';
  const cases: Array<{ what: string; args: string[]; reportsRss?: boolean }> = [
    { what: 'node (nothing loaded)', args: ['-e', ''] },
    { what: 'graceful-elb --version', args: [cli, '--version'] },
    { what: 'graceful-elb stop (nothing running)', args: [cli, 'stop', '--state-dir', stateDir] },
    { what: "import 'graceful-elb' (ESM)", args: ['--input-type=module', '-e', `await import(${JSON.stringify(esm)}); ${rss}`], reportsRss: true },
    { what: "require('graceful-elb') (CJS)", args: ['-e', `require(${JSON.stringify(cjs)}); ${rss}`], reportsRss: true },
  ];
  try {
    const measures = cases.map(({ what, args, reportsRss }): StartupMeasure => {
      const times: number[] = [];
      let rssBytes = 0;
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true' } });
        times.push(performance.now() - started);
        if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr}`);
        if (reportsRss) rssBytes = Math.max(rssBytes, Number(r.stdout));
      }
      const measure = { what, medianMs: median(times), moduleFiles: countModuleFiles(args), ...(reportsRss ? { rssMiB: rssBytes / 2 ** 20 } : {}) };
      log(`  ${what}: ${measure.medianMs.toFixed(0)} ms, ${measure.moduleFiles ?? '?'} module files${reportsRss ? `, ${measure.rssMiB?.toFixed(0)} MiB RSS` : ''}`);
      return measure;
    });
    return { libraryRoot, runs, measures };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Distinct .js/.cjs/.mjs/.json files a run of node opened successfully; undefined where strace is missing. */
function countModuleFiles(args: string[]): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-elb-strace-'));
  try {
    const out = join(dir, 'trace');
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', out, process.execPath, ...args], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return undefined;
    const files = new Set<string>();
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const match = /openat\([^,]+, "([^"]+\.(?:c|m)?js(?:on)?)", [^)]*\) = \d+$/.exec(line);
      if (match?.[1]) files.add(match[1]);
    }
    return files.size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
