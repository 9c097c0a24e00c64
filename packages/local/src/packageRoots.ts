import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the two packages live on disk. The demo and the bench run the library as a user would (its dist/cli.js,
 * examples/app.mjs, appspec.template.yml and hook scripts), so they need graceful-elb's package root: installed
 * beside this package in an app, or the workspace root in the graceful-elb repository (npm does not link a workspace
 * root into node_modules, hence the walk up).
 */
export function localPackageRoot(): string {
  return findUp(dirname(fileURLToPath(import.meta.url)), '@graceful-elb/local');
}

export function libraryRoot(): string {
  const local = localPackageRoot();
  try {
    return dirname(createRequire(join(local, 'package.json')).resolve('graceful-elb/package.json'));
  } catch {
    return findUp(dirname(local), 'graceful-elb');
  }
}

function findUp(from: string, name: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === name) return dir;
    if (dirname(dir) === dir) throw new Error(`package ${name} not found above ${from}: install it (npm i -D ${name})`);
  }
}
