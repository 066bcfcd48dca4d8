import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * Secrets the offline stack makes up on its first start and keeps in DATA_DIR, so that a second start finds
 * the same Postgres password, the same Clerk stand-in key, and tenant passwords that still work.
 */
const localSecretsSchema = z.object({
  clerkSecretKey: z.string().regex(/^sk_test_[A-Za-z0-9]{32,}$/),
  clerkWebhookSigningSecret: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/),
  tenantPasswordSecret: z.string().min(32),
  postgresPassword: z.string().min(16),
});

export type LocalSecrets = z.infer<typeof localSecretsSchema>;

const base62 = (bytes: number) =>
  randomBytes(bytes)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');

export function generateLocalSecrets(): LocalSecrets {
  return {
    clerkSecretKey: `sk_test_${base62(48).slice(0, 48)}`,
    clerkWebhookSigningSecret: `whsec_${randomBytes(24).toString('base64')}`,
    tenantPasswordSecret: randomBytes(32).toString('hex'),
    postgresPassword: randomBytes(24).toString('hex'),
  };
}

/** Reads the secrets file, creating it (mode 0600) when missing. A damaged file is an error naming the file. */
export async function loadOrCreateLocalSecrets(file: string): Promise<LocalSecrets> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    const secrets = generateLocalSecrets();
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return secrets;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = localSecretsSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(file)').join(', ');
    throw new Error(
      `${file} is damaged (${fields}). Delete it together with the data directory's postgres/ folder to start afresh.`,
    );
  }
  return parsed.data;
}
