/**
 * What one SDK trace line costs the worker's main thread at LOG_LEVEL=info, through the runtime's forwarding
 * collector as installTemporalRuntime installs it (every line buffered at TRACE, dropped by our logger 100 ms
 * later), and through a level gate in front of the collector (the change this measured, then left out):
 * `npx tsx bench/profiles/2026-11-29-issue15-s4/wft-probe/logger-cost.ts`. Both in one process, alternated; the
 * lines carry an activation-sized object, as the worker's "Got workflow activation" does.
 */
import { LoggerWithComposedMetadata } from '@temporalio/common/lib/logger.js';
import { DefaultLogger, Runtime, type Logger } from '@temporalio/worker';
import { createLogger } from '../../../../src/log.js';

const logger = createLogger('info', 'worker');
const runtime = Runtime.install({
  logger: new DefaultLogger('INFO', ({ message }) => logger.info(message)),
  telemetryOptions: { logging: { filter: 'ERROR', forward: {} } },
});
const collector = runtime.logger;
const below = new Set(['TRACE', 'DEBUG']);
const gated: Logger = {
  log: (level, message, meta) => (below.has(level) ? undefined : collector.log(level, message, meta)),
  trace: () => undefined,
  debug: () => undefined,
  info: (message, meta) => collector.info(message, meta),
  warn: (message, meta) => collector.warn(message, meta),
  error: (message, meta) => collector.error(message, meta),
};
const activation = {
  runId: '0197a0c4-6c1e-7b8e-9a55-5d0f1f3a2b10',
  timestamp: { seconds: 1795983896, nanos: 723000000 },
  isReplaying: false,
  historyLength: 9,
  jobs: [{ resolveActivity: { seq: 1, result: { completed: { result: { data: new Uint8Array(120) } } } } }],
  availableInternalFlags: [1, 2, 3],
  historySizeBytes: 2048,
  continueAsNewSuggested: false,
  buildIdForCurrentTask: '',
};
const LINES = 20_000;
async function cpuPerLine(root: Logger): Promise<number> {
  const worker = LoggerWithComposedMetadata.compose(root, { sdkComponent: 'worker', taskQueue: 'q' });
  const before = process.cpuUsage();
  for (let i = 0; i < LINES; i++) worker.trace('Got workflow activation', activation);
  await new Promise((resolve) => setTimeout(resolve, 250)); // the collector's 100 ms hold and its flush pass
  const used = process.cpuUsage(before);
  return (used.user + used.system) / LINES; // µs per line
}
const results: Record<string, number[]> = { collector: [], gated: [] };
for (let round = 0; round < 6; round++) {
  results.collector!.push(await cpuPerLine(collector));
  results.gated!.push(await cpuPerLine(gated));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `CPU µs per trace line (median of 6 × ${LINES}): collector ${median(results.collector!).toFixed(1)}, gated ${median(results.gated!).toFixed(1)}; load ${load}`,
);
await runtime.shutdown();
