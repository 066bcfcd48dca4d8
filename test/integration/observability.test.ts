import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../dev/local/free-port.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { sampleSum, scrape } from '../helpers/metrics.js';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const sampleNames = (text: string) =>
  new Set(text.split('\n').flatMap((line) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1] ?? []));

/**
 * The JSON lines of a process's output: every line must be one, but for the CLI's plain notice on a stop signal
 * (written to the terminal that sent it, not a log line).
 */
const jsonLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^SIG(TERM|INT): shutting down/.test(line))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('observability: metrics of the worker and the receiver after a real sign-up, JSON logs', () => {
  let p: Pipeline;
  let worker: WorkerProcess;
  let workerMetricsUrl: string;
  before(async () => {
    p = await startPipeline({ withoutWorker: true, env: { WEBHOOK_METRICS_PORT: '0' } });
    worker = startWorkerProcess({ ...p.rawEnv, WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' });
    await worker.started;
    workerMetricsUrl = await eventually(async () => {
      const line = jsonLines(worker.output()).find((l) => l.msg === 'metrics listening');
      return line?.url as string | undefined;
    }, 'the worker to log its metrics URL');
  });
  after(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    await p.stop();
  });

  test('a sign-up moves the receiver and worker counters; the SDK metrics are merged in', async () => {
    const webhookMetricsUrl = p.receiver.metricsUrl;
    assert.ok(webhookMetricsUrl, 'the receiver serves metrics when WEBHOOK_METRICS_PORT is set');
    assert.notEqual(new URL(webhookMetricsUrl).port, new URL(p.receiver.url).port, 'not on the public port');
    const hookBefore = await scrape(webhookMetricsUrl);
    const workerBefore = await scrape(workerMetricsUrl);

    const user = await p.clerk.users.createUser({ emailAddress: [`metrics-${Date.now()}@example.com`] });
    await waitForReadyMetadata(p, user.id);
    const forged = await fetch(p.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': 'msg_x',
        'svix-timestamp': '1',
        'svix-signature': 'v1,AAAA',
      },
      body: '{}',
    });
    assert.equal(forged.status, 401);

    const hook = await scrape(webhookMetricsUrl);
    const moved = (text: string, before: string, name: string, labels: Record<string, string> = {}) =>
      sampleSum(text, name, labels) - sampleSum(before, name, labels);
    assert.ok(
      moved(hook, hookBefore, 'per_user_db_webhook_requests_total', { outcome: 'accepted', status: '202' }) >= 1,
    );
    assert.equal(moved(hook, hookBefore, 'per_user_db_webhook_signature_failures_total'), 1);
    assert.ok(
      moved(hook, hookBefore, 'per_user_db_webhook_workflow_start_seconds_count', { work: 'provisioning' }) >= 1,
    );

    // The run closes (and reports) just after the Clerk write the test waited for.
    const work = await eventually(async () => {
      const text = await scrape(workerMetricsUrl);
      const closed = moved(text, workerBefore, 'per_user_db_workflow_runs_total', {
        workflow: 'provisionDatabase',
        outcome: 'ready',
      });
      return closed >= 1 ? text : undefined;
    }, 'the provisioning run to be counted as ready');
    for (const activity of ['createDatabase', 'applyMigrations', 'recordOnClerkIfUserExists']) {
      const labels = { activity, outcome: 'completed' };
      assert.ok(moved(work, workerBefore, 'per_user_db_activity_executions_total', labels) >= 1, activity);
      assert.ok(moved(work, workerBefore, 'per_user_db_activity_duration_seconds_count', labels) >= 1, activity);
    }
    assert.ok(moved(work, workerBefore, 'per_user_db_workflow_duration_seconds_count', { outcome: 'ready' }) >= 1);
    assert.equal(sampleSum(work, 'per_user_db_sdk_metrics_up'), 1);
    assert.ok(sampleNames(work).has('temporal_activity_execution_latency_count'), 'the SDK metrics are merged');
  });

  test('every metric the Grafana dashboard queries is in a scrape', async () => {
    const dashboard = JSON.parse(await readFile('ops/grafana/per-user-db.json', 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    assert.ok(dashboard.panels.length > 0);
    const exported = new Set([
      ...sampleNames(await scrape(workerMetricsUrl)),
      ...sampleNames(await scrape(p.receiver.metricsUrl!)),
    ]);
    const used = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((t) => t.expr.match(/\b(?:per_user_db|temporal)_[a-z0-9_]+/g) ?? []),
    );
    assert.ok(used.length >= dashboard.panels.length);
    assert.deepEqual(
      [...new Set(used)].filter((name) => !exported.has(name)),
      [],
      'metric names the dashboard uses but no scrape exports',
    );
  });

  test("in service mode every line is JSON, the SDK's included, with our fields", () => {
    const lines = jsonLines(worker.output());
    const sdk = lines.filter((l) => l.component === 'temporal-sdk');
    assert.ok(
      sdk.some((l) => l.msg === 'Worker state changed'),
      'SDK info lines at LOG_LEVEL=info',
    );
    for (const line of sdk) {
      assert.equal(line.name, 'worker');
      assert.equal(typeof line.pid, 'number');
      assert.equal(typeof line.level, 'number');
    }
    assert.ok(!lines.some((l) => typeof l.msg === 'string' && l.msg.includes('webpack')), 'no webpack report');
  });

  test('a worker at LOG_LEVEL=warn through Clerk 429s: the 429s and the waits are counted, no info line printed', async () => {
    // With no worker running, the run waits for one: the Clerk calls all happen while the 429s are on.
    worker.kill('SIGTERM');
    await worker.exited;
    const user = await p.clerk.users.createUser({ emailAddress: [`quiet-${Date.now()}@example.com`] });
    p.standIn.setFaults({ tooManyRequestsShare: 1, tooManyRequestsRetryAfterSeconds: 1 });
    const port = await freePort();
    const quiet = startWorkerProcess({ ...p.rawEnv, LOG_LEVEL: 'warn', WORKER_METRICS_PORT: String(port) });
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      await eventually(async () => {
        const text = await scrape(url).catch(() => '');
        return (
          sampleSum(text, 'per_user_db_clerk_rate_limited_total') >= 1 &&
          sampleSum(text, 'per_user_db_clerk_retry_after_seconds_count') >= 1 &&
          sampleSum(text, 'per_user_db_clerk_retry_after_seconds_sum') >= 1
        );
      }, 'Clerk 429s counted');
      p.standIn.setFaults({ tooManyRequestsShare: 0 });
      await waitForReadyMetadata(p, user.id);
    } finally {
      p.standIn.setFaults({ tooManyRequestsShare: 0 });
      quiet.kill('SIGTERM');
      await quiet.exited;
    }
    const lines = jsonLines(quiet.output());
    assert.deepEqual(
      lines.filter((l) => (l.level as number) < 40).map((l) => l.msg),
      [],
    );
    assert.ok(!quiet.output().includes('Worker state changed'));
  });
});
