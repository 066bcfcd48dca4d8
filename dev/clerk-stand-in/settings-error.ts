import type { z } from 'zod';

export class ClerkStandInOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid Clerk stand-in options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ClerkStandInOptionsError';
  }
}

/** Validates stand-in settings, naming each bad field; values are never echoed, since some are secrets. */
export function parseSettings<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ClerkStandInOptionsError(result.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`));
  }
  return result.data;
}
