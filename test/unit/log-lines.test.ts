import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { humanLine, humanLogStream } from '../../dev/local/log-lines.js';

test('the local stack renders pino JSON as one short line: time, level, source, message, other fields', () => {
  const printed: string[] = [];
  const logger = pino(
    { name: 'local-stack', level: 'debug' },
    humanLogStream((line) => printed.push(line)),
  );
  logger.child({ part: 'worker' }).info({ taskQueue: 'q', reconcile: { state: 'created' } }, 'worker started');
  logger.child({ component: 'temporal-sdk' }).warn({ sdkComponent: 'worker', taskQueue: 'q' }, 'No workflows');
  assert.equal(printed.length, 2);
  assert.match(
    printed[0]!,
    /^\d\d:\d\d:\d\d INFO {2}worker {4}worker started taskQueue=q reconcile=\{"state":"created"\}$/,
  );
  assert.match(printed[1]!, /^\d\d:\d\d:\d\d WARN {2}temporal {2}No workflows taskQueue=q$/);
  assert.ok(!printed.join('\n').includes('"pid"'));
});

test('long values are cut, and a line that is not JSON passes through as it is', () => {
  const line = humanLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', detail: 'x'.repeat(500) }));
  assert.match(line, /ERROR .* boom detail=x+…$/);
  assert.ok(line.length < 140);
  assert.equal(humanLine('plain text\n'), 'plain text');
});
