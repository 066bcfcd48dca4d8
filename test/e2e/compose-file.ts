import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasDockerCompose(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

export interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | null>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  stop_grace_period?: string;
}

/**
 * The files as docker-compose itself resolves them with only `settings` (by default none: no environment, no
 * .env), turned into JSON by the YAML parser docker-compose itself uses.
 */
export function resolvedCompose(files = ['docker-compose.yml'], settings = ''): { services: Record<string, Service> } {
  const dir = mkdtempSync(join(tmpdir(), 'per-user-db-compose-'));
  const envFile = join(dir, 'settings.env');
  writeFileSync(envFile, settings);
  const yaml = execFileSync('docker-compose', ['--env-file', envFile, ...files.flatMap((f) => ['-f', f]), 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  rmSync(dir, { recursive: true });
  const json = execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: yaml,
    encoding: 'utf8',
  });
  return JSON.parse(json);
}
