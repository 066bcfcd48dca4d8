import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { clerkUserIdSchema } from '../../src/domain/index.js';
import { signingKeyRecordSchema, type SigningKeyRecord } from './session-keys.js';
import type { UserRecord } from './user-store.js';
import { pendingDeliverySchema, type PendingDelivery } from './webhook-delivery.js';

export class ClerkStandInStateFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`Clerk stand-in state file ${file} ${problem}. Fix or delete it; no user was loaded or overwritten.`);
    this.name = 'ClerkStandInStateFileError';
  }
}

const metadata = z.record(z.string(), z.unknown()).nullable();
const epochMs = z.number().int().nonnegative();

const userRecordSchema = z.strictObject({
  id: clerkUserIdSchema,
  externalId: z.string().nullable(),
  username: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  passwordEnabled: z.boolean(),
  emailAddresses: z.array(
    z.strictObject({ id: z.string().startsWith('idn_'), emailAddress: z.string(), createdAt: epochMs }),
  ),
  publicMetadata: metadata,
  privateMetadata: metadata,
  unsafeMetadata: metadata,
  createdAt: epochMs,
  updatedAt: epochMs,
}) satisfies z.ZodType<UserRecord>;

const stateSchema = z.strictObject({
  version: z.literal(1),
  /** The session-token key pair, so that tokens issued before a restart still verify after it. */
  signingKey: signingKeyRecordSchema.optional(),
  /** In the store's insertion order, which breaks ties between users created in the same millisecond. */
  users: z.array(userRecordSchema).superRefine((users, ctx) => {
    const seen = new Set<string>();
    users.forEach((user, index) => {
      if (seen.has(user.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: 'appears twice' });
      seen.add(user.id);
    });
  }),
  /**
   * Webhook deliveries not yet settled: Svix keeps retrying for a day whatever happens to the sender, so a
   * restart resumes them (absent in files written before deliveries were kept).
   */
  deliveries: z.array(pendingDeliverySchema).default([]),
});

export interface SavedState {
  users: UserRecord[];
  deliveries: PendingDelivery[];
}

/**
 * The stand-in's users and pending webhook deliveries in a JSON file, so that they outlive a restart (or a
 * crash). Writes replace the file atomically (temporary file in the same folder, then rename), one after
 * another, readable by the owner only; each write holds the latest users and deliveries.
 */
export class UserStateFile {
  private lastWrite: Promise<void> = Promise.resolve();
  private users: readonly UserRecord[] = [];
  private deliveries: readonly PendingDelivery[] = [];
  /** Read by `load()` when the file has one; written with every save once set. */
  signingKey?: SigningKeyRecord;

  constructor(readonly file: string) {}

  /** The saved state, empty when the file does not exist yet. A damaged file throws rather than losing users. */
  async load(): Promise<SavedState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { users: [], deliveries: [] };
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ClerkStandInStateFileError(this.file, `is not valid JSON (${(error as Error).message})`);
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      // Paths and zod's messages only: the values are user data.
      const { issues } = parsed.error;
      const problems = issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      if (issues.length > 5) problems.push(`${issues.length - 5} more`);
      throw new ClerkStandInStateFileError(this.file, `does not hold stand-in users (${problems.join('; ')})`);
    }
    this.users = parsed.data.users;
    this.deliveries = parsed.data.deliveries;
    this.signingKey = parsed.data.signingKey;
    return { users: parsed.data.users, deliveries: parsed.data.deliveries };
  }

  /** Queues a write of `users` as they are now; resolves once that write (and every earlier one) is done. */
  save(users: readonly UserRecord[]): Promise<void> {
    this.users = users;
    return this.write();
  }

  /** Queues a write of the pending deliveries as they are now, with the latest users. */
  saveDeliveries(deliveries: readonly PendingDelivery[]): Promise<void> {
    this.deliveries = deliveries;
    return this.write();
  }

  /** Resolves once every write queued so far is done (or has failed). */
  settled(): Promise<void> {
    return this.lastWrite.catch(() => undefined);
  }

  private write(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, signingKey: this.signingKey, users: this.users, deliveries: this.deliveries }, null, 2)}\n`;
    // A failed write must not block later ones: each write holds the whole state, so the next one repairs it.
    const write = this.lastWrite.catch(() => undefined).then(() => this.replaceFile(text));
    this.lastWrite = write;
    return write;
  }

  private async replaceFile(text: string): Promise<void> {
    const folder = dirname(this.file);
    await mkdir(folder, { recursive: true });
    const temporary = join(folder, `.${basename(this.file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
