import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

/** How a stand-in words the two ways a body can be refused, in its vendor's error shape. */
export interface JsonBodyErrors {
  tooLarge(limitBytes: number): Error;
  malformed(): Error;
}

/** The request body parsed as JSON, `undefined` when there is none; at most 1 MiB. */
export async function readJsonBody(request: IncomingMessage, errors: JsonBodyErrors): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw errors.tooLarge(MAX_BODY_BYTES);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw errors.malformed();
  }
}
