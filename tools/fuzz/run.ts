/**
 * The fuzz harness: `node --import tsx tools/fuzz/run.ts [--count N] [--seed S]
 * [--target NAME]… [--from I] [--timeout-ms T] [--jobs J] [--save DIR] [--json]`.
 * For each target it runs inputs [from, from+count) in a child process (worker.ts, V8 heap
 * capped), counting crashes (any error that is not a typed project error with a code, or the
 * process dying), hangs (an input using more than --timeout-ms of CPU time, or still running
 * after --wall-ms of wall time: then the child is killed and restarted after it) and the
 * child's peak RSS. CPU time, not wall time, judges a slow input: on a shared machine at
 * `nice -n 19` a worker can wait seconds for a core. --log FILE appends JSON lines as it goes
 * (incidents, progress with peak RSS, per-target summaries), so a stopped run keeps its figures. Exit 1 when anything crashed or hung.
 */
import { fork } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inputFor } from './mutate.ts';
import { corpusFor, makeTargets } from './targets.ts';
import type { WorkerMessage } from './worker.ts';

export interface FuzzOptions {
  targets?: string[];
  count: number;
  seed?: number;
  from?: number;
  /** CPU time one input may take (ms). */
  timeoutMs?: number;
  /** Wall time after which an input is called hung and its worker killed (ms). */
  wallMs?: number;
  /** Append JSON lines here as the run goes. */
  log?: string;
  jobs?: number;
  /** Folder for crashing and hanging inputs. */
  save?: string;
  /** V8 heap cap of each worker (MiB; default 192, so the peak RSS is what the readers need). */
  heapMiB?: number;
  onProgress?: (line: string) => void;
}

export interface Incident {
  index: number;
  kind: 'crash' | 'hang';
  detail: string;
}

export interface TargetSummary {
  target: string;
  inputs: number;
  crashes: number;
  hangs: number;
  peakRssMiB: number;
  seconds: number;
  incidents: Incident[];
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const STARTUP_MS = 120_000;

export async function targetNames(): Promise<string[]> {
  const { targets, dispose } = await makeTargets();
  await dispose();
  return targets.map((target) => target.name);
}

/**
 * Run inputs [from, from+count) of each target, all in one worker process (one start-up),
 * restarting it after a hang or a death at the input after the one that failed. The peak RSS
 * is the worker's, so with several targets it is the largest of theirs.
 */
async function fuzzTargets(names: string[], options: FuzzOptions): Promise<TargetSummary[]> {
  const seed = options.seed ?? 1;
  const from = options.from ?? 0;
  const to = from + options.count;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const wallMs = options.wallMs ?? Math.max(60_000, 10 * timeoutMs);
  const log = (entry: object) =>
    options.log === undefined
      ? undefined
      : appendFileSync(
          options.log,
          `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`,
        );
  const incidents = new Map<string, Incident[]>(names.map((name) => [name, []]));
  const peaks = new Map<string, number>();
  const seconds = new Map<string, number>();
  let position = { target: 0, index: from };
  while (position.target < names.length) {
    position = await new Promise<typeof position>((done) => {
      const remaining = names.slice(position.target);
      const args = [
        '--targets',
        remaining.join(','),
        '--seed',
        String(seed),
        '--from',
        String(position.index),
        '--start',
        String(from),
        '--to',
        String(to),
        '--cpu-limit-ms',
        String(timeoutMs),
      ];
      if (options.save !== undefined) args.push('--save', options.save);
      const child = fork(WORKER, args, {
        execArgv: ['--import', 'tsx', `--max-old-space-size=${options.heapMiB ?? 192}`],
        // glibc raises its mmap threshold each time a large block is freed, so after the first
        // freed 1 MiB input every later one comes from the heap and its freed pages stay in
        // RSS: 10,000 initrd inputs crept to 180 MiB (input generation alone, no reader: 187)
        // with V8's heap flat at 50 MiB. A fixed threshold keeps large buffers mmapped and
        // returned on free (the same run: flat at 128 MiB), so RSS is what the readers hold.
        env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(128 * 1024) },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      let current = { target: remaining[0] as string, index: position.index };
      let since = performance.now();
      let finished = false;
      let hung = false;
      let timer = setTimeout(() => hang(), STARTUP_MS);
      const hang = () => {
        const detail = `no result after ${wallMs} ms of wall time`;
        incidents.get(current.target)?.push({ index: current.index, kind: 'hang', detail });
        log({ event: 'hang', target: current.target, index: current.index, detail });
        hung = true;
        child.kill('SIGKILL');
      };
      const account = (target: string) => {
        const now = performance.now();
        seconds.set(target, (seconds.get(target) ?? 0) + (now - since) / 1000);
        since = now;
      };
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'start') {
          if (message.target !== current.target) account(current.target);
          current = { target: message.target, index: message.index };
          clearTimeout(timer);
          timer = setTimeout(() => hang(), wallMs);
        } else if (message.type === 'crash') {
          const { target, index, error: detail } = message;
          incidents.get(target)?.push({ index, kind: 'crash', detail });
          log({ event: 'crash', target, index, detail });
        } else if (message.type === 'slow') {
          const { target, index } = message;
          const detail = `took ${message.cpuMs} ms of CPU time (limit ${timeoutMs})`;
          incidents.get(target)?.push({ index, kind: 'hang', detail });
          log({ event: 'hang', target, index, detail });
        } else if (message.type === 'rss' || message.type === 'done') {
          peaks.set(current.target, Math.max(peaks.get(current.target) ?? 0, message.bytes));
          if (message.type === 'done') finished = true;
          else {
            options.onProgress?.(`${current.target}: ${current.index - from + 1}/${options.count}`);
            const peakRssMiB = Math.round(message.bytes / 1048576);
            log({ event: 'progress', target: current.target, index: current.index, peakRssMiB });
          }
        } else if (message.type === 'ready') since = performance.now();
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        account(current.target);
        if (finished) return done({ target: names.length, index: from });
        if (!hung) {
          log({ event: 'died', target: current.target, index: current.index, signal, code });
          incidents.get(current.target)?.push({
            index: current.index,
            kind: 'crash',
            detail: `the worker died (${signal ?? `exit ${code}`}) on this input: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          });
        }
        const target = names.indexOf(current.target);
        done(
          current.index + 1 < to
            ? { target, index: current.index + 1 }
            : { target: target + 1, index: from },
        );
      });
    });
  }
  const summaries: TargetSummary[] = [];
  for (const name of names) {
    const found = incidents.get(name) ?? [];
    if (options.save !== undefined) await saveIncidents(name, seed, found, options.save);
    log({
      event: 'summary',
      target: name,
      inputs: options.count,
      from,
      crashes: found.filter((i) => i.kind === 'crash').length,
      hangs: found.filter((i) => i.kind === 'hang').length,
      peakRssMiB: Math.round(((peaks.get(name) ?? 0) / 1048576) * 10) / 10,
    });
    summaries.push({
      target: name,
      inputs: options.count,
      crashes: found.filter((incident) => incident.kind === 'crash').length,
      hangs: found.filter((incident) => incident.kind === 'hang').length,
      peakRssMiB: Math.round(((peaks.get(name) ?? 0) / 1024 / 1024) * 10) / 10,
      seconds: Math.round((seconds.get(name) ?? 0) * 10) / 10,
      incidents: found,
    });
  }
  return summaries;
}

/** Hangs and deaths leave no input behind in the worker: write them from here. */
async function saveIncidents(name: string, seed: number, incidents: Incident[], folder: string) {
  const lost = incidents.filter(
    (incident) => incident.kind === 'hang' || incident.detail.startsWith('the worker died'),
  );
  if (lost.length === 0) return;
  const { targets, corpus, dispose } = await makeTargets();
  try {
    const target = targets.find((candidate) => candidate.name === name);
    if (target === undefined) return;
    for (const incident of lost)
      await writeFile(
        join(folder, `${name}-${seed}-${incident.index}.${incident.kind}`),
        inputFor(
          corpusFor(corpus, name),
          target.kind,
          seed,
          name,
          incident.index,
          target.maxInputBytes,
        ),
      );
  } finally {
    await dispose();
  }
}

/** Fuzz the targets (all by default), `jobs` worker processes at a time, each a share of them. */
export async function runFuzz(options: FuzzOptions): Promise<TargetSummary[]> {
  const names = options.targets?.length ? options.targets : await targetNames();
  if (options.save !== undefined) await mkdir(options.save, { recursive: true });
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, names.length));
  const shares = Array.from({ length: jobs }, (_, job) =>
    names.filter((_, index) => index % jobs === job),
  );
  const results = (await Promise.all(shares.map((share) => fuzzTargets(share, options)))).flat();
  return names.map((name) => results.find((summary) => summary.target === name) as TargetSummary);
}

function table(summaries: TargetSummary[]): string {
  const rows = summaries.map((s) =>
    [s.target, s.inputs, s.crashes, s.hangs, s.peakRssMiB, s.seconds].map(String),
  );
  const header = ['target', 'inputs', 'crashes', 'hangs', 'peak RSS MiB', 'seconds'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      from: { type: 'string', default: '0' },
      target: { type: 'string', multiple: true },
      'timeout-ms': { type: 'string', default: '5000' },
      'wall-ms': { type: 'string' },
      log: { type: 'string' },
      jobs: { type: 'string', default: '1' },
      'heap-mib': { type: 'string', default: '192' },
      save: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const options: FuzzOptions = {
    count: Number(values.count),
    seed: Number(values.seed),
    from: Number(values.from),
    timeoutMs: Number(values['timeout-ms']),
    jobs: Number(values.jobs),
    heapMiB: Number(values['heap-mib']),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  };
  if (values.target !== undefined) options.targets = values.target;
  if (values.save !== undefined) options.save = resolve(values.save);
  if (values['wall-ms'] !== undefined) options.wallMs = Number(values['wall-ms']);
  if (values.log !== undefined) options.log = resolve(values.log);
  const summaries = await runFuzz(options);
  if (values.json) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
  else {
    process.stdout.write(`${table(summaries)}\n`);
    for (const summary of summaries)
      for (const incident of summary.incidents.slice(0, 5))
        process.stdout.write(
          `${summary.target} #${incident.index} ${incident.kind}: ${incident.detail}\n`,
        );
  }
  process.exitCode = summaries.some((s) => s.crashes + s.hangs > 0) ? 1 : 0;
}
