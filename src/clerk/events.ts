import { z } from 'zod';
import { clerkUserIdSchema } from '../domain/index.js';

/** Anything but a Clerk user id is refused before it reaches a workflow id. */
export const clerkUserId = clerkUserIdSchema;

const httpRequest = z
  .object({ client_ip: z.string().max(64).optional(), user_agent: z.string().max(1024).optional() })
  .partial();

const envelope = {
  object: z.literal('event'),
  // Clerk's docs show milliseconds, its OpenAPI examples seconds: both are accepted.
  timestamp: z.number().nonnegative(),
  instance_id: z.string().optional(),
  event_attributes: z.object({ http_request: httpRequest.optional() }).partial().optional(),
};

const userCreated = z.object({
  ...envelope,
  type: z.literal('user.created'),
  data: z
    .object({
      id: clerkUserId,
      object: z.literal('user'),
      unsafe_metadata: z.record(z.string(), z.unknown()).nullish(),
      public_metadata: z.record(z.string(), z.unknown()).nullish(),
      created_at: z.number().optional(),
    })
    .loose(),
});

const userDeleted = z.object({
  ...envelope,
  type: z.literal('user.deleted'),
  data: z.object({ id: clerkUserId, object: z.literal('user'), deleted: z.literal(true) }).loose(),
});

const otherEvent = z.object({ ...envelope, type: z.string().min(1), data: z.unknown() });

export const HANDLED_EVENT_TYPES = ['user.created', 'user.deleted'] as const;

export type UserCreatedEvent = z.infer<typeof userCreated>;
export type UserDeletedEvent = z.infer<typeof userDeleted>;
export type ClerkEvent = UserCreatedEvent | UserDeletedEvent | { type: 'ignored'; eventType: string };

/** Below this a timestamp is in seconds (1e12 ms is September 2001; 1e12 s is tens of millennia away). */
const MILLISECONDS_FROM = 1e12;

/** When Clerk sent the event, whichever unit its `timestamp` is in; undefined when no date can be that far out. */
export function eventTime(timestamp: number): Date | undefined {
  const date = new Date(timestamp < MILLISECONDS_FROM ? timestamp * 1000 : timestamp);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export type ParseResult = { ok: true; event: ClerkEvent } | { ok: false; problems: string[] };

function describe(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`);
}

/** Validates a verified webhook body. Event types we do not handle are reported as `ignored`, not as errors. */
export function parseClerkEvent(body: unknown): ParseResult {
  const base = otherEvent.safeParse(body);
  if (!base.success) return { ok: false, problems: describe(base.error) };
  const schema =
    base.data.type === 'user.created' ? userCreated : base.data.type === 'user.deleted' ? userDeleted : null;
  if (!schema) return { ok: true, event: { type: 'ignored', eventType: base.data.type } };
  const parsed = schema.safeParse(body);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, problems: describe(parsed.error) };
}
