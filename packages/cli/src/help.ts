/**
 * `--help` text, generated from the declarations: each verb's options (`OptionDeclaration`:
 * description, value name, default, choices, environment variables), its environment and notes;
 * the top-level help lists the verbs with a line each and the common workflows.
 */
import { type Command, commonOptions, type OptionDeclaration } from './command.ts';
import type { VerbGroup } from './verbs.ts';

const WIDTH = 100;
const OPTION_COLUMN = 30;

/** Words of `text` in lines of at most `width - indent`, each indented by `indent`. */
function wrap(text: string, indent: number, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = '';
  let lineIndent = firstIndent;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && lineIndent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
      lineIndent = indent;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `-o, --output PATH`, `    --json`, `--kargs-append KARG…` (repeatable). */
export function optionSignature(name: string, option: OptionDeclaration): string {
  const short = option.short === undefined ? '    ' : `-${option.short}, `;
  const value = option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : '';
  return `${short}--${name}${value}${option.multiple === true ? '…' : ''}`;
}

/** What `--help` says of one option, after its description. */
function optionDetails(option: OptionDeclaration): string {
  const details: string[] = [];
  if (option.choices !== undefined) details.push(`one of: ${option.choices.join(', ')}`);
  if (option.default !== undefined) details.push(`default: ${option.default}`);
  if (option.multiple === true) details.push('repeatable');
  if (option.env !== undefined && option.env.length > 0)
    details.push(`environment: ${option.env.join(', ')}`);
  return details.length === 0 ? '' : ` (${details.join('; ')})`;
}

function optionLines(name: string, option: OptionDeclaration): string[] {
  const signature = `  ${optionSignature(name, option)}`;
  const text = `${option.description ?? ''}${optionDetails(option)}`;
  if (signature.length + 2 > OPTION_COLUMN) {
    return [signature, ...wrap(text, OPTION_COLUMN).map((l) => `${' '.repeat(OPTION_COLUMN)}${l}`)];
  }
  const [first = '', ...rest] = wrap(text, OPTION_COLUMN);
  return [
    `${signature.padEnd(OPTION_COLUMN)}${first}`,
    ...rest.map((l) => `${' '.repeat(OPTION_COLUMN)}${l}`),
  ];
}

/** `hostmirror <verb> --help`. */
export function verbHelp(command: Command): string {
  const lines = [`usage: ${command.usage}`, '', ...wrap(command.summary, 0), ''];
  const own = Object.entries(command.options);
  if (own.length > 0) {
    lines.push('options:');
    for (const [name, option] of own) lines.push(...optionLines(name, option));
    lines.push('');
  }
  lines.push('common options:');
  for (const [name, option] of Object.entries(commonOptions))
    lines.push(...optionLines(name, option));
  const environment = Object.entries(command.environment ?? {});
  if (environment.length > 0) {
    lines.push('', 'environment:');
    for (const [name, text] of environment)
      lines.push(`  ${name}`, ...wrap(text, 6).map((l) => `      ${l}`));
  }
  if (command.notes !== undefined && command.notes.length > 0)
    lines.push('', ...command.notes.flatMap((note) => [...wrap(note, 0), '']));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The common workflows, shown by `hostmirror --help`: what users come to do, in order. */
const WORKFLOWS: readonly { title: string; steps: readonly string[] }[] = [
  {
    title: 'From oc-mirror to a booted cluster (agent-based install, no mirror registry server)',
    steps: [
      'hostmirror mirror image-set-config --release 4.14.3 -o isc.yaml',
      'oc-mirror --v2 --config isc.yaml file://oc-mirror-out   # connected machine',
      'hostmirror mirror check oc-mirror-out                   # every image the cluster pulls is there',
      'hostmirror install-config oc-mirror-out -i install-config.yaml -o cluster/install-config.yaml',
      'openshift-install agent create image --dir cluster',
      'hostmirror volume prepare --mirror oc-mirror-out --image volume.img',
      'hostmirror build-iso --iso cluster/agent.x86_64.iso --install-config install-config.yaml \\',
      '  --agent-config agent-config.yaml --mirror oc-mirror-out -o agent-mirror.iso --report report.json',
    ],
  },
  {
    title: 'Try it on generated inputs (needs only Node, in a clone of the repository)',
    steps: ['hostmirror build-iso --demo -o out'],
  },
  {
    title: 'Edit a CoreOS live ISO (as coreos-installer iso … does)',
    steps: [
      'hostmirror iso inspect live.iso',
      'hostmirror iso embed live.iso --ignition config.ign -o custom.iso',
      'hostmirror iso kargs live.iso --append console=ttyS0 --in-place',
      'hostmirror iso pxe live.iso --output-dir pxe --base-url http://boot.example/pxe',
    ],
  },
];

/** `hostmirror --help`. */
export function topHelp(groups: Record<string, VerbGroup>, { workflows = true } = {}): string {
  const lines = [
    'hostmirror: run an OpenShift agent-based install in a disconnected site without a separate mirror registry server',
    '',
    'usage: hostmirror <verb> [options]',
    '       hostmirror <verb> --help     the options of one verb',
    '       hostmirror --version         the version (-V; --json for packages and codecs)',
    '',
    'verbs:',
  ];
  const width = Math.max(...Object.keys(groups).map((name) => name.length)) + 2;
  for (const [name, group] of Object.entries(groups)) {
    const [first = '', ...rest] = wrap(group.summary, width + 2);
    lines.push(
      `  ${name.padEnd(width)}${first}`,
      ...rest.map((l) => `${' '.repeat(width + 2)}${l}`),
    );
  }
  if (!workflows)
    return `${lines.join('\n')}\n\nRun \`hostmirror --help\` for the common workflows.\n`;
  lines.push('', 'workflows:');
  for (const { title, steps } of WORKFLOWS)
    lines.push(`  ${title}:`, ...steps.map((step) => `    ${step}`), '');
  lines.push(
    'Exit codes: 0 success, 1 an error you can fix (the message names it and how), 2 bad usage.',
  );
  return `${lines.join('\n')}\n`;
}
