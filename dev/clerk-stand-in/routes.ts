import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { FaultInjector } from './faults.js';
import { readJsonBody } from '../http/json-body.js';
import { bodyErrors } from './errors.js';
import {
  createSessionBody,
  createUserBody,
  deliveriesQuery,
  metadataBody,
  parseOrThrow,
  queryInput,
  sessionTokenBody,
  userCountQuery,
  userListQuery,
} from './request-schemas.js';
import { deletedUserJson, userJson } from './user-json.js';
import type { SessionSigningKey } from './session-keys.js';
import type { SessionIssuer } from './sessions.js';
import type { MetadataFields, UserFilters, UserRecord, UserStore } from './user-store.js';
import type { WebhookDelivery } from './webhook-delivery.js';
import { httpRequestAttributes, userEvent } from './webhook-event.js';

/** An empty body is `{}`: the SDK sends none when there are no parameters. */
const readClerkBody = async (request: IncomingMessage) => (await readJsonBody(request, bodyErrors)) ?? {};

export interface RouteDeps {
  store: UserStore;
  faults: FaultInjector;
  webhooks: WebhookDelivery;
  sessions: SessionIssuer;
  signingKey: SessionSigningKey;
  instanceId: string;
  logger?: Logger;
}

export interface RouteContext {
  request: IncomingMessage;
  /** The path's `:id`, when the route has one. */
  id: string;
  query: URLSearchParams;
}

export interface Route {
  method: string;
  path: RegExp;
  /** Whether injected faults (429/500 shares) apply: true for the Backend API, not for the stand-in's own routes. */
  backendApi: boolean;
  handle(context: RouteContext): Promise<unknown> | unknown;
}

const filtersOf = (query: { user_id: string[]; external_id: string[]; email_address: string[] }): UserFilters => ({
  userIds: query.user_id,
  externalIds: query.external_id,
  emailAddresses: query.email_address,
});

async function metadataFields(request: IncomingMessage): Promise<MetadataFields> {
  const body = parseOrThrow(metadataBody, await readClerkBody(request));
  return {
    publicMetadata: body.public_metadata,
    privateMetadata: body.private_metadata,
    unsafeMetadata: body.unsafe_metadata,
  };
}

/** The Backend API subset per-user-db uses, plus `GET /_stand-in/deliveries`. */
export function routes({ store, faults, webhooks, sessions, signingKey, instanceId, logger }: RouteDeps): Route[] {
  const api = (method: string, path: RegExp, handle: Route['handle']): Route => ({
    method,
    path,
    backendApi: true,
    handle,
  });
  const writeMetadata = async (
    { request, id }: RouteContext,
    write: (id: string, fields: MetadataFields) => Promise<UserRecord>,
  ) => {
    store.get(id); // 404 for an unknown user before it takes a slot of the per-user limit
    // Counted once its body is in: a request cut before its body arrived changed nothing.
    const fields = await metadataFields(request);
    faults.onMetadataWrite(id);
    return userJson(await write(id, fields));
  };

  return [
    api('POST', /^\/v1\/users$/, async ({ request }) => {
      const body = parseOrThrow(createUserBody, await readClerkBody(request));
      const user = await store.create({
        externalId: body.external_id,
        username: body.username,
        firstName: body.first_name,
        lastName: body.last_name,
        passwordEnabled: body.password !== undefined,
        emailAddresses: body.email_address ?? [],
        publicMetadata: body.public_metadata,
        privateMetadata: body.private_metadata,
        unsafeMetadata: body.unsafe_metadata,
        createdAt: body.created_at === undefined ? undefined : Date.parse(body.created_at),
      });
      logger?.info({ userId: user.id }, 'user created');
      const json = userJson(user);
      await webhooks.send(userEvent('user.created', json, instanceId, httpRequestAttributes(request)));
      return json;
    }),
    api('GET', /^\/v1\/users\/count$/, ({ query }) => ({
      object: 'total_count',
      total_count: store.count(filtersOf(parseOrThrow(userCountQuery, queryInput(query)))),
    })),
    api('GET', /^\/v1\/users$/, ({ query }) => {
      const parsed = parseOrThrow(userListQuery, queryInput(query));
      const users = store.list({
        ...filtersOf(parsed),
        limit: parsed.limit,
        offset: parsed.offset,
        orderBy: parsed.order_by,
      });
      return users.map(userJson);
    }),
    api('GET', /^\/v1\/users\/([^/]+)$/, ({ id }) => userJson(store.get(id))),
    api('PATCH', /^\/v1\/users\/([^/]+)\/metadata$/, (context) =>
      writeMetadata(context, (id, fields) => store.mergeMetadata(id, fields)),
    ),
    api('PUT', /^\/v1\/users\/([^/]+)\/metadata$/, (context) =>
      writeMetadata(context, (id, fields) => store.replaceMetadata(id, fields)),
    ),
    api('DELETE', /^\/v1\/users\/([^/]+)$/, async ({ request, id }) => {
      const json = deletedUserJson(await store.delete(id));
      sessions.endSessionsOf(id);
      logger?.info({ userId: id }, 'user deleted');
      await webhooks.send(userEvent('user.deleted', json, instanceId, httpRequestAttributes(request)));
      return json;
    }),
    api('POST', /^\/v1\/sessions$/, async ({ request }) => {
      const body = parseOrThrow(createSessionBody, await readClerkBody(request));
      store.get(body.user_id); // 404 for an unknown user, as Clerk answers
      return sessions.create(body.user_id);
    }),
    api('GET', /^\/v1\/sessions\/([^/]+)$/, ({ id }) => sessions.get(id)),
    api('POST', /^\/v1\/sessions\/([^/]+)\/tokens$/, async ({ request, id }) => {
      const body = parseOrThrow(sessionTokenBody, await readClerkBody(request));
      return sessions.token(id, body.expires_in_seconds);
    }),
    api('GET', /^\/v1\/jwks$/, () => signingKey.jwks()),
    {
      method: 'GET',
      path: /^\/_stand-in\/deliveries$/,
      backendApi: false,
      handle: ({ query }) => {
        const match = parseOrThrow(deliveriesQuery, Object.fromEntries(query));
        return {
          data: webhooks.deliveries({
            messageId: match.message_id,
            eventType: match.event_type,
            userId: match.user_id,
          }),
        };
      },
    },
  ];
}
