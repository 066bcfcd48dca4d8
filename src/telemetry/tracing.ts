import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ClientInterceptors } from '@temporalio/client';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

export interface Tracing {
  /** Sends the spans still buffered (before a process stops). */
  flush(): Promise<void>;
  /** The receiver's Temporal client interceptors: a StartWorkflow span, its context sent in the start's headers. */
  clientInterceptors(): ClientInterceptors;
  /** RunActivity spans, children of the workflow's StartActivity span; activity log lines carry the trace id. */
  activityInterceptors: ActivityInterceptorsFactory;
  /** The sink through which the sandboxed workflow interceptors export their spans. */
  workflowSinks(): InjectedSinks<OpenTelemetrySinks>;
}

/** One tracer provider per process: the local stack runs the receiver and the worker side by side. */
let current: { endpoint: string; tracing: Promise<Tracing> } | undefined;

/**
 * With an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT), registers the process's tracer provider (see
 * tracing-export.ts); without one, tracing is off and the OpenTelemetry SDK is never loaded.
 */
export function startTracing(endpoint: string | undefined, serviceName: string): Promise<Tracing | undefined> {
  if (endpoint === undefined) return Promise.resolve(undefined);
  if (current) {
    if (current.endpoint !== endpoint) throw new Error('tracing is already exporting to another endpoint');
    return current.tracing;
  }
  const tracing = import('./tracing-export.js').then(({ startExport }) => startExport(endpoint, serviceName));
  current = { endpoint, tracing };
  return tracing;
}

/** The workflow interceptors' module, bundled with the workflow code when tracing is on. */
export const WORKFLOW_TRACING_MODULE = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

/**
 * Runs `handle` in a SERVER span named `<method> <route>` (the route's pattern, not the path asked for), active
 * while it runs, so the workflow start is its child; the span ends when the answer is sent. Start it once the body
 * is read: the body stream's events would run outside the span's context.
 */
export function traceRequest<T>(route: string, req: IncomingMessage, res: ServerResponse, handle: () => T): T {
  const method = req.method ?? '';
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const span = trace.getTracer('per-user-db').startSpan(`${method} ${route}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': method, 'url.path': query === -1 ? url : url.slice(0, query) },
  });
  res.once('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return context.with(trace.setSpan(context.active(), span), handle);
}
