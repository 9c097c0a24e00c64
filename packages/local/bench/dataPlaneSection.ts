import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DataPlaneResult {
  /** The data-plane bench's own markdown (its table and the added latency line). */
  readonly markdown: string;
  /** bench/results/dataplane.json as that run wrote it. */
  readonly json: unknown;
}

/**
 * The local ELB's data-plane cost, as a section of `npm run bench`. bench/dataPlane.ts forks its own backend and
 * balancer processes so the load generator never shares an event loop with what it measures; it is run here as it
 * is run alone (`npm run bench:dataplane`), and its report is taken over whole.
 */
export async function measureDataPlane(log: (line: string) => void): Promise<DataPlaneResult> {
  const script = join(import.meta.dirname, 'dataPlane.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`bench/dataPlane.ts exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  for (const line of stdout.trim().split('\n')) log(`  ${line}`);
  const json: unknown = JSON.parse(readFileSync(join(import.meta.dirname, 'results', 'dataplane.json'), 'utf8'));
  return { markdown: stdout.trim(), json };
}
