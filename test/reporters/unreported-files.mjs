/**
 * A node:test reporter (test/run.ts adds it beside the usual one) that lists the test files whose own tests were
 * never reported: the runner then reports the file itself by its path, and when the file's process exited with 0
 * (seen: a test awaiting an event already emitted, the event loop emptied, the process ended) as passed. One line
 * per such file; test/run.ts fails the run if there is any.
 */
export default async function* unreportedFiles(source) {
  for await (const event of source) {
    const { type, data } = event;
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0 && data.file && data.name === data.file) {
      yield `${data.file}\n`;
    }
  }
}
