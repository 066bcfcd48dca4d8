#!/usr/bin/env node
/**
 * Makes a process die with the local stack, even when the stack is SIGKILLed and has no chance to stop it.
 * The stack spawns this with a pipe on stdin and never writes to it: the pipe closes when the stack exits, for
 * whatever reason, and that is the signal to stop what this guards.
 *
 *   parent-watchdog.mjs run <pid-file> <command> [args…]   runs the command (own process group), writes its pid
 *   parent-watchdog.mjs kill <pid> <signal>                 only watches, then signals an existing process
 *
 * Plain JavaScript, no dependencies: it runs with `node` alone, before anything is compiled.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

const [mode, ...rest] = process.argv.slice(2);
const FORCE_AFTER_MS = 10_000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function onParentGone(stop) {
  process.stdin.on('close', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (mode === 'run') {
  const [pidFile, command, ...args] = rest;
  // Its own group: a Ctrl-C in the terminal reaches the stack (and this), not the server; the stack stops it in order.
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  writeFileSync(pidFile, `${child.pid}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), FORCE_AFTER_MS).unref();
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  onParentGone(stop);
  child.on('exit', (code, signal) => {
    rmSync(pidFile, { force: true });
    process.exit(code ?? (signal ? 1 : 0));
  });
} else if (mode === 'kill') {
  const pid = Number(rest[0]);
  const signal = rest[1] ?? 'SIGTERM';
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => process.exit(0)); // the stack stopped the process itself
  onParentGone(() => {
    if (alive(pid)) process.kill(pid, signal);
    const force = setInterval(() => {
      if (!alive(pid)) process.exit(0);
    }, 100);
    setTimeout(() => {
      clearInterval(force);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      process.exit(0);
    }, FORCE_AFTER_MS);
  });
} else {
  process.stderr.write('usage: parent-watchdog.mjs run <pid-file> <command> [args…] | kill <pid> <signal>\n');
  process.exit(2);
}
