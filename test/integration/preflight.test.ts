/**
 * Start-up preflight against a fresh namespace that lacks our search attributes: the worker refuses to start
 * and names the commands that create them; the receiver's /readyz answers 503 with the reason until they exist.
 * A start that fails after creating a Worker shuts down what it created.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { extractReferenceHolders } from '@temporalio/worker/lib/connection.js';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startWebhookServer, type WebhookServer } from '../../src/webhook/server.js';
import { runWorker } from '../../src/worker/run.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { eventually, randomToken, startPipeline, type Pipeline } from '../helpers/pipeline.js';

/** IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD. */
const KEYWORD = 2;

describe('preflight: a namespace without our search attributes', () => {
  let p: Pipeline;
  let receiver: WebhookServer | undefined;
  const namespace = `fresh-${randomToken(4)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });

  before(async () => {
    p = await startPipeline({ withoutWorker: true });
    await p.temporal.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
  });
  after(async () => {
    await receiver?.close();
    await p.stop();
  });

  const env = () => ({ ...p.rawEnv, TEMPORAL_NAMESPACE: namespace });

  test('the worker refuses to start and logs the commands that create them', async () => {
    const config = loadConfig(env(), 'worker');
    const refused = await eventually(
      () =>
        runWorker(config, { connection: p.temporal.nativeConnection, logger }).then(
          (w) => w.shutdown().then(() => undefined),
          (error: Error) => (/NamespaceNotFound|not found/i.test(error.message) ? undefined : error),
        ),
      'the worker to see the new namespace',
      30_000,
    );
    for (const { name } of SEARCH_ATTRIBUTES) {
      assert.match(refused.message, new RegExp(`--name ${name} --type Keyword --namespace ${namespace}`));
      assert.match(refused.message, new RegExp(`tcld namespace search-attributes add --namespace ${namespace}`));
    }
    assert.ok(lines.some((l) => l.includes('"level":50') && l.includes('temporal operator search-attribute create')));
  });

  test('/readyz is 503 search_attributes_missing until they are created, then 200', async () => {
    const temporal = new Client({ connection: p.temporal.connection, namespace });
    receiver = await startWebhookServer(loadConfig(env(), 'webhook'), { temporal, logger, host: '127.0.0.1' });
    const readyz = async () => {
      const res = await fetch(`${receiver!.url}/readyz`);
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    const missing = await readyz();
    assert.equal(missing.status, 503);
    assert.equal(missing.body.error?.code, 'search_attributes_missing');
    assert.match(missing.body.error?.message ?? '', /PerUserDbUserId, PerUserDbProvider, PerUserDbStatus/);

    await p.temporal.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, KEYWORD])),
    });
    await eventually(async () => (await readyz()).status === 200, '/readyz green once they exist', 30_000);
  });
});

describe('a start that fails after the first Worker was created', () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ withoutWorker: true });
  });
  after(() => p.stop());

  test('shuts that Worker down: nothing holds the connection any more', async () => {
    const connection = p.temporal.nativeConnection;
    const holders = () => extractReferenceHolders(connection).size;
    const before = holders();
    // A task queue name the SDK refuses: the main Worker is created, the Clerk queue's is not.
    const config = { ...p.config, temporal: { ...p.config.temporal, clerkTaskQueue: '__temporal_refused' } };
    await assert.rejects(runWorker(config, { connection, logger: pino({ level: 'silent' }) }), /reserved prefix/);
    assert.equal(holders(), before, 'a Worker created by the failed start still holds the connection');
  });
});
