import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { waitFor } from './waitFor.js';

/** Whether moto_server is on PATH (CI has it; elsewhere tests skip and say why). */
export function motoAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).status === 0;
}

// Werkzeug (under moto_server) prints the address it really bound, also for port 0.
const RUNNING_ON = /Running on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Starts moto_server on an ephemeral loopback port and waits until it answers. moto binds port 0 itself and prints
 * the port it got: no port is found first and bound later, which another process could take in between.
 */
export async function startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    // Only the start is needed; stop collecting once the address is known (moto logs every request there).
    if (!RUNNING_ON.test(output)) output += chunk;
  });
  await waitFor('moto_server to print its address', () => RUNNING_ON.test(output) || child.exitCode !== null, 30_000);
  const endpoint = RUNNING_ON.exec(output)?.[1];
  if (endpoint === undefined) throw new Error(`moto_server exited with ${child.exitCode}: ${output.slice(-2000)}`);
  let up = false;
  const poll = async (): Promise<void> => {
    try {
      await fetch(`${endpoint}/moto-api/`);
      up = true;
    } catch {
      // not yet
    }
  };
  await waitFor('moto_server to answer', () => (void poll(), up || child.exitCode !== null), 30_000);
  if (!up) throw new Error(`moto_server exited with ${child.exitCode}`);
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
