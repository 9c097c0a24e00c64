// The defaults are written once, in DEFAULTS; the `@default` tags of GracefulElbOptions (what an editor shows) and the
// README's Options table (what a reader sees) restate them. This is the one test that they all agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { DEFAULTS } from '../src/options.js';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

/** A default as the docs write it: 60000, '/ping', ['SIGTERM', 'SIGINT'], true. */
function asWritten(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(asWritten).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

/** option name → the text of its `@default` tag, from the GracefulElbOptions interface in src/options.ts. */
function defaultTags(): Map<string, string> {
  const source = ts.createSourceFile('options.ts', read('../src/options.ts'), ts.ScriptTarget.Latest, true);
  const tags = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === 'GracefulElbOptions') {
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
        const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
        const text = typeof tag?.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag?.comment);
        if (text !== undefined) tags.set(member.name.text, text.trim());
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return tags;
}

/** option name → the backticked values of the Default column of the README's Options table (`a` / `b` rows split). */
function readmeDefaults(): Map<string, string> {
  const readme = read('../README.md');
  const section = readme.slice(readme.indexOf('## Options'), readme.indexOf('\n## ', readme.indexOf('## Options') + 1));
  const defaults = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    const names = [...cells[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const values = [...(cells[2] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    names.forEach((name, i) => {
      if (values[i] !== undefined) defaults.set(name, values[i]);
    });
  }
  return defaults;
}

test('DEFAULTS, the @default tags of GracefulElbOptions and the README Options table agree', () => {
  const tags = defaultTags();
  const readme = readmeDefaults();
  assert.ok(tags.size >= Object.keys(DEFAULTS).length, `found ${tags.size} @default tags`);
  for (const [name, value] of Object.entries(DEFAULTS)) {
    const written = asWritten(value);
    assert.equal(tags.get(name), written, `@default of ${name}`);
    assert.equal(readme.get(name), written, `README Options table, default of ${name}`);
  }
});

test('the table reader and the tag reader see what they should (so the agreement test cannot pass on nothing)', () => {
  assert.equal(asWritten(['SIGTERM', 'SIGINT']), "['SIGTERM', 'SIGINT']");
  assert.equal(readmeDefaults().get('retryMaxDelayMs'), '5000', 'the `retryBaseMs` / `retryMaxDelayMs` row is split');
  assert.equal(defaultTags().get('healthPath'), "'/ping'");
});
