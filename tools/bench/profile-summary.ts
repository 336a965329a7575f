/**
 * Summarize V8 CPU profiles (`node --cpu-prof --cpu-prof-dir DIR …`): the frames with the most
 * self time, and self time by file. Usage:
 *
 *   node --import tsx tools/bench/profile-summary.ts DIR_OR_FILE.cpuprofile... [--top 15]
 *
 * One table per profile (a process that starts workers writes one profile per thread). Self
 * time is the samples whose top frame is that function, times the sampling interval; "(idle)"
 * is the main thread waiting (for the disk, a child, a worker), "(garbage collector)" is GC.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface FrameTime {
  frame: string;
  ms: number;
}

/** Self time per frame and per file, largest first; total profiled ms. */
function summarize(profile: Profile): {
  totalMs: number;
  frames: FrameTime[];
  files: FrameTime[];
} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const frames = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [index, id] of profile.samples.entries()) {
    const ms = (profile.timeDeltas[index + 1] ?? profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file =
      url === ''
        ? '(native)'
        : url.replace(/^file:\/\//, '').replace(/.*\/(packages|node_modules)\//, '$1/');
    const name =
      `${functionName || '(anonymous)'} ${url === '' ? '' : `${file}:${lineNumber + 1}`}`.trim();
    frames.set(name, (frames.get(name) ?? 0) + ms);
    files.set(file, (files.get(file) ?? 0) + ms);
  }
  const sorted = (map: Map<string, number>) =>
    [...map].map(([frame, ms]) => ({ frame, ms })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    frames: sorted(frames),
    files: sorted(files),
  };
}

async function profilesOf(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory())
      for (const name of (await readdir(path)).sort())
        if (name.endsWith('.cpuprofile')) found.push(join(path, name));
    if (path.endsWith('.cpuprofile')) found.push(path);
  }
  return found;
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '15' } },
  allowPositionals: true,
});
const top = Number(values.top);
for (const file of await profilesOf(positionals)) {
  const { totalMs, frames, files } = summarize(JSON.parse(await readFile(file, 'utf8')) as Profile);
  console.log(`\n${basename(file)}: ${totalMs.toFixed(0)} ms profiled`);
  console.log('| self ms | % | frame |\n|---:|---:|---|');
  for (const { frame, ms } of frames.slice(0, top))
    console.log(`| ${ms.toFixed(1)} | ${((100 * ms) / totalMs).toFixed(1)} | ${frame} |`);
  console.log('| self ms | % | file |\n|---:|---:|---|');
  for (const { frame, ms } of files.slice(0, Math.min(top, 8)))
    console.log(`| ${ms.toFixed(1)} | ${((100 * ms) / totalMs).toFixed(1)} | ${frame} |`);
}
