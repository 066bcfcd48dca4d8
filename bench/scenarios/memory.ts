import type { ScenarioResult } from '../report.js';
import type { MemoryPeak } from '../service-process.js';

/**
 * Peak resident memory of the worker and the receiver (separate child processes) while the burst, ack and
 * fleet scenarios ran, from their own figures: nothing is run again.
 */
export function memoryFromScenarios(results: ScenarioResult[]): Omit<ScenarioResult, 'load'> | undefined {
  const measured = results.filter((r) => !r.skipped && r.details.memory);
  if (measured.length === 0) return undefined;
  const peaks = measured.map((r) => ({
    scenario: r.scenario,
    ...(r.details.memory as Record<'worker' | 'webhook', MemoryPeak>),
  }));
  const max = (pick: (p: (typeof peaks)[number]) => number) => Math.max(...peaks.map(pick));
  return {
    scenario: 'memory',
    parameters: {
      method:
        'VmRSS of each child process sampled every 100 ms from /proc/<pid>/status during the scenario; VmHWM at its end',
      scenarios: peaks.map((p) => p.scenario),
    },
    summary: [
      ...peaks.map((p) => ({
        metric: `${p.scenario}: peak RSS worker / receiver`,
        value: `${p.worker.peakRssMb} / ${p.webhook.peakRssMb} MiB`,
      })),
      { metric: 'peak RSS worker (max)', value: `${max((p) => p.worker.peakRssMb)} MiB` },
      { metric: 'peak RSS receiver (max)', value: `${max((p) => p.webhook.peakRssMb)} MiB` },
      {
        metric: 'VmHWM worker / receiver (incl. start-up)',
        value: `${max((p) => p.worker.hwmMb)} / ${max((p) => p.webhook.hwmMb)} MiB`,
      },
    ],
    details: { peaks },
  };
}
