import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export type UserEventType = 'user.created' | 'user.deleted';

export interface HttpRequestAttributes {
  client_ip: string;
  user_agent: string;
}

export interface ClerkWebhookEvent {
  data: { id: string } & Record<string, unknown>;
  object: 'event';
  type: UserEventType;
  /** Milliseconds, as in Clerk's docs example. */
  timestamp: number;
  instance_id: string;
  event_attributes: { http_request: HttpRequestAttributes };
}

/**
 * Who caused the event: the first X-Forwarded-For hop (so a demo page proxying a sign-up can pass on the
 * browser's address), else the socket's address; and the request's User-Agent.
 */
export function httpRequestAttributes(request: IncomingMessage): HttpRequestAttributes {
  const forwarded = [request.headers['x-forwarded-for']].flat()[0]?.split(',')[0]?.trim() ?? '';
  return {
    client_ip: isIP(forwarded) ? forwarded : (request.socket.remoteAddress ?? ''),
    user_agent: request.headers['user-agent'] ?? '',
  };
}

export function userEvent(
  type: UserEventType,
  data: ClerkWebhookEvent['data'],
  instanceId: string,
  httpRequest: HttpRequestAttributes,
): ClerkWebhookEvent {
  return {
    data,
    object: 'event',
    type,
    timestamp: Date.now(),
    instance_id: instanceId,
    event_attributes: { http_request: httpRequest },
  };
}
