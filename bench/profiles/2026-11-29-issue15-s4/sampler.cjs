// Memory sampler for a service process (main thread and every worker thread, e.g. the Temporal workflow thread):
//   BENCH_NODE_OPTIONS="--require $PWD/bench/profiles/2026-11-29-issue15-s4/sampler.cjs" npm run bench -- …
// Each thread appends one JSON line every 200 ms to <tmp>/per-user-db-memsample/<pid>.jsonl (MiB): rss
// (process; RssAnon, RssFile: the binary's and libraries' pages), heap spaces' committed size, external, arrayBuffers. (The bench passes services no other env.)
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload, since Node 20 runs --import preloads
   in the main thread only, not in the workflow thread */
const { appendFileSync, mkdirSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const v8 = require('node:v8');
const { threadId } = require('node:worker_threads');
const dir = `${tmpdir()}/per-user-db-memsample`;
mkdirSync(dir, { recursive: true });
{
  const mb = (v) => Math.round((v / 2 ** 20) * 10) / 10;
  const file = `${dir}/${process.pid}.jsonl`;
  const argv = process.argv.slice(2).join(' ');
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)]));
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field) => mb(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024);
    const line = {
      rssAnon: kb('RssAnon'),
      rssFile: kb('RssFile'),
      t: Date.now(),
      argv,
      thread: threadId,
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      spaces,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 200).unref();
}
