#!/usr/bin/env node
/**
 * A stand-in for scamper, mtr and traceroute: test/helpers/stand-in-engines.ts copies this file under the
 * tools' names into a temporary directory that goes first on the agent's PATH. It answers the argument shapes
 * the agent uses (the version flag detect.ts probes, and a trace) with output the real tools printed on a
 * Debian 12 machine (test/fixtures/engine-output, see its README.md), with the recorded address replaced by
 * the target it was given.
 *
 * `control.json` beside it (re-read on every run) says how to behave:
 *   { "mode": "trace" }      print the recorded trace and exit 0 (the default)
 *   { "mode": "fail" }       replay the tool's recorded failure (its stdout, stderr and exit code)
 *   { "mode": "hang" }       never finish, ignoring SIGTERM and SIGINT
 *   { "mode": "flood" }      print the recorded trace over and over, without end
 *   "fork": true             with any mode: first start a child that hangs for 60 s (like `sleep 60`) and
 *                            shares the stand-in's output pipes, and note its pid in `children`
 *   "hold": true             with any mode: first wait until a file named `release` appears beside it
 * Every run appends {tool, args, pid, mode} to `calls.ndjson` beside it. Version answers ignore the mode.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

const here = path.dirname(process.argv[1]);
const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const { fixtures } = JSON.parse(fs.readFileSync(path.join(here, 'stand-in.json'), 'utf8'));
const { recordings } = JSON.parse(fs.readFileSync(path.join(fixtures, 'recordings.json'), 'utf8'));

const VERSION_FLAG = { scamper: '-v', mtr: '-v', traceroute: '-V' };
/** Options without which the real tool would print another format than the one recorded. */
const FORMAT_OPTIONS = { scamper: ['-O', 'json'], mtr: ['--json', '-n'], traceroute: ['-n'] };

function readControl() {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, 'control.json'), 'utf8'));
  } catch {
    return { mode: 'trace' };
  }
}

function recording(kind, family) {
  const found = recordings.find(
    (r) => r.tool === tool && r.case === kind && (family === undefined || r.family === family),
  );
  if (found === undefined) refuse(`no recorded ${kind}${family ? ` for IPv${family}` : ''}`);
  return found;
}

function read(file) {
  return file ? fs.readFileSync(path.join(fixtures, file), 'utf8') : '';
}

function refuse(why) {
  process.stderr.write(`${tool} (stand-in): ${why}; arguments: ${JSON.stringify(args)}\n`);
  process.exit(2);
}

/** The recorded address replaced by `target` wherever it stands as a whole address. */
function retarget(text, from, target) {
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![0-9A-Za-z:.])${escaped}(?![0-9A-Za-z:.])`, 'g'), target);
}

function replay(entry, transform = (text) => text) {
  process.stdout.write(transform(read(entry.stdout)));
  process.stderr.write(transform(read(entry.stderr)));
  process.exitCode = entry.exit;
}

function hang() {
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  const parent = process.ppid;
  // Orphaned (the agent was SIGKILLed): nobody will kill this process, so it ends itself.
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 200);
}

function waitForRelease(then) {
  const parent = process.ppid;
  const poll = setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
    if (fs.existsSync(path.join(here, 'release'))) {
      clearInterval(poll);
      then();
    }
  }, 20);
}

if (!(tool in VERSION_FLAG)) refuse('not a tool this stand-in plays');
const control = readControl();
const mode = args.length === 1 && args[0] === VERSION_FLAG[tool] ? 'version' : (control.mode ?? 'trace');
fs.appendFileSync(
  path.join(here, 'calls.ndjson'),
  `${JSON.stringify({ tool, args, pid: process.pid, mode })}\n`,
);

if (mode === 'version') {
  replay(recording('version'));
} else {
  for (const option of FORMAT_OPTIONS[tool]) {
    if (!args.includes(option)) refuse(`the recordings were made with ${option}`);
  }
  if (tool === 'scamper' && !args[args.indexOf('-c') + 1]?.startsWith('trace ')) {
    refuse('the recordings are of "-c trace ..."');
  }
  const target = args.at(-1) ?? '';
  const family = isIP(target);
  if (family === 0) refuse(`the last argument must be the address to trace, got ${JSON.stringify(target)}`);
  if (args.includes(family === 4 ? '-6' : '-4'))
    refuse(`${target} is IPv${family} but the other family was asked for`);
  const trace = recording('trace', family);
  const run = () => {
    if (mode === 'trace') {
      replay(trace, (text) => retarget(text, trace.address, target));
    } else if (mode === 'fail') {
      replay(recording('fail'));
    } else if (mode === 'hang') {
      hang();
    } else if (mode === 'flood') {
      const chunk = Buffer.from(retarget(read(trace.stdout), trace.address, target).repeat(64));
      const write = () => {
        while (process.stdout.write(chunk));
        process.stdout.once('drain', write);
      };
      write();
    } else {
      refuse(`control.json names an unknown mode ${JSON.stringify(mode)}`);
    }
  };
  if (control.fork === true) {
    // The stand-in directory is an argument only so that cleanup can tell this child from any other process.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', here], { stdio: 'inherit' });
    fs.appendFileSync(path.join(here, 'children'), `${child.pid}\n`);
    // Like a real tool's helper: the stand-in does not wait for it to end.
    child.unref();
  }
  if (control.hold === true) waitForRelease(run);
  else run();
}
