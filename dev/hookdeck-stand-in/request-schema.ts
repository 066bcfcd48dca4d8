import { z } from 'zod';

/**
 * The body of `PUT /connections` (Hookdeck API 2024-03-01, operation `upsertConnection`), as strict as
 * Hookdeck's OpenAPI description: every object is `additionalProperties: false`, names match
 * `^[A-z0-9-_]+$` (at most 155 characters). Verification and rules cover what this project sends plus
 * their documented siblings; anything else is refused, so a request the real API would reject fails here too.
 */
const resourceName = z
  .string()
  .max(155, 'must be at most 155 characters')
  .regex(/^[A-z0-9-_]+$/, 'must match ^[A-z0-9-_]+$');
const description = z.string().max(500).nullable().optional();

const svixVerification = z.strictObject({
  type: z.literal('svix'),
  configs: z.strictObject({ webhook_secret_key: z.string().min(1, 'must not be empty') }),
});

const httpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

const sourceInput = z.strictObject({
  name: resourceName,
  description,
  allowed_http_methods: z.array(httpMethod).optional(),
  custom_response: z
    .strictObject({ content_type: z.enum(['json', 'text', 'xml']), body: z.string().max(1000) })
    .nullable()
    .optional(),
  verification: z
    .discriminatedUnion('type', [svixVerification], { error: 'the stand-in implements the "svix" type only' })
    .nullable()
    .optional(),
});

const destinationInput = z
  .strictObject({
    name: resourceName,
    description,
    url: z.url().nullable().optional(),
    cli_path: z.string().startsWith('/', 'must start with /').nullable().optional(),
    rate_limit_period: z.enum(['second', 'minute', 'hour']).nullable().optional(),
    rate_limit: z.int().min(1).nullable().optional(),
    http_method: httpMethod.nullable().optional(),
    path_forwarding_disabled: z.boolean().optional(),
  })
  .refine((d) => Boolean(d.url) !== Boolean(d.cli_path), { message: 'exactly one of url or cli_path is required' });

const filterProperty = z.union([z.string(), z.number(), z.boolean(), z.record(z.string(), z.unknown())]).optional();

const rule = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('retry'),
    strategy: z.enum(['linear', 'exponential']),
    /** Milliseconds between attempts. */
    interval: z.int().positive().optional(),
    count: z.int().min(0).optional(),
  }),
  z.strictObject({
    type: z.literal('filter'),
    headers: filterProperty,
    body: filterProperty,
    query: filterProperty,
    path: filterProperty,
  }),
  z.strictObject({ type: z.literal('delay'), delay: z.int().positive() }),
  z.strictObject({ type: z.literal('transform'), transformation_id: z.string().min(1) }),
]);

export const upsertConnectionBody = z
  .strictObject({
    name: resourceName.nullable().optional(),
    description,
    source_id: z.string().max(255).nullable().optional(),
    destination_id: z.string().max(255).nullable().optional(),
    source: sourceInput.optional(),
    destination: destinationInput.optional(),
    rules: z.array(rule).optional(),
  })
  .refine((b) => Boolean(b.source) !== Boolean(b.source_id), {
    message: 'exactly one of source or source_id is required',
  })
  .refine((b) => Boolean(b.destination) !== Boolean(b.destination_id), {
    message: 'exactly one of destination or destination_id is required',
  });

export type UpsertConnectionBody = z.output<typeof upsertConnectionBody>;
export type SourceInput = z.output<typeof sourceInput>;
export type DestinationInput = z.output<typeof destinationInput>;

/** The query of `GET /connections` this stand-in implements; Hookdeck's other filters are refused, not ignored. */
export const listConnectionsQuery = z.strictObject({
  id: z.string().optional(),
  name: z.string().optional(),
  source_id: z.string().optional(),
  destination_id: z.string().optional(),
  limit: z.coerce.number().int().min(0).max(255).optional(),
});
