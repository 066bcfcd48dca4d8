import { createRequire } from 'node:module';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { NextFunction, Request, Response } from 'express';

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Sends the spans still buffered (before a process stops). */
  flush(): Promise<void>;
}

/** One tracer provider per process: the local stack runs the receiver and the worker side by side. */
let current: { endpoint: string; tracing: Tracing } | undefined;

/**
 * With an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT), registers the process's tracer provider, exporting
 * OTLP/HTTP JSON to `<endpoint>/v1/traces` with W3C trace context; without one, tracing is off.
 */
export function startTracing(endpoint: string | undefined, serviceName: string): Tracing | undefined {
  if (endpoint === undefined) return undefined;
  if (current) {
    if (current.endpoint !== endpoint) throw new Error('tracing is already exporting to another endpoint');
    return current.tracing;
  }
  const resource = new Resource({ 'service.name': serviceName });
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const tracing = { resource, spanProcessor, flush: () => provider.forceFlush() };
  current = { endpoint, tracing };
  return tracing;
}

/** The receiver's Temporal client interceptors: a StartWorkflow span, its context sent in the start's headers. */
export const clientTracingInterceptors = () => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor()] });

/** RunActivity spans, children of the workflow's StartActivity span; activity log lines carry the trace id. */
export const traceActivities: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

/** The sink through which the sandboxed workflow interceptors export their spans. */
export const workflowSpanSinks = (tracing: Tracing) => ({
  exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource),
});

/** The workflow interceptors' module, bundled with the workflow code when tracing is on. */
export const WORKFLOW_TRACING_MODULE = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

/**
 * A SERVER span around a webhook request, active while it is handled, so the workflow start is its child.
 * Mounted after the body parser: its stream events would run outside the span's context.
 */
export function traceRequest(req: Request, res: Response, next: NextFunction) {
  const tracer = trace.getTracer('per-user-db');
  const span = tracer.startSpan(`${req.method} ${req.route?.path ?? req.path}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': req.method, 'url.path': req.path },
  });
  res.once('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(context.active(), span), next);
}
