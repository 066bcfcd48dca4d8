import type { ClientConfig } from 'pg';
import { z } from 'zod';
import { ApiError, NetworkError, XataApi } from '../../generated/xata-api.js';
import { tenantDatabaseName, userIdFromTenantDatabaseName } from './tenant-names.js';
import { abortableFetch, currentCallSignal, withRequestSignal } from './request-signal.js';
import { parseRetryAfterMs, xataError } from './xata-errors.js';
import { PermanentProviderError, type DatabaseProvider, type TenantDatabase } from './types.js';

export const XATA_API_URL = 'https://api.xata.tech';

export interface XataProviderOptions {
  apiKey: string;
  /** Default https://api.xata.tech; a stand-in's URL offline. */
  apiUrl?: string;
  organizationId: string;
  projectId: string;
  /**
   * Branch (name or id) every user's branch is created from ("inherit" mode: its schema and data come with
   * it). Without it, branches are created empty ("custom" mode) in `region` with `branchConfiguration`.
   */
  parentBranch?: string;
  /** Default region for custom-mode branches. */
  region?: string;
  /** Cluster settings for custom-mode branches (Xata's instance type and PostgreSQL image names). */
  branchConfiguration?: { instanceType: string; image: string; replicas?: number; storage?: number };
  /** TLS for tenant connections; on unless turned off (a local stand-in serves plain PostgreSQL). */
  tls?: boolean;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
}

const branchSchema = z.object({ id: z.string().min(1), name: z.string().min(1), region: z.string().min(1) });
type Branch = z.infer<typeof branchSchema>;
const branchListSchema = z.object({ branches: z.array(branchSchema) });
const regionsSchema = z.object({ regions: z.array(z.object({ id: z.string().min(1) })) });
const credentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  hostname: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  dbname: z.string().min(1),
});

/**
 * DB_PROVIDER=xata: one branch of a Xata platform project per user, named like the PostgreSQL provider's
 * databases (`tenant_<clerk user id>`). Calls go through the official SDK (@xata.io/api, bundled by
 * scripts/bundle-xata.mjs) with its own retries off: Temporal retries activities, with our error mapping.
 */
export function createXataProvider(options: XataProviderOptions): DatabaseProvider {
  const { apiKey, organizationId, projectId } = options;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const xata = new XataApi({
    token: apiKey,
    baseUrl: (options.apiUrl ?? XATA_API_URL).replace(/\/$/, ''),
    retry: false,
    fetch: (url, init) => fetchWithLimits(url, init, timeoutMs),
  });
  const project = { organizationID: organizationId, projectID: projectId };
  const secrets = [apiKey];

  const call = async <T>(operation: string, schema: z.ZodType<T>, run: () => Promise<unknown>): Promise<T> => {
    let body: unknown;
    try {
      body = await run();
    } catch (error) {
      throw toProviderError(operation, error, secrets);
    }
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new Error(`Xata ${operation} answered in an unexpected shape: ${result.error.issues[0]?.message}`);
    }
    return result.data;
  };

  const listBranches = async () =>
    (await call('listBranches', branchListSchema, () => xata.api.branches.listBranches({ pathParams: project })))
      .branches;
  const findBranch = async (name: string) => (await listBranches()).find((b) => b.name === name);

  let parent: Promise<Branch> | undefined;
  const parentBranch = (wanted: string) => {
    parent ??= (async () => {
      const found = (await listBranches()).find((b) => b.id === wanted || b.name === wanted);
      if (!found) {
        throw new PermanentProviderError(
          `The parent branch "${wanted}" (XATA_PARENT_BRANCH) does not exist in project ${projectId}`,
          'NotFound',
        );
      }
      return found;
    })().catch((error: unknown) => {
      parent = undefined;
      throw error;
    });
    return parent;
  };

  let regionList: Promise<string[]> | undefined;
  const regions = async () => {
    regionList ??= (async () => {
      const offered = (
        await call('listRegions', regionsSchema, () =>
          xata.api.projects.listRegions({ pathParams: { organizationID: organizationId } }),
        )
      ).regions.map((r) => r.id);
      const preferred = options.parentBranch ? (await parentBranch(options.parentBranch)).region : options.region;
      return preferred ? [preferred, ...offered.filter((r) => r !== preferred)] : offered;
    })().catch((error: unknown) => {
      regionList = undefined;
      throw error;
    });
    return regionList;
  };

  const tenant = (branch: Branch): TenantDatabase => ({ provider: 'xata', name: branch.name, region: branch.region });

  const createBody = async (name: string, region: string | undefined) => {
    const offered = await regions();
    const wanted = region ?? offered[0];
    if (wanted === undefined || !offered.includes(wanted)) {
      throw new PermanentProviderError(
        `Region "${region}" is not offered by Xata (regions: ${offered.join(', ')})`,
        'InvalidRequest',
      );
    }
    if (options.parentBranch) {
      const from = await parentBranch(options.parentBranch);
      if (wanted !== from.region) {
        throw new PermanentProviderError(
          `Branches created from "${options.parentBranch}" live in its region ${from.region}, not ${wanted}`,
          'InvalidRequest',
        );
      }
      return { name, mode: 'inherit' as const, parentID: from.id };
    }
    const configuration = options.branchConfiguration;
    if (!configuration) {
      throw new PermanentProviderError(
        'Set XATA_PARENT_BRANCH (recommended), or an instance type and image for empty branches',
        'InvalidRequest',
      );
    }
    return {
      name,
      mode: 'custom' as const,
      configuration: { replicas: 0, ...configuration, region: wanted },
    };
  };

  const createBranch = async (userId: string, region: string | undefined) => {
    const name = tenantDatabaseName(userId);
    const existing = await findBranch(name);
    if (existing) return tenant(existing);
    const body = await createBody(name, region);
    try {
      return tenant(
        await call('createBranch', branchSchema, () => xata.api.branches.createBranch({ pathParams: project, body })),
      );
    } catch (error) {
      // 409/412: another attempt created it first (or a real precondition failed: then it is not there).
      if (error instanceof PermanentProviderError && error.type === 'InvalidRequest') {
        const raced = await findBranch(name);
        if (raced) return tenant(raced);
      }
      throw error;
    }
  };

  return {
    name: 'xata',
    regions,

    create: (userId, { region, signal }) => withRequestSignal(signal, () => createBranch(userId, region)),

    async adminConnection(db) {
      const branch = await findBranch(db.name);
      if (!branch) {
        throw new PermanentProviderError(`Xata branch ${db.name} does not exist in project ${projectId}`, 'NotFound');
      }
      const credentials = await call('getBranchCredentials', credentialsSchema, () =>
        xata.api.branches.getBranchCredentials({ pathParams: { ...project, branchID: branch.id } }),
      );
      const { password } = credentials;
      return {
        host: credentials.hostname,
        port: credentials.port,
        user: credentials.username,
        database: credentials.dbname,
        // A function, so printing the config object does not print the password.
        password: () => password,
        ssl: options.tls ?? true,
      } satisfies ClientConfig;
    },

    async drop(userId) {
      const branch = await findBranch(tenantDatabaseName(userId));
      if (!branch) return { existed: false };
      try {
        await xata.api.branches.deleteBranch({ pathParams: { ...project, branchID: branch.id } });
        return { existed: true };
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return { existed: false };
        throw toProviderError('deleteBranch', error, secrets);
      }
    },

    async *list() {
      // The API answers with every branch of the project at once: it has no pages.
      for (const branch of await listBranches()) {
        if (userIdFromTenantDatabaseName(branch.name) !== undefined) yield tenant(branch);
      }
    },

    async close() {},
  };
}

function toProviderError(operation: string, error: unknown, secrets: readonly string[]): Error {
  if (error instanceof PermanentProviderError) return error;
  if (error instanceof ApiError) {
    return xataError(
      operation,
      { status: error.status, message: error.message, retryAfterMs: error.retryAfterMs, requestId: error.requestId },
      secrets,
    );
  }
  const message = error instanceof NetworkError || error instanceof Error ? error.message : String(error);
  return xataError(operation, { message }, secrets);
}

/**
 * fetch with a timeout per request, and `x-ratelimit-reset` copied into `Retry-After` when only the former is
 * sent (the SDK reads Retry-After alone).
 */
async function fetchWithLimits(url: string, init: RequestInit | undefined, timeoutMs: number): Promise<Response> {
  const response = await abortableFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch(
    (error: unknown) => {
      if (currentCallSignal()?.aborted) throw new Error('request aborted: the call was cancelled');
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new Error(timedOut ? `no answer within ${timeoutMs} ms` : `network error (${(error as Error).message})`);
    },
  );
  if (response.status !== 429 || response.headers.has('retry-after')) return response;
  const resetMs = parseRetryAfterMs(response.headers.get('x-ratelimit-reset'));
  if (resetMs === undefined) return response;
  const headers = new Headers(response.headers);
  headers.set('retry-after', String(resetMs / 1000));
  return new Response(await response.arrayBuffer(), { status: response.status, headers });
}
