import { listenJson } from '../http/json-server.js';
import { FaultInjector, type FaultSettings, type FaultStats } from './faults.js';
import { newId } from './ids.js';
import { parseClerkStandInOptions, parseWebhookEndpoint, type ClerkStandInOptions } from './options.js';
import { routes } from './routes.js';
import { standInRequestListener } from './server.js';
import { SessionSigningKey } from './session-keys.js';
import { SessionIssuer } from './sessions.js';
import { UserStateFile } from './user-state-file.js';
import { UserStore, type UserRecord } from './user-store.js';
import { WebhookDelivery, type DeliveryMatch, type DeliveryRecord, type WebhookEndpoint } from './webhook-delivery.js';

export {
  clerkStandInOptionsSchema,
  parseClerkStandInOptions,
  type ClerkStandInOptions,
  type ParsedClerkStandInOptions,
} from './options.js';
export { ClerkStandInOptionsError } from './settings-error.js';
export { ClerkStandInStateFileError } from './user-state-file.js';
export type { FaultSettings, FaultStats } from './faults.js';
export type {
  DeliveryAttempt,
  DeliveryMatch,
  DeliveryRecord,
  DeliveryState,
  WebhookEndpoint,
} from './webhook-delivery.js';

export interface ClerkStandIn {
  /** Base URL to give `createClerkClient({ apiUrl })`, e.g. `http://127.0.0.1:3100`. */
  readonly url: string;
  readonly port: number;
  readonly instanceId: string;
  /** The PEM public key session tokens are signed with: what Clerk's dashboard shows as the JWT public key. */
  readonly jwtPublicKey: string;
  /**
   * Closes the server and stops every pending webhook retry (with `stateFile`, they stay saved there and the
   * next start resumes them); nothing keeps running afterwards, and the state file holds the last change.
   */
  stop(): Promise<void>;
  addWebhookEndpoint(endpoint: WebhookEndpoint): void;
  /** Changes only the fields given; the others keep their values. */
  setFaults(faults: FaultSettings): void;
  faultStats(): FaultStats;
  /** Every webhook delivery so far (or those matching), with each attempt. Copies: safe to keep. */
  deliveries(match?: DeliveryMatch): DeliveryRecord[];
  /** Resolves once a delivery matching `match` has succeeded, failed for good or been cancelled. */
  waitForDelivery(match: DeliveryMatch, timeoutMs?: number): Promise<DeliveryRecord>;
}

/**
 * Starts a local stand-in for the Clerk Backend API subset per-user-db uses, which also sends Clerk's
 * `user.created` / `user.deleted` webhooks the way Svix does. Used by tests and by the offline `npm start`.
 */
export async function startClerkStandIn(options: ClerkStandInOptions): Promise<ClerkStandIn> {
  const { logger, ...data } = options;
  const settings = parseClerkStandInOptions(data);
  const instanceId = settings.instanceId ?? newId('ins');
  const stateFile = settings.stateFile === undefined ? undefined : new UserStateFile(settings.stateFile);
  const saved = await stateFile?.load();
  const signingKey = await sessionSigningKey(stateFile, saved?.users ?? []);
  const store = new UserStore(saved?.users ?? [], stateFile);
  const faults = new FaultInjector(settings.faults);
  const webhooks = new WebhookDelivery(settings.webhooks, {
    retryTimeScale: settings.retryTimeScale,
    attemptTimeoutMs: settings.attemptTimeoutMs,
    logger,
    persistence: stateFile,
  });
  webhooks.resume(saved?.deliveries ?? []);
  let url = '';
  const sessions = new SessionIssuer({
    key: signingKey,
    issuer: () => url,
    authorizedParty: settings.authorizedParty,
  });
  const listener = standInRequestListener({
    routes: routes({ store, faults, webhooks, sessions, signingKey, instanceId, logger }),
    secretKey: settings.secretKey,
    beforeBackendApi: () => faults.onRequest(),
    logger,
  });
  const listening = await listenJson(listener, { port: settings.port, host: settings.host });
  url = listening.url;
  const { port, close } = listening;
  logger?.info(
    { url, instanceId, webhookEndpoints: settings.webhooks.length, stateFile: settings.stateFile },
    'Clerk stand-in listening',
  );

  return {
    url,
    port,
    instanceId,
    jwtPublicKey: signingKey.publicKeyPem(),
    async stop() {
      await Promise.all([close(), webhooks.stop()]);
      await store.settled();
      await stateFile?.settled();
    },
    addWebhookEndpoint: (endpoint) => webhooks.addEndpoint(parseWebhookEndpoint(endpoint)),
    setFaults: (changes) => faults.update(changes),
    faultStats: () => faults.stats(),
    deliveries: (match) => webhooks.deliveries(match),
    waitForDelivery: (match, timeoutMs) => webhooks.waitForDelivery(match, timeoutMs),
  };
}

/** The state file's key pair, or a new one (saved at once, so that the next start signs with the same key). */
async function sessionSigningKey(
  stateFile: UserStateFile | undefined,
  saved: UserRecord[],
): Promise<SessionSigningKey> {
  if (stateFile?.signingKey) return SessionSigningKey.from(stateFile.signingKey);
  const key = SessionSigningKey.generate();
  if (stateFile) {
    stateFile.signingKey = key.record;
    await stateFile.save(saved);
  }
  return key;
}
