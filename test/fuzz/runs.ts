/**
 * How many cases each fuzz property runs: the property's default, or FUZZ_RUNS for every property when set
 * (`npm run fuzz` sets it higher than `npm test` can afford).
 */
export function fuzzRuns(defaultRuns: number): number {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === '') return defaultRuns;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`FUZZ_RUNS must be a positive whole number, not "${raw}"`);
  return runs;
}

/** A fixed seed when FUZZ_SEED is set, so a failure a run reported can be replayed. */
export const fuzzSeed = (): number | undefined =>
  process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
