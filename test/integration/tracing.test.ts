import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline.js';

interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A tiny OTLP/HTTP JSON collector: what the exporter posts to /v1/traces, span by span. */
async function startCollector(): Promise<{ url: string; spans: CollectedSpan[]; server: Server }> {
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: CollectedSpan[] }> }>;
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

describe('tracing: one trace from the webhook request through the workflow into each activity', () => {
  let p: Pipeline;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  before(async () => {
    collector = await startCollector();
    p = await startPipeline({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, receiverOwnsTemporalClient: true });
  });
  after(async () => {
    await p.stop();
    collector.server.close();
  });

  test('webhook → StartWorkflow → RunWorkflow → StartActivity → RunActivity for every provisioning step', async () => {
    const user = await p.clerk.users.createUser({ emailAddress: [`trace-${Date.now()}@example.com`] });
    await waitForReadyMetadata(p, user.id);
    const steps = ['createDatabase', 'applyMigrations', 'recordOnClerkIfUserExists'];
    const byId = () => new Map(collector.spans.map((s) => [s.spanId, s]));
    /** Span names from `span` up to the trace's root. */
    const ancestry = (span: CollectedSpan) => {
      const spans = byId();
      const names: string[] = [];
      for (let s: CollectedSpan | undefined = span; s; s = s.parentSpanId ? spans.get(s.parentSpanId) : undefined) {
        assert.equal(s.traceId, span.traceId);
        names.push(s.name);
      }
      return names;
    };
    const runWorkflow = await eventually(async () => {
      const run = collector.spans.find((s) => s.name === 'RunWorkflow:provisionDatabase');
      const done = run && steps.every((step) => collector.spans.some((s) => s.name === `RunActivity:${step}`));
      return done ? run : undefined;
    }, 'the spans of the provisioning run');
    const trace = collector.spans.filter((s) => s.traceId === runWorkflow.traceId);
    for (const step of steps) {
      const run = trace.find((s) => s.name === `RunActivity:${step}`);
      assert.ok(run, `RunActivity:${step} is in the webhook's trace`);
      assert.deepEqual(ancestry(run), [
        `RunActivity:${step}`,
        `StartActivity:${step}`,
        'RunWorkflow:provisionDatabase',
        'StartWorkflow:provisionDatabase',
        'POST /webhooks/clerk',
      ]);
    }
  });
});
