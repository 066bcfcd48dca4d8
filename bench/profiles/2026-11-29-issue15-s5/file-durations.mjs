// Per test file: the sum of its top-level tests' durations (node 20 reports a file's tests at nesting 0, with `file`).
export default async function* durations(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      const entry = perFile.get(event.data.file) ?? { ms: 0, fail: 0 };
      entry.ms += event.data.details.duration_ms;
      if (event.type === 'test:fail') entry.fail += 1;
      perFile.set(event.data.file, entry);
    }
  }
  for (const [file, { ms, fail }] of [...perFile].sort((a, b) => b[1].ms - a[1].ms)) {
    yield `${(ms / 1000).toFixed(1)}\t${fail ? `FAIL×${fail}` : 'pass'}\t${file}\n`;
  }
}
