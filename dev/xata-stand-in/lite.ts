import { z } from 'zod';
import type { XataLitePostgresEndpoint } from '../../src/providers/xata-lite.js';
import { HttpError, keyedSerializer, startJsonServer, type JsonRequest, type StandInHandle } from './http.js';
import { STAND_IN_PREFIX, StandInPostgres } from './postgres.js';

export interface XataLiteStandInOptions {
  /** Admin URL of the real PostgreSQL that holds the databases. */
  adminUrl: string;
  /** The one API key accepted; also the PostgreSQL password of the workspace login, as on Xata Lite. */
  apiKey: string;
  workspaceId: string;
  /** Regions offered. Default ['local']. */
  regions?: string[];
  port?: number;
}

export interface XataLiteStandInHandle extends StandInHandle {
  /** The SDK's `host` setting for this stand-in. */
  host: { main: string; workspaces: string };
  /** The PostgreSQL endpoint setting for this stand-in (plain TCP, no TLS). */
  postgres: XataLitePostgresEndpoint;
}

const LITE_PREFIX = `${STAND_IN_PREFIX}lite_`;

const metaSchema = z.object({
  xataStandIn: z.literal('lite'),
  workspaceId: z.string(),
  name: z.string(),
  region: z.string(),
  branchName: z.string(),
  createdAt: z.string(),
});
type DatabaseMeta = z.infer<typeof metaSchema>;

const nameSchema = z.string().regex(/^[a-zA-Z0-9_~-]{1,255}$/, 'database name must be 1-255 of a-z A-Z 0-9 _ - ~');
const createSchema = z.object({
  region: z.string().min(1),
  branchName: nameSchema.optional(),
  postgresEnabled: z.boolean().optional(),
});

/**
 * A local stand-in for the Xata Lite control-plane API (create, describe, list and delete databases, list
 * regions), backed by a real PostgreSQL: database `<db>` is the real database `xata_lite_<db>:<branch>`, owned by
 * the workspace login `xata_lite_<workspaceId>` whose password is the API key (as on Lite's PostgreSQL wire).
 */
export async function startXataLiteStandIn(options: XataLiteStandInOptions): Promise<XataLiteStandInHandle> {
  const postgres = new StandInPostgres(options.adminUrl);
  const regions = options.regions ?? ['local'];
  const serialize = keyedSerializer();
  const owner = `${LITE_PREFIX}${options.workspaceId}`;
  const databaseOf = (db: string, branch: string) => `${LITE_PREFIX}${db}:${branch}`;
  await postgres.ensureLoginRole(owner, options.apiKey);

  const databases = async () =>
    (await postgres.described(metaSchema)).filter((d) => d.workspaceId === options.workspaceId);
  const find = async (name: string) => (await databases()).find((d) => d.name === name);
  const view = (d: DatabaseMeta) => ({ name: d.name, region: d.region, createdAt: d.createdAt, postgresEnabled: true });

  const create = (name: string, body: unknown) => {
    const parsed = createSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]?.message ?? 'invalid body');
    const { region, branchName = 'main' } = parsed.data;
    if (!regions.includes(region)) throw new HttpError(400, `region ${region} is not available`);
    return serialize(name, async () => {
      if (await find(name)) throw new HttpError(422, `database ${name} already exists`);
      const meta: DatabaseMeta = {
        xataStandIn: 'lite',
        workspaceId: options.workspaceId,
        name,
        region,
        branchName,
        createdAt: new Date().toISOString(),
      };
      await postgres.createDatabase({ name: databaseOf(name, branchName), owner, meta });
      return { databaseName: name, branchName, status: 'completed' };
    });
  };

  const route = async ({ method, segments, body }: JsonRequest) => {
    const [root, workspace, collection, dbName] = segments;
    if (root !== 'workspaces' || workspace !== options.workspaceId) throw new HttpError(404, 'workspace not found');
    if (collection === 'regions' && segments.length === 3 && method === 'GET') {
      return { status: 200, body: { regions: regions.map((id) => ({ id, name: id })) } };
    }
    if (collection === 'dbs' && dbName === undefined && method === 'GET') {
      return { status: 200, body: { databases: (await databases()).map(view) } };
    }
    if (collection === 'dbs' && dbName !== undefined && segments.length === 4) {
      const name = nameSchema.safeParse(dbName);
      if (!name.success) throw new HttpError(400, name.error.issues[0]?.message ?? 'invalid name');
      if (method === 'PUT') return { status: 201, body: await create(name.data, body) };
      const found = await find(name.data);
      if (!found) throw new HttpError(404, `database ${name.data} not found`);
      if (method === 'GET') return { status: 200, body: view(found) };
      if (method === 'DELETE') {
        await postgres.dropDatabase(databaseOf(found.name, found.branchName));
        return { status: 200, body: { status: 'completed' } };
      }
    }
    throw new HttpError(404, `no route ${method} /${segments.join('/')}`);
  };

  const handle = await startJsonServer({
    apiKey: options.apiKey,
    port: options.port,
    route,
    onClose: () => postgres.close(),
  });
  const server = postgres.server();
  return {
    ...handle,
    host: { main: handle.url, workspaces: `${handle.url}/ws/{workspaceId}/{region}` },
    postgres: {
      host: server.host,
      port: server.port,
      user: `${LITE_PREFIX}{workspaceId}`,
      database: `${LITE_PREFIX}{db}:{branch}`,
      ssl: false,
    },
  };
}
