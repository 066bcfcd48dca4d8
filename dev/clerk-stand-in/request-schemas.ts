import { z } from 'zod';
import { validationFailed } from './errors.js';

const metadata = z.record(z.string(), z.unknown(), { message: 'must be a JSON object' });
const name = z.string().max(256, { message: 'must be at most 256 characters' });

/** `POST /v1/users`, snake_case as `@clerk/backend` sends it. Unknown parameters are refused, as Clerk does. */
export const createUserBody = z.strictObject({
  external_id: z.string().min(1).max(256).optional(),
  email_address: z
    .array(z.email({ message: 'must be a valid email address' }))
    .max(100)
    .optional(),
  username: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{4,64}$/, { message: 'must be 4-64 letters, digits, "-" or "_"' })
    .optional(),
  password: z.string().min(8, { message: 'must be at least 8 characters' }).max(72).optional(),
  first_name: name.optional(),
  last_name: name.optional(),
  public_metadata: metadata.optional(),
  private_metadata: metadata.optional(),
  unsafe_metadata: metadata.optional(),
  skip_password_checks: z.boolean().optional(),
  skip_password_requirement: z.boolean().optional(),
  skip_legal_checks: z.boolean().optional(),
  created_at: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time' }).optional(),
});

/** `POST /v1/sessions`. */
export const createSessionBody = z.strictObject({ user_id: z.string().min(1, { message: 'is required' }) });

/** `POST /v1/sessions/{id}/tokens`: the SDK sends a body only when it asks for a lifetime. */
export const sessionTokenBody = z.strictObject({
  expires_in_seconds: z.number().int().min(1).max(315_360_000).optional(),
});

/** PATCH merges each field sent; `null` clears a field (PATCH) or stores null (PUT). */
export const metadataBody = z.strictObject({
  public_metadata: metadata.nullable().optional(),
  private_metadata: metadata.nullable().optional(),
  unsafe_metadata: metadata.nullable().optional(),
});

const whole = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback);

const filters = {
  user_id: z.array(z.string()).max(100),
  external_id: z.array(z.string()).max(100),
  email_address: z.array(z.string()).max(100),
};

export const userCountQuery = z.object(filters);

export const userListQuery = z.object({
  ...filters,
  limit: whole(1, 500, 10),
  offset: whole(0, Number.MAX_SAFE_INTEGER, 0),
  order_by: z
    .enum(['created_at', '+created_at', '-created_at', 'updated_at', '+updated_at', '-updated_at'], {
      message: 'must be created_at or updated_at, optionally prefixed with + or -',
    })
    .optional()
    .transform((v) => v ?? '-created_at'),
});

/** The query string as zod input: repeated filter keys become arrays, everything else its first value. */
export function queryInput(params: URLSearchParams): Record<string, string | string[]> {
  const input: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    input[key] = key in filters ? params.getAll(key) : (params.get(key) ?? '');
  }
  for (const key of Object.keys(filters)) input[key] ??= [];
  return input;
}

/** Parses external input or throws Clerk's 422 naming each bad parameter. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationFailed(result.error, input);
  return result.data;
}

/** `GET /_stand-in/deliveries` filters. */
export const deliveriesQuery = z.strictObject({
  message_id: z.string().optional(),
  event_type: z.enum(['user.created', 'user.deleted']).optional(),
  user_id: z.string().optional(),
});
