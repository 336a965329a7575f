/** What xorriso and isoinfo (the real readers) say about an ISO, parsed for comparison. */
import { requireTool, runOk } from '@hostmirror/fixtures';

export interface ListedFile {
  path: string;
  lba: number;
  size: number;
}

const sortFiles = (files: ListedFile[]) => files.sort((a, b) => a.path.localeCompare(b.path));

/** `xorriso -indev ISO -find / -exec report_lba --`: every file with data (Rock Ridge names). */
export async function xorrisoFiles(iso: string): Promise<ListedFile[]> {
  const xorriso = await requireTool('xorriso');
  const { stdout } = await runOk(
    xorriso,
    ['-indev', iso, '-find', '/', '-exec', 'report_lba', '--'],
    {
      timeoutMs: 30_000,
    },
  );
  const files: ListedFile[] = [];
  for (const line of stdout.toString().split('\n')) {
    const match = /^File data lba:\s*\d+\s*,\s*(\d+)\s*,\s*\d+\s*,\s*(\d+)\s*,\s*'(.*)'$/.exec(
      line,
    );
    if (match)
      files.push({ lba: Number(match[1]), size: Number(match[2]), path: match[3] as string });
  }
  return sortFiles(files);
}

/** `isoinfo -l` (primary identifiers), `-R` (Rock Ridge) or `-J` (Joliet): regular files. */
export async function isoinfoFiles(iso: string, tree: '' | '-R' | '-J'): Promise<ListedFile[]> {
  const isoinfo = await requireTool('isoinfo');
  const args = ['-l', '-i', iso];
  if (tree !== '') args.unshift(tree);
  const { stdout } = await runOk(isoinfo, args, { timeoutMs: 30_000 });
  const files: ListedFile[] = [];
  let directory = '/';
  for (const line of stdout.toString('latin1').split('\n')) {
    const heading = /^Directory listing of (.*)$/.exec(line);
    if (heading) directory = heading[1] as string;
    const match = /^-\S+\s+\d+\s+\d+\s+\d+\s+(\d+)\s+.*\[\s*(\d+)\s+\d+\]\s+(.*?)\s*$/.exec(line);
    if (match) {
      // Identifiers as coreos-installer compares them: `;1`, then a trailing `.`, removed.
      const name = (match[3] as string).replace(/;1$/, '').replace(/\.$/, '');
      files.push({ path: `${directory}${name}`, lba: Number(match[2]), size: Number(match[1]) });
    }
  }
  return sortFiles(files);
}

/** `isoinfo -x PATH` through one tree: the file's bytes as that tree sees them. */
export async function isoinfoExtract(iso: string, tree: '' | '-R' | '-J', path: string) {
  const isoinfo = await requireTool('isoinfo');
  const args = ['-i', iso, '-x', path];
  if (tree !== '') args.unshift(tree);
  return (await runOk(isoinfo, args, { timeoutMs: 30_000 })).stdout;
}

/** xorriso's report on the system area (MBR, GPT) and its complaints. */
export async function xorrisoSystemArea(iso: string): Promise<string> {
  const xorriso = await requireTool('xorriso');
  const result = await runOk(xorriso, ['-indev', iso, '-report_system_area', 'plain'], {
    timeoutMs: 30_000,
  });
  return `${result.stdout.toString()}\n${result.stderr.toString()}`;
}
