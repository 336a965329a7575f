/**
 * One fuzzing process for some targets, one after the other: inputs [from, to) of each under
 * `seed` (the first target from `from`, the rest from `--start`). It tells its parent
 * (run.ts) which input it starts, so the parent can call an input that never returns a hang
 * and kill it, and reports every crash (an error that is not a typed project error) and its
 * peak RSS. Run by run.ts; not meant to be started by hand.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inputFor } from './mutate.ts';
import { corpusFor, isTypedError, makeTargets } from './targets.ts';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'start'; target: string; index: number }
  | { type: 'crash'; target: string; index: number; error: string }
  | { type: 'slow'; target: string; index: number; cpuMs: number }
  | { type: 'rss'; bytes: number }
  | { type: 'done'; bytes: number };

const { values } = parseArgs({
  options: {
    targets: { type: 'string' },
    start: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    save: { type: 'string' },
    'cpu-limit-ms': { type: 'string' },
  },
});
/** An input that takes more CPU time than this is a hang, however long the machine made it wait. */
const cpuLimitMs = Number(values['cpu-limit-ms'] ?? 5000);
const send = (message: WorkerMessage) =>
  new Promise<void>((resolve) =>
    process.send ? process.send(message, () => resolve()) : resolve(),
  );
const peakRss = () => process.resourceUsage().maxRSS * 1024;

function describe(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error thrown: ${String(error).slice(0, 200)}`;
  const where = (error.stack ?? '')
    .split('\n')
    .slice(1, 4)
    .map((line) => line.trim())
    .join(' | ');
  return `${error.name}: ${error.message.slice(0, 300)} @ ${where}`;
}

const { targets, corpus, dispose } = await makeTargets();
const names = (values.targets ?? '').split(',');
const seed = Number(values.seed ?? 1);
const to = Number(values.to ?? 100);
await send({ type: 'ready' });
for (const [position, name] of names.entries()) {
  const target = targets.find((candidate) => candidate.name === name);
  if (target === undefined) throw new Error(`unknown target ${name}`);
  const seeds = corpusFor(corpus, target.name);
  const from = Number(position === 0 ? (values.from ?? 0) : (values.start ?? 0));
  for (let index = from; index < to; index++) {
    const input = inputFor(seeds, target.kind, seed, target.name, index, target.maxInputBytes);
    process.send?.({ type: 'start', target: name, index }); // ordered; not awaited (a round trip per input)
    const cpuBefore = process.cpuUsage();
    try {
      await target.run(input);
    } catch (error) {
      if (!isTypedError(error)) {
        await send({ type: 'crash', target: name, index, error: describe(error) });
        if (values.save !== undefined)
          await writeFile(join(values.save, `${target.name}-${seed}-${index}.crash`), input);
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (cpuMs > cpuLimitMs) {
      await send({ type: 'slow', target: name, index, cpuMs: Math.round(cpuMs) });
      if (values.save !== undefined)
        await writeFile(join(values.save, `${target.name}-${seed}-${index}.hang`), input);
    }
    if (index % 500 === 0) await send({ type: 'rss', bytes: peakRss() });
  }
}
await dispose();
await send({ type: 'done', bytes: peakRss() });
process.disconnect?.();
