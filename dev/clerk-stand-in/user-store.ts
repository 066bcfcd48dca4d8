import { notFound, unprocessable } from './errors.js';
import { newId } from './ids.js';
import { deepMergeMetadata, type Metadata } from './metadata.js';

export interface EmailAddressRecord {
  id: string;
  emailAddress: string;
  createdAt: number;
}

export interface UserRecord {
  id: string;
  externalId: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  passwordEnabled: boolean;
  emailAddresses: EmailAddressRecord[];
  publicMetadata: Metadata | null;
  privateMetadata: Metadata | null;
  unsafeMetadata: Metadata | null;
  /** Milliseconds since the epoch, as Clerk sends them. */
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  externalId?: string;
  username?: string;
  firstName?: string;
  lastName?: string;
  passwordEnabled: boolean;
  emailAddresses: string[];
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  unsafeMetadata?: Metadata;
  createdAt?: number;
}

export interface MetadataFields {
  publicMetadata?: Metadata | null;
  privateMetadata?: Metadata | null;
  unsafeMetadata?: Metadata | null;
}

export interface UserFilters {
  userIds?: string[];
  externalIds?: string[];
  emailAddresses?: string[];
}

export type UserOrder = `${'' | '+' | '-'}${'created_at' | 'updated_at'}`;

export interface UserListQuery extends UserFilters {
  limit: number;
  offset: number;
  orderBy: UserOrder;
}

/** Clerk caps a user's metadata (public, private and unsafe together) at 8 KB. */
const METADATA_LIMIT_BYTES = 8 * 1024;
const METADATA_FIELDS = ['publicMetadata', 'privateMetadata', 'unsafeMetadata'] as const;
const PARAM_NAMES = {
  publicMetadata: 'public_metadata',
  privateMetadata: 'private_metadata',
  unsafeMetadata: 'unsafe_metadata',
} as const;

function assertMetadataFits(user: Pick<UserRecord, (typeof METADATA_FIELDS)[number]>, changed: string): void {
  const bytes = METADATA_FIELDS.reduce((sum, f) => sum + Buffer.byteLength(JSON.stringify(user[f] ?? {})), 0);
  if (bytes > METADATA_LIMIT_BYTES) {
    throw unprocessable(
      'form_param_exceeds_allowed_size',
      changed,
      `Metadata would be ${bytes} bytes; public, private and unsafe metadata together may be at most ${METADATA_LIMIT_BYTES} bytes.`,
    );
  }
}

function matches(user: UserRecord, filters: UserFilters): boolean {
  const emails = filters.emailAddresses?.map((e) => e.toLowerCase());
  return (
    (!filters.userIds?.length || filters.userIds.includes(user.id)) &&
    (!filters.externalIds?.length || (user.externalId !== null && filters.externalIds.includes(user.externalId))) &&
    (!emails?.length || user.emailAddresses.some((e) => emails.includes(e.emailAddress.toLowerCase())))
  );
}

/** Where the store keeps its users across restarts (see `UserStateFile`). Saves must complete in call order. */
export interface UserPersistence {
  save(users: readonly UserRecord[]): Promise<void>;
}

/**
 * The stand-in's users, in memory and, with `persistence`, saved after every change: changes resolve once saved.
 * Every method either succeeds or fails with a Clerk-shaped error.
 */
export class UserStore {
  /** Insertion order doubles as the tie-break when two users share a millisecond. */
  private readonly users = new Map<string, UserRecord>();
  private lastSave: Promise<void> = Promise.resolve();

  constructor(
    initial: readonly UserRecord[] = [],
    private readonly persistence?: UserPersistence,
  ) {
    for (const user of initial) this.users.set(user.id, user);
  }

  /** Resolves once every change so far has been saved (or its save has failed). */
  async settled(): Promise<void> {
    await this.lastSave.catch(() => undefined);
  }

  async create(input: NewUser): Promise<UserRecord> {
    this.assertUnique(input);
    const now = Date.now();
    const createdAt = input.createdAt ?? now;
    const user: UserRecord = {
      id: newId('user'),
      externalId: input.externalId ?? null,
      username: input.username ?? null,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
      passwordEnabled: input.passwordEnabled,
      emailAddresses: input.emailAddresses.map((emailAddress) => ({ id: newId('idn'), emailAddress, createdAt: now })),
      publicMetadata: input.publicMetadata ?? {},
      privateMetadata: input.privateMetadata ?? {},
      unsafeMetadata: input.unsafeMetadata ?? {},
      createdAt,
      updatedAt: now,
    };
    assertMetadataFits(user, 'public_metadata');
    this.users.set(user.id, user);
    await this.save();
    return user;
  }

  get(id: string): UserRecord {
    const user = this.users.get(id);
    if (!user) throw notFound(`No user was found with id ${id}.`);
    return user;
  }

  list(query: UserListQuery): UserRecord[] {
    const field = query.orderBy.endsWith('updated_at') ? 'updatedAt' : 'createdAt';
    const direction = query.orderBy.startsWith('-') ? -1 : 1;
    const indexed = [...this.users.values()].map((user, index) => ({ user, index }));
    return indexed
      .filter(({ user }) => matches(user, query))
      .sort((a, b) => direction * (a.user[field] - b.user[field] || a.index - b.index))
      .slice(query.offset, query.offset + query.limit)
      .map(({ user }) => user);
  }

  count(filters: UserFilters): number {
    let total = 0;
    for (const user of this.users.values()) if (matches(user, filters)) total += 1;
    return total;
  }

  /** PATCH /v1/users/:id/metadata: each field sent is deep-merged; `null` for a whole field clears it. */
  mergeMetadata(id: string, patch: MetadataFields): Promise<UserRecord> {
    const user = this.get(id);
    return this.writeMetadata(user, patch, (field, value) =>
      value === null ? {} : deepMergeMetadata(user[field] ?? {}, value),
    );
  }

  /** PUT /v1/users/:id/metadata: each field sent replaces the stored one whole (`null` is stored as null). */
  replaceMetadata(id: string, replacement: MetadataFields): Promise<UserRecord> {
    return this.writeMetadata(this.get(id), replacement, (_field, value) => value);
  }

  async delete(id: string): Promise<UserRecord> {
    const user = this.get(id);
    this.users.delete(id);
    await this.save();
    return user;
  }

  /** Saves the users as they are now; the change stays in memory even when saving fails. */
  private save(): Promise<void> {
    if (!this.persistence) return Promise.resolve();
    this.lastSave = this.persistence.save([...this.users.values()]);
    return this.lastSave;
  }

  private async writeMetadata(
    user: UserRecord,
    fields: MetadataFields,
    combine: (field: (typeof METADATA_FIELDS)[number], value: Metadata | null) => Metadata | null,
  ): Promise<UserRecord> {
    const next = { ...user };
    const sent = METADATA_FIELDS.filter((f) => fields[f] !== undefined);
    for (const field of sent) next[field] = combine(field, fields[field] ?? null);
    assertMetadataFits(next, PARAM_NAMES[sent[0] ?? 'publicMetadata']);
    next.updatedAt = Date.now();
    this.users.set(user.id, next);
    await this.save();
    return next;
  }

  private assertUnique(input: NewUser): void {
    const taken = (param: string, what: string) =>
      unprocessable('form_identifier_exists', param, `That ${what} is taken. Please try another.`);
    const wanted = input.emailAddresses.map((e) => e.toLowerCase());
    if (new Set(wanted).size !== wanted.length) throw taken('email_address', 'email address');
    for (const user of this.users.values()) {
      if (user.emailAddresses.some((e) => wanted.includes(e.emailAddress.toLowerCase()))) {
        throw taken('email_address', 'email address');
      }
      if (input.username !== undefined && user.username?.toLowerCase() === input.username.toLowerCase()) {
        throw taken('username', 'username');
      }
      if (input.externalId !== undefined && user.externalId === input.externalId) {
        throw taken('external_id', 'external ID');
      }
    }
  }
}
