import type { ZodError } from 'zod';

/** One entry of Clerk's `errors` array, as the Backend API sends it. */
export interface ClerkErrorEntry {
  code: string;
  message: string;
  long_message: string;
  meta?: { param_name?: string };
}

/** An error answer in Clerk's shape; the server turns it into `{ errors, clerk_trace_id }`. */
export class ClerkApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ClerkErrorEntry[],
    /** Seconds, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(errors.map((e) => e.long_message).join('; '));
    this.name = 'ClerkApiError';
  }
}

const single = (status: number, entry: ClerkErrorEntry, retryAfterSeconds?: number) =>
  new ClerkApiError(status, [entry], retryAfterSeconds);

export const unauthorized = (longMessage: string) =>
  single(401, { code: 'authentication_invalid', message: 'Invalid authentication', long_message: longMessage });

export const notFound = (longMessage = 'Resource not found') =>
  single(404, { code: 'resource_not_found', message: 'not found', long_message: longMessage });

export const tooManyRequests = (
  retryAfterSeconds: number,
  longMessage = 'Too many requests, please try again later.',
) =>
  single(
    429,
    { code: 'too_many_requests', message: 'Too many requests', long_message: longMessage },
    retryAfterSeconds,
  );

export const internalError = () =>
  single(500, {
    code: 'internal_clerk_error',
    message: 'Oops, an unexpected error occurred',
    long_message: "There was an internal error on our servers. We've been notified and are working on fixing it.",
  });

export const badRequest = (code: string, longMessage: string) =>
  single(400, { code, message: 'bad request', long_message: longMessage });

export const payloadTooLarge = (limitBytes: number) =>
  single(413, {
    code: 'request_body_too_large',
    message: 'request body too large',
    long_message: `The request body is larger than ${limitBytes} bytes.`,
  });

/** How Clerk refuses a body that is too large or not JSON. */
export const bodyErrors = {
  tooLarge: payloadTooLarge,
  malformed: () => badRequest('malformed_request', 'The request body is not valid JSON.'),
};

export const unprocessable = (code: string, paramName: string, longMessage: string) =>
  single(422, { code, message: 'is invalid', long_message: longMessage, meta: { param_name: paramName } });

function isMissing(path: PropertyKey[], input: unknown): boolean {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in value)) return true;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined;
}

function codeForIssue(issue: ZodError['issues'][number], input: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'form_param_unknown';
    case 'invalid_type':
      return isMissing(issue.path, input) ? 'form_param_missing' : 'form_param_format_invalid';
    case 'invalid_format':
      return 'form_param_format_invalid';
    default:
      return 'form_param_value_invalid';
  }
}

/**
 * Turns a zod failure into Clerk's 422: one entry per problem, each naming its parameter in `meta.param_name`
 * (the top-level snake_case key, as Clerk reports it) and saying what was wrong in `long_message`.
 */
export function validationFailed(error: ZodError, input: unknown): ClerkApiError {
  const entries = error.issues.flatMap((issue): ClerkErrorEntry[] => {
    const code = codeForIssue(issue, input);
    const names = issue.code === 'unrecognized_keys' ? issue.keys : [String(issue.path[0] ?? 'body')];
    return names.map((name) => {
      const where = issue.code === 'unrecognized_keys' ? name : issue.path.map(String).join('.') || 'body';
      const what = issue.code === 'unrecognized_keys' ? 'is not a known parameter' : issue.message;
      return { code, message: 'is invalid', long_message: `${where}: ${what}`, meta: { param_name: name } };
    });
  });
  return new ClerkApiError(422, entries);
}
