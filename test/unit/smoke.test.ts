import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { testTemporal } from '../helpers/temporal.js';

test('pg', async () => {
  const c = new pg.Client(await testDatabaseUrl());
  await c.connect();
  const r = await c.query('select version()');
  assert.match(r.rows[0].version, /PostgreSQL/);
  await c.end();
});
test('temporal', async () => {
  const env = await testTemporal();
  const ns = await env.client.workflowService.describeNamespace({ namespace: 'default' });
  assert.ok(ns.namespaceInfo);
});
