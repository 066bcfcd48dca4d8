/**
 * `npm run chaos`: the whole service as separate processes (Temporal dev server on a SQLite file, PostgreSQL,
 * two workers, two receivers) under a burst of sign-ups and deletions while faults are injected, then the
 * invariants once it has converged. Lives in reliability/ rather than bench/: it measures correctness under
 * faults, not speed, and keeps its own results. The Clerk stand-in runs in this process: it is the vendor,
 * whose faults and request log this driver controls directly.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { Webhook } from 'svix';
import { startClerkStandIn, type ClerkStandIn } from '../dev/clerk-stand-in/index.js';
import { userEvent, type UserEventType } from '../dev/clerk-stand-in/webhook-event.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../dev/local/embedded-postgres.js';
import { freePort } from '../dev/local/free-port.js';
import { temporalExecutable } from '../dev/local/temporal-binary.js';
import { startTemporalDevServer, type TemporalDevServer } from '../dev/local/temporal-dev-server.js';
import { createClerkApi } from '../src/clerk/client.js';
import { provisionWorkflowId } from '../src/workflows/provision-state.js';
import { startTcpProxy } from '../test/helpers/tcp-proxy.js';
import { auditClerkWrites, runClerkWrites, type RunClerkWrites } from './clerk-write-audit.js';
import { checkInvariants, held, type InvariantCounts, type UserTruth } from './invariants.js';
import { busiestWindow, processFootprint, serviceProcess, slope, type ServiceProcess } from './processes.js';

interface ChaosOptions {
  users: number;
  storm: number;
  quick: boolean;
  resultsDir: string;
  convergeTimeoutS: number;
  /** Milliseconds between two sign-ups of the burst (which lasts at least as long as the fault schedule). */
  spacingMs: number;
  /** Soak instead of one burst: a steady sign-up rate with a fault every two minutes, for this long. */
  soakMinutes?: number;
}

const CLERK_RATE_PER_SECOND = 5;

interface FaultRecord {
  fault: string;
  at: number;
  detail?: string;
  /** Whether the fault met work in flight (a request refused, a connection held, a run open, a task killed). */
  hit?: boolean;
}

/**
 * The driver's own calls to the stand-in and Temporal: under the load it makes, one of them can fail (a socket
 * reset, `fetch failed`); it tries again rather than end the run on its own I/O.
 */
async function retrying<T>(call: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(Math.min(5_000, 250 * 2 ** attempt));
    }
  }
}

export async function runChaos(options: ChaosOptions): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'per-user-db-chaos-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as `postgres` and must reach its folder
  const cleanups: Array<() => Promise<unknown>> = [];
  const faults: FaultRecord[] = [];
  const note = (fault: string, hit: boolean | undefined, detail?: string) => {
    faults.push({ fault, at: Date.now(), detail, hit });
    process.stdout.write(
      `fault: ${fault}${detail ? ` (${detail})` : ''}${hit === false ? ' — hit nothing in flight' : ''}\n`,
    );
  };
  try {
    const pgPort = await freePort();
    const pgPassword = randomBytes(18).toString('base64url');
    const pgOptions = { dir: join(dir, 'postgres'), port: pgPort, password: pgPassword, keepData: true };
    let postgres: EmbeddedPostgresHandle = await startEmbeddedPostgres(pgOptions);
    cleanups.push(() => postgres.stop());

    const temporalOptions = {
      executable: await temporalExecutable(process.env),
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: join(dir, 'temporal.db'),
      namespace: 'default',
      logFile: join(dir, 'temporal.log'),
    };
    let temporal: TemporalDevServer = await startTemporalDevServer(temporalOptions);
    cleanups.push(() => temporal.stop());

    const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
    const signingSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const receiverPorts = [await freePort(), await freePort()];
    const endpoints = receiverPorts.map((port) => ({ url: `http://127.0.0.1:${port}/webhooks/clerk`, signingSecret }));
    // Every event goes to both receivers: a duplicate across the fleet for every sign-up.
    const standIn: ClerkStandIn = await startClerkStandIn({
      secretKey,
      webhooks: endpoints,
      retryTimeScale: 0.002,
      attemptTimeoutMs: 5_000,
    });
    cleanups.push(() => standIn.stop());
    // The workers' Clerk requests, counted where they pass (the stand-in also serves this driver's own).
    const workerClerkRequests: number[] = [];
    let clerkHung = false;
    let workerClerkChunks = 0;
    /** The stand-in's answers to the workers by status (500, 429…): which injected faults met the workers' work. */
    const workerClerkAnswers = new Map<string, number>();
    const clerkProxy = await startTcpProxy('127.0.0.1', standIn.port, {
      onClientData: (chunk) => {
        workerClerkChunks += 1;
        if (clerkHung) return; // dropped at the proxy: Clerk never sees them
        const requests = chunk.toString('latin1').match(/^(GET|POST|PATCH|PUT|DELETE) \/v1\//gm)?.length ?? 0;
        for (let i = 0; i < requests; i += 1) workerClerkRequests.push(Date.now());
      },
      onServerData: (chunk) => {
        for (const [, status] of chunk.toString('latin1').matchAll(/^HTTP\/1\.1 (\d{3}) /gm))
          workerClerkAnswers.set(status!, (workerClerkAnswers.get(status!) ?? 0) + 1);
      },
    });
    let workerPgChunks = 0;
    const pgProxy = await startTcpProxy('127.0.0.1', pgPort, { onClientData: () => (workerPgChunks += 1) });
    cleanups.push(clerkProxy.close, pgProxy.close);

    const taskQueue = `chaos-${randomBytes(4).toString('hex')}`;
    const common = {
      TEMPORAL_ADDRESS: temporal.address,
      TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'info',
      CLERK_SECRET_KEY: secretKey,
      CLERK_RATE_LIMIT_PER_SECOND: String(CLERK_RATE_PER_SECOND),
    };
    const workerEnv = {
      ...common,
      DB_PROVIDER: 'postgres',
      DATABASE_URL: `postgres://postgres:${encodeURIComponent(pgPassword)}@127.0.0.1:${pgProxy.port}/postgres`,
      TENANT_PASSWORD_SECRET: randomBytes(32).toString('hex'),
      CLERK_API_URL: `http://127.0.0.1:${clerkProxy.port}`,
    };
    const workers = ['worker-a', 'worker-b'].map((name) => serviceProcess(name, 'worker', workerEnv));
    // The receivers reach Temporal through a proxy that can hold Temporal's answers: a start accepted, unanswered.
    const temporalProxy = await startTcpProxy('127.0.0.1', temporalOptions.port);
    cleanups.push(temporalProxy.close);
    const receivers = receiverPorts.map((port, i) =>
      serviceProcess(`receiver-${'ab'[i]}`, 'webhook', {
        ...common,
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalProxy.port}`,
        PORT: String(port),
        CLERK_WEBHOOK_SIGNING_SECRET: signingSecret,
        CLERK_API_URL: `http://127.0.0.1:${standIn.port}`,
      }),
    );
    const services: ServiceProcess[] = [...workers, ...receivers];
    await Promise.all(services.map((s) => s.start()));
    cleanups.push(() => Promise.all(services.map((s) => s.kill('SIGKILL'))));

    const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
    const reconnect = async () => {
      await client.connection.close().catch(() => undefined);
      return new Client({ connection: await Connection.connect({ address: temporal.address }) });
    };
    let temporalClient = client;
    const clerk = createClerkApi({ secretKey, apiUrl: standIn.url });
    const signer = new Webhook(signingSecret);

    /** A signed delivery straight to one receiver, as a Svix redelivery would be (its own svix-id). */
    const deliver: Deliver = async (receiver, type, data, id = `msg_${randomBytes(12).toString('hex')}`) => {
      const payload = JSON.stringify(userEvent(type, data, standIn.instanceId, { client_ip: '', user_agent: 'chaos' }));
      const now = new Date();
      try {
        const answer = await fetch(endpoints[receiver]!.url, {
          method: 'POST',
          body: payload,
          headers: {
            'content-type': 'application/json',
            'svix-id': id,
            'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
            'svix-signature': signer.sign(id, now, payload),
          },
          signal: AbortSignal.timeout(15_000),
        });
        return answer.status;
      } catch {
        // a receiver down right now: the stand-in's own deliveries are the ones that retry
        return undefined;
      }
    };

    const truth: UserTruth = { alive: new Set(), all: new Set(), metadata: new Map() };
    const started = Date.now();

    // Sign-ups, interleaved deletions, duplicates and a user.deleted that overtakes its user.created.

    /** One sign-up; every fourth also delivered directly, every fifth deleted again and redelivered after. */
    const signUp = async (i: number) => {
      const email = `chaos-${i}-${randomBytes(4).toString('hex')}@example.com`;
      const user = await retrying(() => clerk.users.createUser({ emailAddress: [email] }));
      truth.all.add(user.id);
      truth.alive.add(user.id);
      const data = { id: user.id, object: 'user' };
      if (i % 4 === 1) await deliver(i % 2, 'user.created', data);
      if (i % 5 === 2) {
        await sleep(500 + (i % 3) * 700);
        const deleted = await retrying(() => clerk.users.deleteUser(user.id)).then(
          () => true,
          // A deletion whose answer was lost still deleted: the user is gone when Clerk says so.
          () =>
            clerk.users.getUser(user.id).then(
              () => false,
              () => true,
            ),
        );
        if (!deleted) return;
        truth.alive.delete(user.id);
        // Out of order: the deletion reaches a receiver again, then the old sign-up is redelivered.
        await deliver(1, 'user.deleted', { id: user.id, object: 'user', deleted: true });
        await deliver(0, 'user.created', data);
      }
    };

    /** `count` sign-ups, one every spacingMs, and more until `busyUntil` settles (work in flight for each fault). */
    const burst = async (count: number, busyUntil?: Promise<unknown>) => {
      let busy = busyUntil !== undefined;
      const idle = () => (busy = false);
      void busyUntil?.then(idle, idle);
      const signUps: Array<Promise<void>> = [];
      for (let i = 0; i < count || busy; i += 1) {
        if (i > 0) await sleep(options.spacingMs);
        signUps.push(signUp(i));
      }
      await Promise.all(signUps);
    };

    /**
     * The receivers killed after Temporal accepted a start and before they answered: Temporal's answers held at
     * the proxy, a new user's delivery posted, the run seen to exist (the driver's own connection), both
     * receivers SIGKILLed (the stand-in delivers to both). Then the same delivery again (Svix keeps its id)
     * must attach to that run: one run, the same run id.
     */
    const killReceiversAfterStart = async () => {
      // Each receiver's Temporal connection up first (a restart of Temporal just cut it): with answers held, a
      // new connection could not even finish its handshake, and no start would reach Temporal.
      const known = [...truth.alive].at(-1);
      for (const receiver of [0, 1]) {
        await retrying(async () => {
          const status = known && (await deliver(receiver, 'user.created', { id: known, object: 'user' }));
          if (status !== 202) throw new Error(`receiver ${receiver} answered ${status}`);
        }, 12);
      }
      const email = `chaos-receiver-kill-${randomBytes(4).toString('hex')}@example.com`;
      temporalProxy.holdAnswers(true);
      const user = await retrying(() => clerk.users.createUser({ emailAddress: [email] }));
      truth.all.add(user.id);
      truth.alive.add(user.id);
      const data = { id: user.id, object: 'user' };
      const svixId = `msg_${randomBytes(12).toString('hex')}`;
      const answer = deliver(1, 'user.created', data, svixId);
      const handle = temporalClient.workflow.getHandle(provisionWorkflowId(user.id));
      let runId: string | undefined;
      for (const until = Date.now() + 30_000; runId === undefined && Date.now() < until; await sleep(100)) {
        runId = await handle.describe().then(
          (d) => d.runId,
          () => undefined,
        );
      }
      await Promise.all(receivers.map((r) => r.kill('SIGKILL')));
      const answeredBeforeKill = await answer;
      temporalProxy.holdAnswers(false);
      await Promise.all(receivers.map((r) => r.start()));
      const redelivery = await retrying(async () => {
        const status = await deliver(1, 'user.created', data, svixId);
        if (status === undefined || status >= 500) throw new Error(`redelivery answered ${status}`);
        return status;
      });
      let runs = 0;
      for await (const _ of temporalClient.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs += 1;
      const attachedRunId = (await handle.describe()).runId;
      receiverKill = { answeredBeforeKill, redelivery, runs, sameRun: runId !== undefined && attachedRunId === runId };
      note(
        'SIGKILL both receivers after Temporal accepted the start, before they answered',
        runId !== undefined && answeredBeforeKill === undefined,
        JSON.stringify(receiverKill),
      );
    };
    let receiverKill: { answeredBeforeKill?: number; redelivery: number; runs: number; sameRun: boolean } | undefined;

    const openRuns = async () => {
      let open = 0;
      for await (const _ of temporalClient.workflow.list({
        query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND WorkflowType IN ('provisionDatabase', 'deprovisionDatabase')`,
      })) {
        open += 1;
      }
      return open;
    };

    /**
     * The worker (`<pid>@<host>`) running `step` of a provisioning run right now, if any. The database steps are
     * local activities inside the run's first workflow task: in flight while its WorkflowTaskStarted is the last
     * event and the Clerk step is not yet scheduled; that event names the worker. The Clerk step is an activity:
     * the pending activity's last worker identity names it.
     */
    const workerRunning = async (workflowId: string, step: 'database steps' | 'recordOnClerkIfUserExists') => {
      const handle = temporalClient.workflow.getHandle(workflowId);
      if (step === 'database steps') {
        const events = (await handle.fetchHistory().catch(() => undefined))?.events ?? [];
        if (events.some((e) => e.activityTaskScheduledEventAttributes)) return undefined;
        return events.at(-1)?.workflowTaskStartedEventAttributes?.identity ?? undefined;
      }
      const description = await handle.describe().catch(() => undefined);
      const running = description?.raw.pendingActivities?.find(
        (a) => a.activityType?.name === step && a.state === 2, // STARTED: a worker holds it
      );
      return running?.lastWorkerIdentity ?? undefined;
    };

    /** Kills the worker that runs `step` for some provisioning run right now, then starts it again. */
    const killDuring = async (step: 'database steps' | 'recordOnClerkIfUserExists') => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        for await (const execution of temporalClient.workflow.list({
          query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND WorkflowType = 'provisionDatabase'`,
        })) {
          const identity = await workerRunning(execution.workflowId, step);
          const worker = workers.find((w) => identity?.startsWith(`${w.pid()}@`));
          if (worker) {
            await worker.kill('SIGKILL');
            note(`SIGKILL ${worker.name} during ${step}`, true, execution.workflowId);
            await worker.start();
            return;
          }
        }
        await sleep(50);
      }
      note(`SIGKILL a worker during ${step}`, false, 'not observed within 30 s: no kill');
    };

    /** Keeps a Clerk fault on until a worker's request met it (at most 30 s). */
    const clerkFault = async (
      fault: string,
      settings: Parameters<ClerkStandIn['setFaults']>[0],
      injected: () => number,
    ) => {
      const before = injected();
      const until = Date.now() + 30_000;
      standIn.setFaults(settings);
      while (injected() === before && Date.now() < until) await sleep(250);
      await sleep(2_000);
      standIn.setFaults({ serverErrorShare: 0, tooManyRequestsShare: 0 });
      note(fault, injected() > before, `${injected() - before} worker requests answered so`);
    };

    /** A blackhole, `ms` long, and whether the workers sent anything into it. */
    const blackhole = async (fault: string, proxy: typeof pgProxy, ms: number, sent: () => number) => {
      const before = sent();
      proxy.blackhole(true);
      await sleep(ms);
      proxy.blackhole(false);
      note(fault, sent() > before, `${sent() - before} writes held`);
    };

    // Faults on Clerk first, while the burst's first sign-ups reach their Clerk step; every other fault
    // records whether runs were open when it struck.
    const schedule = async () => {
      await killDuring('database steps');
      await clerkFault(
        'Clerk answers 500 to 30% of requests',
        { serverErrorShare: 0.3 },
        () => workerClerkAnswers.get('500') ?? 0,
      );
      await clerkFault(
        'Clerk answers 429 Retry-After: 1 to 30% of requests',
        { tooManyRequestsShare: 0.3, tooManyRequestsRetryAfterSeconds: 1 },
        () => workerClerkAnswers.get('429') ?? 0,
      );
      await killDuring('database steps');
      // A Clerk that hangs holds the Clerk step pending: the moment to kill the worker holding it.
      const heldBefore = workerClerkChunks;
      clerkProxy.blackhole((clerkHung = true));
      await killDuring('recordOnClerkIfUserExists');
      await sleep(4_000);
      clerkProxy.blackhole((clerkHung = false));
      note(
        'Clerk hangs (connections blackholed)',
        workerClerkChunks > heldBefore,
        `${workerClerkChunks - heldBefore} writes held`,
      );
      await blackhole('PostgreSQL connections blackholed for 6 s', pgProxy, 6_000, () => workerPgChunks);
      note('PostgreSQL restarted', (await openRuns()) > 0);
      await postgres.stop();
      postgres = await startEmbeddedPostgres(pgOptions);
      note('Temporal dev server restarted (same SQLite file)', (await openRuns()) > 0);
      await temporal.stop();
      temporal = await startTemporalDevServer(temporalOptions);
      temporalClient = await reconnect();
      await killReceiversAfterStart();
    };

    const soak = options.soakMinutes
      ? await runSoak(options.soakMinutes, {
          signUp: burst,
          services,
          faults: [
            async () => {
              standIn.setFaults({ serverErrorShare: 0.3 });
              note('Clerk answers 500 to 30% of requests for 10 s', undefined);
              await sleep(10_000);
              standIn.setFaults({ serverErrorShare: 0 });
            },
            async () => {
              pgProxy.blackhole(true);
              note('PostgreSQL connections blackholed for 6 s', undefined);
              await sleep(6_000);
              pgProxy.blackhole(false);
            },
            async () => {
              clerkProxy.blackhole(true);
              note('Clerk hangs for 8 s', undefined);
              await sleep(8_000);
              clerkProxy.blackhole(false);
            },
          ],
        })
      : await (async () => {
          const faultsDone = schedule();
          await Promise.all([burst(options.users, faultsDone), faultsDone]);
          return undefined;
        })();
    const faultsEnded = Date.now();

    // Convergence: every invariant holds.
    let counts: InvariantCounts | undefined;
    const deadline = Date.now() + options.convergeTimeoutS * 1000;
    do {
      for (const id of truth.alive) {
        const user = await retrying(() => clerk.users.getUser(id));
        truth.metadata.set(id, (user.publicMetadata.database ?? {}) as { status?: string; name?: string });
      }
      counts = await checkInvariants(postgres.url, temporalClient, taskQueue, truth).catch(() => undefined);
      if (counts && held(counts)) break;
      process.stdout.write(`converging: ${JSON.stringify(counts ?? 'invariants not readable yet')}\n`);
      await sleep(5_000);
    } while (Date.now() < deadline);
    const convergedMs = Date.now() - faultsEnded;

    const storm =
      options.storm > 0
        ? await runStorm(options.storm, {
            clerk,
            standIn,
            deliver,
            client: temporalClient,
            taskQueue,
            pgUrl: postgres.url,
          })
        : undefined;

    const stats = standIn.faultStats();
    const missed = faults.filter((f) => f.hit === false).map((f) => f.fault);
    const perSecond = new Map<number, number>();
    for (const t of workerClerkRequests)
      perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const result = {
      date: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      users: truth.all.size,
      liveUsers: truth.alive.size,
      workers: workers.length,
      receivers: receivers.length,
      faults,
      faultWindowMs: faultsEnded - started,
      /** Faults that met no work in flight: the run fails, it proved nothing about them. */
      faultsMissed: missed,
      /** The redelivery after the receivers died between Temporal's accept and their answer. */
      receiverKill,
      converged: counts !== undefined && held(counts),
      timeToConvergeMs: convergedMs,
      invariants: counts,
      clerk: {
        requests: stats.requests,
        workerRequests: workerClerkRequests.length,
        /** The whole fleet's (both workers') busiest second, against CLERK_RATE_LIMIT_PER_SECOND. */
        maxRequestsPerSecond: Math.max(0, ...perSecond.values()),
        /** The busiest 10 s (Clerk's own window), both workers and both Clerk queues together. */
        maxRequestsPer10s: busiestWindow(workerClerkRequests, 10_000),
        workerAnswersByStatus: Object.fromEntries(workerClerkAnswers),
        configuredRatePerSecond: CLERK_RATE_PER_SECOND,
        injected500: stats.injectedServerErrors,
        injected429: stats.injectedTooManyRequests,
        metadataLimitRefusals: stats.userMetadataLimitRefusals,
      },
      storm,
      soak,
    };
    await mkdir(options.resultsDir, { recursive: true });
    const file = join(
      options.resultsDir,
      `${options.soakMinutes ? 'soak' : 'chaos'}-${options.quick ? 'quick-' : ''}${result.date.slice(0, 19).replaceAll(':', '-')}.json`,
    );
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify({ ...result, faults: faults.length }, null, 2)}\nresults: ${file}\n`);
    await temporalClient.connection.close();
    const receiverKillOk = receiverKill === undefined || (receiverKill.runs === 1 && receiverKill.sameRun);
    const ok = result.converged && missed.length === 0 && receiverKillOk && (storm === undefined || storm.ok);
    return ok ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** A signed delivery to one receiver (index), as Svix sends it; its HTTP status, undefined without an answer. */
type Deliver = (
  receiver: number,
  type: UserEventType,
  data: { id: string } & Record<string, unknown>,
  svixId?: string,
) => Promise<number | undefined>;

interface StormDeps {
  clerk: ReturnType<typeof createClerkApi>;
  standIn: ClerkStandIn;
  deliver: Deliver;
  client: Client;
  taskQueue: string;
  pgUrl: string;
}

/**
 * Duplicate storm: every sign-up delivered three times at once (the stand-in's delivery to each receiver, plus
 * a redelivery with its own svix-id), all users concurrently. Exactly one run, one database and one Clerk write
 * activity per user; writes Clerk saw beyond that must each be a retried attempt of that activity.
 */
async function runStorm(users: number, deps: StormDeps) {
  const started = Date.now();
  const ids: string[] = [];
  const concurrency = 25;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < users) {
        next += 1;
        const email = `storm-${randomBytes(6).toString('hex')}@example.com`;
        const user = await retrying(() => deps.clerk.users.createUser({ emailAddress: [email] }));
        ids.push(user.id);
        void deps.deliver(ids.length % 2, 'user.created', { id: user.id, object: 'user' });
      }
    }),
  );
  const stormIds = new Set(ids);
  const truth: UserTruth = { alive: stormIds, all: stormIds, metadata: new Map() };
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    const list = await retrying(() => deps.clerk.users.getUserList({ limit: 500 }));
    let offset = 0;
    let page = list.data;
    while (page.length > 0) {
      for (const u of page)
        if (stormIds.has(u.id))
          truth.metadata.set(u.id, (u.publicMetadata.database ?? {}) as { status?: string; name?: string });
      offset += page.length;
      page = (await retrying(() => deps.clerk.users.getUserList({ limit: 500, offset }))).data;
    }
    const ready = [...stormIds].filter((id) => truth.metadata.get(id)?.status === 'ready').length;
    if (ready === users || Date.now() > deadline) break;
    await sleep(2_000);
  }
  const timeToReadyMs = Date.now() - started;
  const counts = await checkInvariants(deps.pgUrl, deps.client, deps.taskQueue, {
    ...truth,
    // Storm users only: the burst's users are checked by the chaos part.
    alive: stormIds,
  });
  // Every run of every storm user, and the Clerk write activities its history shows.
  const runsByUser = new Map<string, RunClerkWrites[]>();
  let runs = 0;
  let nextUser = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextUser < ids.length) {
        const id = ids[nextUser++]!;
        const found: RunClerkWrites[] = [];
        for await (const run of deps.client.workflow.list({ query: `WorkflowId = '${provisionWorkflowId(id)}'` })) {
          found.push(await retrying(() => runClerkWrites(deps.client, run.workflowId, run.runId)));
        }
        runs += found.length;
        runsByUser.set(id, found);
      }
    }),
  );
  const clerkWrites = auditClerkWrites(runsByUser, deps.standIn.faultStats().metadataWritesByUser);
  return {
    users,
    deliveriesPerUser: 3,
    timeToReadyMs,
    duplicateRuns: runs - users,
    lostSignUps: counts.lostSignUps,
    metadataMismatches: counts.metadataMismatches,
    clerkWrites,
    ok:
      runs === users &&
      counts.lostSignUps === 0 &&
      counts.metadataMismatches === 0 &&
      clerkWrites.duplicateActivities === 0 &&
      clerkWrites.unexplainedWrites === 0,
  };
}

interface SoakDeps {
  /** Signs up `count` users (every fifth deleted again), spaced as the options say. */
  signUp: (count: number) => Promise<void>;
  services: ServiceProcess[];
  faults: Array<() => Promise<void>>;
}

/**
 * A steady load for `minutes`: a batch of sign-ups every minute, a fault every two minutes (in turn), and every
 * 15 s each worker's and receiver's RSS and open file descriptors; the least-squares slope per minute of each
 * says whether they stay flat. Failed sign-up requests per minute show an error-rate drift.
 */
async function runSoak(minutes: number, deps: SoakDeps) {
  const started = Date.now();
  const samples = new Map<string, Array<{ t: number; rss: number; fds: number }>>();
  const errorsPerMinute: number[] = [];
  const sampler = setInterval(() => {
    for (const service of deps.services) {
      const pid = service.pid();
      if (pid === undefined) continue;
      void processFootprint(pid)
        .then(({ rssBytes, openFds }) => {
          const list = samples.get(service.name) ?? [];
          list.push({ t: (Date.now() - started) / 60_000, rss: rssBytes / 1024 / 1024, fds: openFds });
          samples.set(service.name, list);
        })
        .catch(() => undefined);
    }
  }, 15_000);
  try {
    for (let minute = 0; minute < minutes; minute += 1) {
      const minuteEnds = started + (minute + 1) * 60_000;
      const fault = minute % 2 === 1 ? deps.faults[((minute - 1) / 2) % deps.faults.length] : undefined;
      let errors = 0;
      await Promise.all([deps.signUp(20).catch(() => (errors += 1)), fault?.()]);
      errorsPerMinute.push(errors);
      await sleep(Math.max(0, minuteEnds - Date.now()));
    }
  } finally {
    clearInterval(sampler);
  }
  return {
    minutes,
    errorsPerMinute,
    slopesPerMinute: Object.fromEntries(
      [...samples].map(([name, list]) => [
        name,
        {
          samples: list.length,
          rssMiBPerMinute: slope(list.map((p) => ({ x: p.t, y: p.rss }))),
          openFdsPerMinute: slope(list.map((p) => ({ x: p.t, y: p.fds }))),
        },
      ]),
    ),
  };
}

const program = new Command('chaos')
  .description('the service under faults, then its invariants (see README, "Reliability")')
  .option('--quick', 'a few users, one fault of each kind, a 100 × 3 storm (what npm test runs)', false)
  .option('--users <n>', 'sign-ups in the burst', (v) => Number.parseInt(v, 10))
  .option('--storm <n>', 'users in the duplicate storm (each delivered 3 times); 0 skips it', (v) =>
    Number.parseInt(v, 10),
  )
  .option('--results-dir <dir>', 'where the results JSON goes', 'reliability/results')
  .action(async (flags: { quick: boolean; users?: number; storm?: number; resultsDir: string }) => {
    const code = await runChaos({
      quick: flags.quick,
      users: flags.users ?? (flags.quick ? 12 : 60),
      storm: flags.storm ?? (flags.quick ? 100 : 1000),
      resultsDir: flags.resultsDir,
      convergeTimeoutS: flags.quick ? 240 : 600,
      spacingMs: flags.quick ? 4_000 : 1_000,
    });
    process.exit(code);
  });
if (process.argv[1] === fileURLToPath(import.meta.url)) await program.parseAsync();
