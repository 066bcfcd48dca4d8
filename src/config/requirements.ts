/** Collects every required setting a role lacks, so that all of them are reported at once. */
export class Requirements {
  readonly problems: string[] = [];

  /**
   * `value` when set; otherwise notes `name` as missing. The placeholder returned then is never used: the caller
   * throws a ConfigError before any configuration leaves loadConfig.
   */
  need<T>(value: T | undefined, name: string, why: string): T {
    if (value === undefined) this.problems.push(`${name}: required (${why})`);
    return value as T;
  }

  /** Notes a setting that is present but not allowed in this combination. */
  refuse(name: string, why: string): void {
    this.problems.push(`${name}: ${why}`);
  }
}
