// Worker-side timestamps of a service process's Temporal traffic, for the latency bench:
//   BENCH_NODE_OPTIONS="--require $PWD/bench/profiles/2026-11-29-issue15-s5/bridge-trace.cjs" npm run bench -- latency …
// Worker: every call between the SDK's TypeScript side and its Rust core (activations polled and completed, activity
// and local-activity tasks polled and completed), decoded to run id, jobs, commands and the server's stamps they
// carry; every fetch (the Clerk PATCH); every 500 ms, how long its workflow thread's event loop has been busy.
// Receiver: each request's arrival and each workflow start call. One JSON line
// per event to <tmp>/per-user-db-bridge-trace/<pid>.jsonl, time in ms since the epoch (sub-ms, same clock as the
// server's history stamps: one machine). `summarize.mjs` beside it turns them into a per-run timeline.
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload (CJS), run in every thread */
const { appendFileSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { isMainThread, threadId } = require('node:worker_threads');
const { dirname } = require('node:path');
const { performance } = require('node:perf_hooks');

if (!isMainThread) {
  // Another thread of the service (the worker's workflow thread): how long its event loop has been busy, every 500 ms.
  const file = `${tmpdir()}/per-user-db-bridge-trace/${process.pid}.jsonl`;
  mkdirSync(dirname(file), { recursive: true });
  setInterval(() => {
    const { active } = performance.eventLoopUtilization();
    appendFileSync(
      file,
      JSON.stringify({ t: performance.timeOrigin + performance.now(), ev: 'busy', threadId, active }) + '\n',
    );
  }, 500).unref();
} else {
  const dir = `${tmpdir()}/per-user-db-bridge-trace`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${process.pid}.jsonl`;
  const lines = [];
  const now = () => performance.timeOrigin + performance.now();
  const emit = (event) => lines.push(JSON.stringify(event));
  const flush = () => {
    if (lines.length) appendFileSync(file, lines.splice(0).join('\n') + '\n');
  };
  setInterval(flush, 500).unref();
  process.on('exit', flush);
  const ms = (ts) => (ts ? Number(ts.seconds) * 1000 + (ts.nanos ?? 0) / 1e6 : undefined);
  const resolveFrom = (name) => require.resolve(name, { paths: [process.cwd()] });
  const role = process.argv.at(-1);

  if (role === 'worker') {
    const { native } = require(resolveFrom('@temporalio/core-bridge'));
    const { coresdk } = require(resolveFrom('@temporalio/proto'));
    const tokens = new Map();
    const wrap = (name, before, after) => {
      const fn = native[name];
      native[name] = (...args) => {
        const t = now();
        before?.(t, args);
        const result = fn(...args);
        return after ? result.then((value) => (after(t, value), value)) : result;
      };
    };
    wrap('workerPollWorkflowActivation', undefined, (_t, buffer) => {
      const a = coresdk.workflow_activation.WorkflowActivation.decode(new Uint8Array(buffer));
      const init = a.jobs.find((j) => j.initializeWorkflow)?.initializeWorkflow;
      emit({
        t: now(),
        ev: 'activation',
        runId: a.runId,
        jobs: a.jobs.map((j) => Object.keys(j)[0]),
        wfTime: ms(a.timestamp),
        ...(init ? { workflowId: init.workflowId, startTime: ms(init.startTime) } : {}),
      });
    });
    wrap('workerCompleteWorkflowActivation', (t, [, buffer]) => {
      const c = coresdk.workflow_completion.WorkflowActivationCompletion.decodeDelimited(new Uint8Array(buffer));
      // A command's variant is its one set field besides the metadata every command carries.
      const variant = (x) => Object.keys(x).find((k) => x[k] && k !== 'userMetadata' && k !== 'eventGroupMarkers');
      const commands = c.successful?.commands?.map(variant) ?? ['failed'];
      emit({ t, ev: 'completion', runId: c.runId, commands });
    });
    wrap('workerPollActivityTask', undefined, (_t, buffer) => {
      const task = coresdk.activity_task.ActivityTask.decode(new Uint8Array(buffer));
      const token = Buffer.from(task.taskToken).toString('base64');
      if (!task.start) return;
      const s = task.start;
      tokens.set(token, s.workflowExecution.runId);
      emit({
        t: now(),
        ev: 'activityTask',
        runId: s.workflowExecution.runId,
        type: s.activityType,
        local: s.isLocal,
        scheduled: ms(s.currentAttemptScheduledTime),
        started: ms(s.startedTime),
      });
    });
    wrap('workerCompleteActivityTask', (t, [, buffer]) => {
      const c = coresdk.ActivityTaskCompletion.decodeDelimited(new Uint8Array(buffer));
      emit({ t, ev: 'activityDone', runId: tokens.get(Buffer.from(c.taskToken).toString('base64')) });
    });
    const fetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const t = now();
      const url = String(input instanceof Request ? input.url : input);
      const response = await fetch(input, init);
      emit({ t, ev: 'fetch', method: init?.method ?? input.method, url, end: now() });
      return response;
    };
  } else if (role === 'webhook') {
    const http = require('node:http');
    const emitRequest = http.Server.prototype.emit;
    http.Server.prototype.emit = function (event, request, ...rest) {
      if (event === 'request' && request.method === 'POST') emit({ t: now(), ev: 'request', url: request.url });
      return emitRequest.call(this, event, request, ...rest);
    };
    const { WorkflowClient } = require(resolveFrom('@temporalio/client'));
    const start = WorkflowClient.prototype.start;
    WorkflowClient.prototype.start = async function (workflow, options) {
      const t = now();
      try {
        return await start.call(this, workflow, options);
      } finally {
        emit({ t, ev: 'start', workflowId: options.workflowId, end: now() });
      }
    };
  }
}
