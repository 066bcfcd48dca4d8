import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import ts from 'typescript';

const SOURCE = new URL('../../src/webhook/hookdeck.ts', import.meta.url);
const SECRET_LIKE = /signature|expected|digest|hmac|secret/i;
const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

/** Walks the verifier's syntax tree: how it compares matters, not what any one input happens to do. */
async function inspect() {
  const file = ts.createSourceFile('hookdeck.ts', await readFile(SOURCE, 'utf8'), ts.ScriptTarget.ES2022, true);
  const equalities: string[] = [];
  const calls: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) equalities.push(node.getText(file));
    if (ts.isCallExpression(node)) calls.push(node.expression.getText(file));
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { equalities, calls };
}

test('signatures are compared with crypto.timingSafeEqual, never with ==/===/!=/!==', async () => {
  const { equalities, calls } = await inspect();
  assert.ok(calls.includes('timingSafeEqual'), 'timingSafeEqual is called');
  const onSecrets = equalities.filter((text) => SECRET_LIKE.test(text));
  assert.deepEqual(onSecrets, [], `equality operators on signature values: ${onSecrets.join(' | ')}`);
  // The only length comparison guards timingSafeEqual (which throws on unequal lengths).
  assert.ok(equalities.includes('a.length === b.length'));
});
