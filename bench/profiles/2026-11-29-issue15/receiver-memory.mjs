// Receiver memory breakdown: RSS/heap after each stage of loading what `webhook` loads.
const mb = (v) => Math.round((v / 2 ** 20) * 10) / 10;
const snap = (label) => {
  global.gc?.();
  const m = process.memoryUsage();
  console.log(
    label.padEnd(28),
    'rss',
    mb(m.rss),
    'heapUsed',
    mb(m.heapUsed),
    'external',
    mb(m.external),
    'arrayBuffers',
    mb(m.arrayBuffers),
  );
};
snap('node only');
await import(new URL('../../../dist/webhook/app.js', import.meta.url).href);
snap('+ dist/webhook/app.js');
await import(new URL('../../../node_modules/@temporalio/client/lib/index.js', import.meta.url).href);
snap('+ @temporalio/client');
const { sharedCountryLookup } = await import(new URL('../../../dist/webhook/geoip.js', import.meta.url).href);
sharedCountryLookup();
snap('+ GeoIP database opened');
