import type { Logger } from 'pino';
import { z } from 'zod';
import { faultSettingsSchema } from './faults.js';
import { parseSettings } from './settings-error.js';
import { SVIX_ATTEMPT_TIMEOUT_MS, webhookEndpointSchema, type WebhookEndpoint } from './webhook-delivery.js';

/** The stand-in's settings as plain data (what the CLI gathers from flags and environment). */
export const clerkStandInOptionsSchema = z.strictObject({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  /** Every /v1 request must carry `Authorization: Bearer <secretKey>`. */
  secretKey: z.string().min(1, { message: 'is required (clients send it as the Bearer token)' }),
  webhooks: z.array(webhookEndpointSchema).default([]),
  /** Multiplies Svix's retry delays (5 s, 5 min, … 10 h); 0.001 makes a whole retry run take seconds. */
  retryTimeScale: z.number().positive().max(1).default(1),
  /** How long each delivery attempt may take before it counts as failed (Svix: 15 s). */
  attemptTimeoutMs: z.number().int().positive().default(SVIX_ATTEMPT_TIMEOUT_MS),
  faults: faultSettingsSchema.default({}),
  instanceId: z
    .string()
    .regex(/^ins_[A-Za-z0-9]+$/, { message: 'must look like a Clerk instance id (ins_…)' })
    .optional(),
  /** The `azp` claim of the session tokens it issues: the origin of the app's front end. */
  authorizedParty: z.url().default('http://localhost:3000'),
  /** A JSON file that keeps the users (with their metadata) across restarts: loaded at start, saved on change. */
  stateFile: z.string().trim().min(1, { message: 'must be a file path' }).optional(),
});

export type ClerkStandInOptions = z.input<typeof clerkStandInOptionsSchema> & { logger?: Logger };
export type ParsedClerkStandInOptions = z.output<typeof clerkStandInOptionsSchema>;

export const parseClerkStandInOptions = (input: unknown): ParsedClerkStandInOptions =>
  parseSettings(clerkStandInOptionsSchema, input, 'options');

export const parseWebhookEndpoint = (input: unknown): WebhookEndpoint =>
  parseSettings(webhookEndpointSchema, input, 'webhook endpoint');
