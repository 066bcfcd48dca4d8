// Per-run timeline of provisioning runs from bridge-trace.cjs's files (every <pid>.jsonl in the folder given, default
// <tmp>/per-user-db-bridge-trace): each segment of the critical path, median and p90 over the runs, in ms.
//   node bench/profiles/2026-11-29-issue15-s5/summarize.mjs [dir]
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = process.argv[2] ?? join(tmpdir(), 'per-user-db-bridge-trace');
const events = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  )
  .sort((a, b) => a.t - b.t);

const byRun = new Map();
const requests = events.filter((e) => e.ev === 'request');
const starts = new Map(events.filter((e) => e.ev === 'start').map((e) => [e.workflowId, e]));
for (const e of events) {
  if (!e.runId) continue;
  if (!byRun.has(e.runId)) byRun.set(e.runId, []);
  byRun.get(e.runId).push(e);
}

const segments = {};
const add = (name, v) => v !== undefined && !Number.isNaN(v) && (segments[name] ??= []).push(v);
let runs = 0;
for (const run of byRun.values()) {
  const init = run.find((e) => e.ev === 'activation' && e.workflowId?.startsWith('provision-db-'));
  if (!init) continue;
  const activations = run.filter((e) => e.ev === 'activation');
  const completions = run.filter((e) => e.ev === 'completion');
  const tasks = run.filter((e) => e.ev === 'activityTask');
  const done = run.filter((e) => e.ev === 'activityDone');
  const locals = tasks.filter((e) => e.local);
  const clerk = tasks.find((e) => !e.local);
  if (locals.length !== 2 || !clerk || activations.length < 3) continue;
  runs++;
  const start = starts.get(init.workflowId);
  if (start) {
    const request = requests.filter((r) => r.t <= start.t).at(-1);
    add('receiver: request → start call', start.t - request?.t);
    add('receiver: start call → workflow started (server)', init.startTime - start.t);
    add('receiver: workflow started → start answered', start.end - init.startTime);
  }
  add('task 1 wait: started → WFT started (server)', init.wfTime - init.startTime);
  add('WFT started → activation 1 at lang', init.t - init.wfTime);
  const [a1, a2, a3] = activations;
  const [c1, c2, c3] = completions;
  const [l1, l2] = locals;
  const [d1, d2] = done.filter((d) => d.t < clerk.t);
  add('activation 1 (start the run) in lang', c1.t - a1.t);
  add('→ LA createDatabase at lang', l1.t - c1.t);
  add('LA createDatabase run (lang)', d1.t - l1.t);
  add('→ activation 2 at lang', a2.t - d1.t);
  add('activation 2 in lang', c2.t - a2.t);
  add('→ LA applyMigrations at lang', l2.t - c2.t);
  add('LA applyMigrations run (lang)', d2.t - l2.t);
  add('→ activation 3 at lang', a3.t - d2.t);
  add('activation 3 in lang', c3.t - a3.t);
  add('completion 3 → Clerk activity scheduled (server)', clerk.scheduled - c3.t);
  add('Clerk wait: scheduled → started (server)', clerk.started - clerk.scheduled);
  add('Clerk started (server) → task at lang', clerk.t - clerk.started);
  const patch =
    run.find((e) => e.ev === 'fetch' && e.t > clerk.t) ?? events.find((e) => e.ev === 'fetch' && e.t > clerk.t);
  add('Clerk task at lang → PATCH sent', patch?.t - clerk.t);
  add('PATCH', patch?.end - patch?.t);
  add(
    'sum: WFT1 started → activation 3 completed, minus the two LA runs',
    c3.t - init.wfTime - (d1.t - l1.t) - (d2.t - l2.t),
  );
  add(
    'sum: workflow started → PATCH sent, minus the two LA runs',
    patch?.t - init.startTime - (d1.t - l1.t) - (d2.t - l2.t),
  );
  const later = activations.slice(3);
  add('activations in the run', activations.length);
  add('activations after the Clerk task', later.length);
}

// The workflow thread's busy time per run, between the first provisioning run's start and the last one's end.
const busy = events.filter((e) => e.ev === 'busy');
const runTimes = [...byRun.values()]
  .filter((run) => run.some((e) => e.workflowId?.startsWith('provision-db-')))
  .map((run) => [run[0].t, run.at(-1).t]);
if (busy.length && runTimes.length) {
  const from = Math.min(...runTimes.map(([t]) => t));
  const to = Math.max(...runTimes.map(([, t]) => t));
  const activeAt = (t) => busy.filter((b) => b.t <= t).at(-1)?.active ?? 0;
  const perRun = (activeAt(to) - activeAt(from)) / runTimes.length;
  console.log(`workflow thread busy per run: ${perRun.toFixed(1)} ms (${runTimes.length} runs, every 500 ms sample)`);
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
console.log(`${runs} provisioning runs in ${dir}`);
for (const [name, xs] of Object.entries(segments)) {
  console.log(
    `${name.padEnd(72)} p50 ${quantile(xs, 0.5).toFixed(1).padStart(7)}  p90 ${quantile(xs, 0.9).toFixed(1).padStart(7)}`,
  );
}
