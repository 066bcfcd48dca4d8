// What a new run's first activation spends evaluating workflow-bundle modules, for bundles side by side
// (alternated, 400 runs each after 20 warm-up runs):
//   node bench/profiles/2026-11-29-issue15-s5/run-modules.cjs <before>/workflow-bundle.js dist/workflow-bundle.js
// The bundle's module cache is routed as the SDK's reusable V8 context routes it (@temporalio/worker,
// reusable-vm.js): a module first required before any run exists is shared by every run, any other is evaluated
// again in each run when `initRuntime` imports the workflows and the interceptors.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run with node */
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const vm = require('node:vm');

function load(file) {
  const shared = new Map();
  let perRun = new Map();
  let runStarted = false;
  const cache = new Proxy(
    {},
    {
      get: (_, id) => shared.get(id) ?? perRun.get(id),
      set: (_, id, module) => ((runStarted ? perRun : shared).set(id, module), true),
    },
  );
  const context = vm.createContext({});
  Object.defineProperty(context, '__webpack_module_cache__', { value: cache });
  vm.runInContext(readFileSync(file, 'utf8'), context);
  vm.runInContext('__TEMPORAL__.preloadModules?.()', context);
  runStarted = true;
  const startRun = new vm.Script('__TEMPORAL__.importWorkflows(); __TEMPORAL__.importInterceptors()');
  return () => {
    perRun = new Map();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    startRun.runInContext(context);
    const wall = performance.now() - t0;
    const { user, system } = process.cpuUsage(cpu);
    return { wall, cpu: (user + system) / 1000, modules: perRun.size };
  };
}

const variants = process.argv.slice(2).map((file) => ({ file, run: load(file), samples: [] }));
for (let i = 0; i < 20; i++) for (const v of variants) v.run();
for (let i = 0; i < 400; i++) for (const v of variants) v.samples.push(v.run());
const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const { file, samples } of variants) {
  const wall = samples.map((s) => s.wall);
  const cpu = samples.map((s) => s.cpu);
  console.log(
    `${file}: ${samples[0].modules} modules per run, wall p50 ${p50(wall).toFixed(3)} ms, CPU mean ${mean(cpu).toFixed(3)} ms`,
  );
}
