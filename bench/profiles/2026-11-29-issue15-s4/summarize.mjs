// Summarises sampler.cjs output: for each process and thread, the sample at the process's peak RSS and the max of each field.
import { readdirSync, readFileSync } from 'node:fs';
const dir = process.argv[2];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
  const rows = readFileSync(`${dir}/${f}`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const main = rows.filter((r) => r.thread === 0);
  if (!main.length) continue;
  const peak = main.reduce((a, b) => (b.rss > a.rss ? b : a));
  console.log(`${f} ${main[0].argv}: ${main.length} samples, peak rss ${peak.rss}`);
  for (const thread of [...new Set(rows.map((r) => r.thread))]) {
    const mine = rows.filter((r) => r.thread === thread);
    const at = mine.reduce((a, b) => (Math.abs(b.t - peak.t) < Math.abs(a.t - peak.t) ? b : a));
    const max = (k) => Math.max(...mine.map((r) => r[k]));
    console.log(
      `  thread ${thread} at peak: heapTotal ${at.heapTotal} heapUsed ${at.heapUsed} external ${at.external} arrayBuffers ${at.arrayBuffers} spaces ${JSON.stringify(at.spaces)}`,
    );
    console.log(
      `  thread ${thread} max: heapTotal ${max('heapTotal')} heapUsed ${max('heapUsed')} external ${max('external')} arrayBuffers ${max('arrayBuffers')}`,
    );
  }
}
