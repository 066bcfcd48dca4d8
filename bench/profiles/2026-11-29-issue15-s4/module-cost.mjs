// Cumulative memory cost of loading modules in the order given (run after `npm run build`):
//   MALLOC_ARENA_MAX=2 node --expose-gc --max-semi-space-size=2 module-cost.mjs dist/cli/ops.js express …
// A path with a slash is resolved from the repository root, a bare name as a package from it.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const root = new URL('../../../', import.meta.url);
const resolve = createRequire(new URL('package.json', root)).resolve;
const mb = (v) => (v / 2 ** 20).toFixed(1).padStart(6);
let last = process.memoryUsage();
const snap = (label) => {
  for (let i = 0; i < 3; i++) global.gc?.();
  const m = process.memoryUsage();
  const d = (k) => mb(m[k] - last[k]);
  console.log(
    `${label.padEnd(44)} rss ${mb(m.rss)} (+${d('rss')})  heapUsed ${mb(m.heapUsed)} (+${d('heapUsed')})  external ${mb(m.external)} (+${d('external')})`,
  );
  last = m;
};
snap('node only');
for (const spec of process.argv.slice(2)) {
  const url =
    spec.includes('/') && !spec.startsWith('@') ? new URL(spec, root).href : pathToFileURL(resolve(spec)).href;
  await import(url);
  snap(`+ ${spec}`);
}
