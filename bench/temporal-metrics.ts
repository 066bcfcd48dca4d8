/**
 * The Temporal server's own Prometheus metrics (`--metrics-port`), read before and after a scenario: how many
 * persistence calls and service requests each operation made, and how long they took. The dev server keeps
 * every service's persistence on one SQLite connection, so the persistence time summed over the window, set
 * against the window's length, says how busy that connection was (above 1, calls queued for it).
 */

/** Prometheus families read, each as `_sum` (seconds) and `_count`. */
const FAMILIES = ['persistence_latency', 'visibility_persistence_latency', 'service_latency'] as const;
type Family = (typeof FAMILIES)[number];

type Snapshot = Map<string, number>;

/** Calls whose latency is mostly a wait for something to happen (a task, new data), not work. */
const LONG_POLLS = /^(Poll\w+|GetTaskQueueUserData|ListNexusEndpoints)$/;

const SAMPLE = /^(\w+?)_(sum|count)\{([^}]*)\} (\S+)$/;

function labelsOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!]));
}

/** `family|service|operation|sum or count` → value, summed over the other labels (namespace, index). */
export function parseTemporalMetrics(text: string): Snapshot {
  const snapshot: Snapshot = new Map();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match || !(FAMILIES as readonly string[]).includes(match[1]!)) continue;
    const labels = labelsOf(match[3]!);
    const key = [match[1], labels.service_name ?? '', labels.operation ?? '', match[2]].join('|');
    snapshot.set(key, (snapshot.get(key) ?? 0) + Number(match[4]));
  }
  return snapshot;
}

export interface OperationCost {
  family: Family;
  service: string;
  operation: string;
  calls: number;
  perUser: number;
  meanMs: number;
  /** Summed over every call of the window, in seconds. */
  totalS: number;
}

export interface TemporalServerCost {
  /** Every operation with a call in the window (long polls left out), the most time first. */
  operations: OperationCost[];
  persistence: { calls: number; perUser: number; totalS: number; busy: number };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** What changed between two snapshots, per operation and for all persistence, for `users` over `elapsedMs`. */
export function serverCost(before: Snapshot, after: Snapshot, users: number, elapsedMs: number): TemporalServerCost {
  const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const operations: OperationCost[] = [];
  for (const key of after.keys()) {
    const [family, service, operation, kind] = key.split('|') as [Family, string, string, string];
    if (kind !== 'count') continue;
    const calls = delta(key);
    if (calls <= 0 || LONG_POLLS.test(operation)) continue;
    const totalS = delta([family, service, operation, 'sum'].join('|'));
    operations.push({
      family,
      service,
      operation,
      calls,
      perUser: round(calls / users, 2),
      meanMs: round((totalS * 1000) / calls, 2),
      totalS: round(totalS, 2),
    });
  }
  operations.sort((a, b) => b.totalS - a.totalS);
  const stored = operations.filter((o) => o.family !== 'service_latency');
  const calls = stored.reduce((s, o) => s + o.calls, 0);
  const totalS = stored.reduce((s, o) => s + o.totalS, 0);
  return {
    operations,
    persistence: {
      calls,
      perUser: round(calls / users, 1),
      totalS: round(totalS, 2),
      busy: round((totalS * 1000) / elapsedMs, 2),
    },
  };
}

async function scrape(url: string): Promise<Snapshot> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parseTemporalMetrics(await res.text());
}

/** Reads the server's metrics now; `stop()` reads them again and answers the cost of the window. */
export async function watchTemporalServer(url: string) {
  const before = await scrape(url);
  return {
    async stop(users: number, elapsedMs: number): Promise<TemporalServerCost> {
      return serverCost(before, await scrape(url), users, elapsedMs);
    },
  };
}
