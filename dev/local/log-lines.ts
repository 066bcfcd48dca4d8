import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields and those the line already shows in front. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'part', 'component', 'sdkComponent']);
const MAX_VALUE = 80;

function value(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** One pino JSON line as a short line for a person: `12:04:05 INFO  worker    message  key=value …`. */
export function humanLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toTimeString().slice(0, 8);
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const source = entry.component === 'temporal-sdk' ? 'temporal' : String(entry.part ?? entry.name ?? '');
  const fields = Object.entries(entry)
    .filter(([k, v]) => !SHOWN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return [time, level.padEnd(5), source.padEnd(9), String(entry.msg ?? ''), ...fields].join(' ').trimEnd();
}

/** A pino destination that prints each line through `print` as `humanLine` renders it. */
export function humanLogStream(print: (line: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') print(humanLine(line));
      done();
    },
  });
}
