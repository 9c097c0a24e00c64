import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, accessSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SUPERVISOR_DEFAULTS } from '../src/supervisor/defaults.js';
import { repoRoot, runCommand } from './helpers/supervisorHarness.js';

interface HookEntry {
  location: string;
  timeout: number;
  runas: string;
}
interface AppSpec {
  version: number;
  os: string;
  files: Array<{ source: string; destination: string }>;
  hooks: Record<string, HookEntry[]>;
}

const templateText = readFileSync(join(repoRoot, 'appspec.template.yml'), 'utf8');
const appspec = parse(templateText) as AppSpec;

test('the appspec template parses as YAML: version 0.0, linux, one install location', () => {
  assert.equal(appspec.version, 0);
  assert.match(templateText, /^version: 0\.0$/m);
  assert.equal(appspec.os, 'linux');
  assert.equal(appspec.files.length, 1);
  assert.equal(appspec.files[0]?.source, '/');
});

test('stop in ApplicationStop, start in ApplicationStart, validate in ValidateService; nothing stops in AfterInstall', () => {
  assert.deepEqual(Object.keys(appspec.hooks), ['ApplicationStop', 'ApplicationStart', 'ValidateService']);
  const commands = Object.fromEntries(
    Object.entries(appspec.hooks).map(([hook, entries]) => {
      assert.equal(entries.length, 1, hook);
      const script = readFileSync(join(repoRoot, entries[0]?.location ?? ''), 'utf8');
      return [hook, script.match(/^graceful_elb (\w+)/m)?.[1]];
    }),
  );
  assert.deepEqual(commands, { ApplicationStop: 'stop', ApplicationStart: 'start', ValidateService: 'validate' });
  assert.match(templateText, /lazy require\(\)\/import\(\)/, 'the template says why it stops in ApplicationStop');
});

test('each hook script exists, is executable, and is valid sh', async () => {
  for (const [hook, entries] of Object.entries(appspec.hooks)) {
    for (const entry of entries) {
      const path = join(repoRoot, entry.location);
      assert.ok(statSync(path).isFile(), `${hook}: ${entry.location} missing`);
      accessSync(path, constants.X_OK);
      assert.match(readFileSync(path, 'utf8'), /^#!\/bin\/sh\n[\s\S]*^set -eu$/m);
      const syntax = await runCommand('sh', ['-n', path]);
      assert.equal(syntax.code, 0, `${entry.location}: ${syntax.stderr}`);
    }
  }
});

test('hook timeouts leave room for graceful-elb’s own bounds, one runas for all hooks', () => {
  const timeout = (hook: string) => appspec.hooks[hook]?.[0]?.timeout ?? 0;
  const stopBound = SUPERVISOR_DEFAULTS.drainSeconds + SUPERVISOR_DEFAULTS.stopMarginSeconds + SUPERVISOR_DEFAULTS.killGraceMs / 1000;
  assert.ok(timeout('ApplicationStop') > stopBound, `ApplicationStop ${timeout('ApplicationStop')} s <= stop's bound ${stopBound} s`);
  assert.ok(timeout('ApplicationStart') > SUPERVISOR_DEFAULTS.spawnTimeoutSeconds);
  assert.ok(timeout('ValidateService') > SUPERVISOR_DEFAULTS.validateTimeoutSeconds);
  for (const entries of Object.values(appspec.hooks)) {
    assert.ok(entries[0] && entries[0].timeout <= 3600, 'CodeDeploy allows at most 3600 s per hook');
  }
  const users = new Set(Object.values(appspec.hooks).map((entries) => entries[0]?.runas));
  assert.equal(users.size, 1);
  assert.match(templateText, /PLACEHOLDER/);
});
