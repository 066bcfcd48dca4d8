import { z } from 'zod';
import { internalError, tooManyRequests } from './errors.js';
import { parseSettings } from './settings-error.js';

const share = z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' });

const userMetadataLimitSchema = z.strictObject({
  /** Accepted metadata writes per user per window (Clerk: 10). */
  writes: z.number().int().min(1),
  /** Window length in milliseconds (Clerk: 10 000). */
  windowMs: z.number().int().min(1),
});

/** Every field optional: `setFaults()` changes only the fields it is given. */
export const faultSettingsSchema = z.strictObject({
  /** Share (0–1) of /v1 requests answered 429 with `Retry-After`. */
  tooManyRequestsShare: share.optional(),
  /** The `Retry-After` seconds of those injected 429s. */
  tooManyRequestsRetryAfterSeconds: z.number().int().min(0).optional(),
  /** Share (0–1) of /v1 requests answered 500, without doing anything. */
  serverErrorShare: share.optional(),
  /** /v1 requests are held unanswered while this is true (a Clerk that hangs); lifting it lets them through. */
  hang: z.boolean().optional(),
  /** Clerk's per-user limit on PATCH/PUT metadata; on by default as in Clerk, `false` turns it off. */
  userMetadataLimit: z.union([userMetadataLimitSchema, z.literal(false)]).optional(),
});

export type FaultSettings = z.input<typeof faultSettingsSchema>;
type Settings = Required<z.output<typeof faultSettingsSchema>>;

const DEFAULTS: Settings = {
  tooManyRequestsShare: 0,
  tooManyRequestsRetryAfterSeconds: 1,
  serverErrorShare: 0,
  hang: false,
  userMetadataLimit: { writes: 10, windowMs: 10_000 },
};

export interface FaultStats {
  /** /v1 requests that passed the key check. */
  requests: number;
  /** When each of those requests arrived (ms since the epoch): the rate Clerk would see. */
  requestTimes: number[];
  injectedTooManyRequests: number;
  injectedServerErrors: number;
  /** Requests held by `hang` (counted when they arrive). */
  heldRequests: number;
  /** Metadata writes refused by the per-user limit: 0 means the client never exceeded it. */
  userMetadataLimitRefusals: number;
  /** Per user, when each metadata write the limit let through arrived (ms since the epoch). */
  metadataWritesByUser: Record<string, number[]>;
}

/** Decides which requests fail on purpose, and counts what it did. */
export class FaultInjector {
  private settings: Settings = { ...DEFAULTS };
  private readonly writes = new Map<string, number[]>();
  private readonly requestTimes: number[] = [];
  private readonly held = new Set<() => void>();
  private readonly counts = {
    requests: 0,
    injectedTooManyRequests: 0,
    injectedServerErrors: 0,
    heldRequests: 0,
    userMetadataLimitRefusals: 0,
  };

  constructor(settings: FaultSettings = {}) {
    this.update(settings);
  }

  update(settings: FaultSettings): void {
    const parsed = parseSettings(faultSettingsSchema, settings, 'faults');
    const given = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
    this.settings = { ...this.settings, ...given };
    if (!this.settings.hang) {
      for (const release of this.held) release();
      this.held.clear();
    }
  }

  /** Called for every authenticated /v1 request; throws the injected error, if any, or holds it while hanging. */
  async onRequest(): Promise<void> {
    this.counts.requests += 1;
    this.requestTimes.push(Date.now());
    if (this.settings.hang) {
      this.counts.heldRequests += 1;
      await new Promise<void>((release) => this.held.add(release));
    }
    if (Math.random() < this.settings.tooManyRequestsShare) {
      this.counts.injectedTooManyRequests += 1;
      throw tooManyRequests(this.settings.tooManyRequestsRetryAfterSeconds);
    }
    if (Math.random() < this.settings.serverErrorShare) {
      this.counts.injectedServerErrors += 1;
      throw internalError();
    }
  }

  /** Called for each PATCH/PUT metadata request; refuses it with 429 when the user's window is full. */
  onMetadataWrite(userId: string): void {
    const now = Date.now();
    const limit = this.settings.userMetadataLimit;
    const history = this.writes.get(userId) ?? [];
    if (limit) {
      const inWindow = history.filter((t) => t > now - limit.windowMs);
      // The write whose expiry frees a slot (the oldest one, unless the limit was lowered meanwhile).
      const blocking = inWindow[inWindow.length - limit.writes];
      if (blocking !== undefined) {
        this.counts.userMetadataLimitRefusals += 1;
        const seconds = Math.max(1, Math.ceil((blocking + limit.windowMs - now) / 1000));
        throw tooManyRequests(
          seconds,
          `Too many metadata updates for user ${userId}: at most ${limit.writes} per ${limit.windowMs} ms.`,
        );
      }
    }
    history.push(now);
    this.writes.set(userId, history);
  }

  stats(): FaultStats {
    return {
      ...this.counts,
      requestTimes: [...this.requestTimes],
      metadataWritesByUser: Object.fromEntries([...this.writes].map(([id, times]) => [id, [...times]])),
    };
  }
}
