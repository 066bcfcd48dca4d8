import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HttpError, keyedSerializer, startJsonServer, type JsonRequest, type StandInHandle } from './http.js';
import { STAND_IN_PREFIX, StandInPostgres } from './postgres.js';

export interface XataStandInOptions {
  /** Admin URL of the real PostgreSQL that holds the branches. */
  adminUrl: string;
  /** The one API key accepted (as `Authorization: Bearer <key>`). */
  apiKey: string;
  organizationId: string;
  projectId: string;
  /** Regions offered; the first is where the default branch lives. Default ['local']. */
  regions?: string[];
  /** Branch logins' passwords are derived from it; keep it fixed to keep them across restarts. Default random. */
  secret?: string;
  port?: number;
}

const metaSchema = z.object({
  xataStandIn: z.literal('platform'),
  organizationID: z.string(),
  projectID: z.string(),
  id: z.string(),
  name: z.string(),
  region: z.string(),
  parentID: z.string().nullable(),
  createdAt: z.string(),
});
type BranchMeta = z.infer<typeof metaSchema>;

const createSchema = z.intersection(
  z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('inherit'), parentID: z.string().min(1) }),
    z.object({
      mode: z.literal('custom'),
      configuration: z.object({ region: z.string().min(1), instanceType: z.string().min(1), image: z.string().min(1) }),
    }),
  ]),
  z.object({
    name: z.string().regex(/^[a-zA-Z0-9_~-]{1,255}$/, 'name must be 1-255 of a-z A-Z 0-9 _ - ~'),
    description: z.string().max(50).optional(),
  }),
);

/**
 * A local stand-in for the Xata platform API (the routes per-user-db uses), backed by a real PostgreSQL:
 * each branch is a database `xata_br_<hex>` owned by a login role of the same name, "inherit" copies the
 * parent's database (schema and data), and the credentials endpoint returns that role's working login.
 */
export async function startXataStandIn(options: XataStandInOptions): Promise<StandInHandle> {
  const postgres = new StandInPostgres(options.adminUrl);
  const regions = options.regions ?? ['local'];
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const serialize = keyedSerializer();
  const password = (id: string) => createHmac('sha256', secret).update(id).digest('base64url');
  const databaseOf = (id: string) => `${STAND_IN_PREFIX}${id}`;

  const branches = async () =>
    (await postgres.described(metaSchema)).filter(
      (b) => b.organizationID === options.organizationId && b.projectID === options.projectId,
    );
  const branch = async (id: string) => {
    const found = (await branches()).find((b) => b.id === id);
    if (!found) throw new HttpError(404, `branch ${id} not found`);
    return found;
  };
  const view = (b: BranchMeta) => ({
    id: b.id,
    name: b.name,
    createdAt: b.createdAt,
    updatedAt: b.createdAt,
    parentID: b.parentID,
    region: b.region,
    publicAccess: false,
  });

  const createBranch = async (body: unknown) => {
    const parsed = createSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]?.message ?? 'invalid body');
    const request = parsed.data;
    return serialize(request.name, async () => {
      const all = await branches();
      if (all.some((b) => b.name === request.name)) {
        throw new HttpError(412, `a branch named ${request.name} already exists`);
      }
      const parent = request.mode === 'inherit' ? all.find((b) => b.id === request.parentID) : undefined;
      if (request.mode === 'inherit' && !parent)
        throw new HttpError(404, `parent branch ${request.parentID} not found`);
      const region = parent?.region ?? (request.mode === 'custom' ? request.configuration.region : '');
      if (!regions.includes(region)) throw new HttpError(400, `region ${region} is not available`);
      const id = `br_${randomBytes(8).toString('hex')}`;
      const meta: BranchMeta = {
        xataStandIn: 'platform',
        organizationID: options.organizationId,
        projectID: options.projectId,
        id,
        name: request.name,
        region,
        parentID: parent?.id ?? null,
        createdAt: new Date().toISOString(),
      };
      await postgres.ensureLoginRole(databaseOf(id), password(id));
      const template = parent && { name: databaseOf(parent.id), owner: databaseOf(parent.id) };
      await postgres
        .createDatabase({ name: databaseOf(id), owner: databaseOf(id), meta, template })
        .catch(async (error: unknown) => {
          await postgres.dropDatabase(databaseOf(id), databaseOf(id)).catch(() => undefined);
          throw error;
        });
      return view(meta);
    });
  };

  const route = async ({ method, segments, body }: JsonRequest) => {
    const [root, org, section, project, collection, branchId, leaf] = segments;
    if (root !== 'organizations' || org !== options.organizationId) {
      throw new HttpError(404, 'organization not found');
    }
    if (section === 'regions' && segments.length === 3 && method === 'GET') {
      return {
        status: 200,
        body: { regions: regions.map((id) => ({ id, publicAccess: true, backupsEnabled: false })) },
      };
    }
    if (section !== 'projects' || project !== options.projectId || collection !== 'branches') {
      throw new HttpError(404, 'project not found');
    }
    if (branchId === undefined) {
      if (method === 'GET') return { status: 200, body: { branches: (await branches()).map(view) } };
      if (method === 'POST') return { status: 201, body: await createBranch(body) };
    } else if (leaf === undefined) {
      if (method === 'GET') return { status: 200, body: view(await branch(branchId)) };
      if (method === 'DELETE') {
        await branch(branchId);
        await postgres.dropDatabase(databaseOf(branchId), databaseOf(branchId));
        return { status: 204 };
      }
    } else if (leaf === 'credentials' && segments.length === 7 && method === 'GET') {
      const found = await branch(branchId);
      const server = postgres.server();
      const login = { username: databaseOf(found.id), password: password(found.id), dbname: databaseOf(found.id) };
      const connectionString = `postgresql://${login.username}:${encodeURIComponent(login.password)}@${server.host}:${server.port}/${login.dbname}`;
      return { status: 200, body: { ...login, hostname: server.host, port: server.port, connectionString } };
    }
    throw new HttpError(404, `no route ${method} /${segments.join('/')}`);
  };

  return startJsonServer({ apiKey: options.apiKey, port: options.port, route, onClose: () => postgres.close() });
}
