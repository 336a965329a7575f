/**
 * Ignition's `Validate()` rules beyond the schema, with its messages and JSON paths
 * (docs/ignition.md#rules; messages from coreos/ignition `config/shared/errors`).
 * `checkConfig` runs them on a decoded config of a known spec.
 */
import type {
  DirectoryNode,
  FileNode,
  IgnitionConfig,
  LinkNode,
  Owner,
  Storage,
  Unit,
} from './config.ts';
import { checkDuplicates, type FindingCollector, type JsonPath } from './findings.ts';
import {
  ignitionMessages,
  invalidUnitContentMessage,
  noInstallSectionForInstantiableUnitMessage,
  noInstallSectionMessage,
} from './messages.ts';
import { cleanPath, pathProblem, systemdUnitDir } from './paths.ts';
import { checkDevices } from './rules-devices.ts';
import { checkProxy, checkResource } from './rules-resource.ts';
import type { SpecRules } from './spec.ts';
import { parseUnitText } from './unit-file.ts';

/** Highest legal mode: permission bits plus setuid, setgid and sticky. */
const maxMode = 0o7777;
const specialModeBits = 0o7000;
/** Unit name suffixes Ignition accepts (`path.Ext` of the name). */
export const unitSuffixes: readonly string[] = [
  '.service',
  '.socket',
  '.device',
  '.mount',
  '.automount',
  '.swap',
  '.target',
  '.path',
  '.timer',
  '.snapshot',
  '.slice',
  '.scope',
];
export const dropinSuffix = '.conf';

const same = (value: string) => value;

function checkOwner(owner: Owner | undefined, path: JsonPath, findings: FindingCollector) {
  if (owner === undefined) return;
  const hasId = owner.id !== undefined && owner.id !== null;
  const hasName = owner.name !== undefined && owner.name !== null && owner.name !== '';
  if (hasId && hasName) findings.error(path, ignitionMessages.ErrBothIDAndNameSet);
}

function checkMode(
  mode: number | null | undefined,
  path: JsonPath,
  rules: SpecRules,
  findings: FindingCollector,
) {
  if (mode === undefined || mode === null) return;
  if (mode < 0 || mode > maxMode) findings.error(path, ignitionMessages.ErrFileIllegalMode);
  if (!rules.specialModeBits && (mode & specialModeBits) !== 0)
    findings.warn(path, ignitionMessages.ErrModeSpecialBits);
}

function checkNode(
  node: FileNode | DirectoryNode | LinkNode,
  path: JsonPath,
  findings: FindingCollector,
) {
  const problem = pathProblem(node.path);
  if (problem !== undefined) findings.error([...path, 'path'], problem);
  checkOwner(node.user, [...path, 'user'], findings);
  checkOwner(node.group, [...path, 'group'], findings);
}

function checkFiles(storage: Storage, rules: SpecRules, findings: FindingCollector) {
  storage.files?.forEach((file, index) => {
    const path = ['storage', 'files', index];
    checkNode(file, path, findings);
    checkMode(file.mode, [...path, 'mode'], rules, findings);
    const contents = file.contents ?? {};
    checkResource(contents, [...path, 'contents'], rules, findings, { sourceRequired: false });
    if (file.overwrite === true && (contents.source === undefined || contents.source === null))
      findings.error([...path, 'overwrite'], ignitionMessages.ErrOverwriteAndNilSource);
    file.append?.forEach((resource, appendIndex) => {
      checkResource(resource, [...path, 'append', appendIndex], rules, findings, {
        sourceRequired: false,
      });
    });
  });
  storage.directories?.forEach((directory, index) => {
    const path = ['storage', 'directories', index];
    checkNode(directory, path, findings);
    checkMode(directory.mode, [...path, 'mode'], rules, findings);
  });
  storage.links?.forEach((link, index) => {
    const path = ['storage', 'links', index];
    checkNode(link, path, findings);
    const noTarget = link.target === undefined || link.target === null || link.target === '';
    if (rules.linkTargetRequired && noTarget) {
      // 3.3+ stops judging this link here (`continue` in validateLinks).
      findings.error([...path, 'target'], ignitionMessages.ErrLinkTargetRequired);
      return;
    }
    if (link.hard !== true) return;
    // One warning per owner field that is set (not nil, even when empty), on that field:
    // coreos/ignition config/v3_5/types/storage.go validateLinks `ownerCheck` (a5d574a8; the
    // same in every 3.x there; Ignition 2.14 lacks it).
    for (const owner of ['user', 'group'] as const)
      for (const field of ['id', 'name'] as const) {
        const value = link[owner]?.[field];
        if (value !== undefined && value !== null)
          findings.warn([...path, owner, field], ignitionMessages.ErrHardLinkSpecifiesOwner);
      }
  });
}

/** Storage-level rules: nothing under a configured link; hard links not to directories. */
function checkLinkUse(storage: Storage, rules: SpecRules, findings: FindingCollector) {
  const linkPaths = (storage.links ?? []).map((link) => link.path).filter((path) => path !== '');
  const underLink = (path: string) => linkPaths.some((link) => path.startsWith(`${link}/`));
  const lists = [
    ['files', storage.files, ignitionMessages.ErrFileUsedSymlink],
    ['directories', storage.directories, ignitionMessages.ErrDirectoryUsedSymlink],
    ['links', storage.links, ignitionMessages.ErrLinkUsedSymlink],
  ] as const;
  for (const [list, nodes, message] of lists) {
    nodes?.forEach((node, index) => {
      if (node.path !== undefined && underLink(node.path))
        findings.error(['storage', list, index], message);
    });
  }
  const directoryPaths = new Set((storage.directories ?? []).map((directory) => directory.path));
  storage.links?.forEach((link, index) => {
    if (link.hard !== true || link.target === undefined || link.target === null) return;
    if (rules.linkTargetRequired && link.target === '') return;
    // A relative target is joined to the link's own path (not its folder), as Ignition does.
    const target = link.target.startsWith('/')
      ? cleanPath(link.target)
      : cleanPath(`${link.path}/${link.target}`);
    if (directoryPaths.has(target))
      findings.error(['storage', 'links', index], ignitionMessages.ErrHardLinkToDirectory);
  });
}

const hasContents = (text: string | null | undefined): text is string =>
  text !== undefined && text !== null && text !== '';

/** Whether a unit text has an `[Install]` section; undefined when it does not parse. */
function hasInstallSection(text: string): boolean | undefined {
  const parsed = parseUnitText(text);
  if ('problem' in parsed) return undefined;
  return parsed.options.some((option) => option.section === 'Install');
}

/**
 * An instance and its template, as coreos/ignition `config/v3_5/types/systemd.go` (a5d574a8)
 * matches them: `^(.+?)@(.+?)\.service$` (lazy: `a@b@c.service` → `a@.service`).
 */
const instancePattern = /^(.+?)@(.+?)\.service$/;

function checkUnits(units: readonly Unit[], findings: FindingCollector) {
  units.forEach((unit, index) => {
    const path = ['systemd', 'units', index];
    const extension = /(\.[^./]*)$/.exec(unit.name ?? '')?.[1] ?? '';
    if (!unitSuffixes.includes(extension))
      findings.error([...path, 'name'], ignitionMessages.ErrInvalidSystemdExt);
    if (hasContents(unit.contents)) {
      const parsed = parseUnitText(unit.contents);
      if ('problem' in parsed) {
        findings.error([...path, 'contents'], invalidUnitContentMessage(parsed.problem));
      } else if (unit.enabled === true && !parsed.options.some((o) => o.section === 'Install')) {
        findings.warn([...path, 'contents'], noInstallSectionMessage(unit.name));
      }
    }
    unit.dropins?.forEach((dropin, dropinIndex) => {
      const dropinPath = [...path, 'dropins', dropinIndex];
      if (!(dropin.name ?? '').endsWith(dropinSuffix))
        findings.error([...dropinPath, 'name'], ignitionMessages.ErrInvalidSystemdDropinExt);
      if (hasContents(dropin.contents)) {
        const parsed = parseUnitText(dropin.contents);
        if ('problem' in parsed)
          findings.error([...dropinPath, 'contents'], invalidUnitContentMessage(parsed.problem));
      }
    });
    checkDuplicates(unit.dropins, (dropin) => dropin.name, [...path, 'dropins'], findings);
  });
  checkTemplates(units, findings);
  checkDuplicates(units, (unit) => unit.name, ['systemd', 'units'], findings);
}

/**
 * An enabled instance whose template (with contents) has no `[Install]` enables nothing: a
 * warning on the instance's `contents`, skipped when the template does not parse (its own
 * error is reported on it) — `Systemd.Validate` in config/v3_5/types/systemd.go (a5d574a8).
 */
function checkTemplates(units: readonly Unit[], findings: FindingCollector) {
  const byName = new Map(units.map((unit) => [unit.name, unit]));
  units.forEach((unit, index) => {
    const match = instancePattern.exec(unit.name ?? '');
    if (unit.enabled !== true || match === null) return;
    const templateName = `${match[1]}@.service`;
    const template = byName.get(templateName);
    if (template === undefined || !hasContents(template.contents)) return;
    if (hasInstallSection(template.contents) === false)
      findings.warn(
        ['systemd', 'units', index, 'contents'],
        noInstallSectionForInstantiableUnitMessage(templateName, unit.name),
      );
  });
}

/** A file, directory or link must not be where a unit or drop-in with contents is written. */
function checkSystemdConflicts(config: IgnitionConfig, findings: FindingCollector) {
  const reserved = new Set<string>();
  for (const unit of config.systemd?.units ?? []) {
    if (hasContents(unit.contents)) reserved.add(`${systemdUnitDir}/${unit.name}`);
    for (const dropin of unit.dropins ?? [])
      if (hasContents(dropin.contents))
        reserved.add(`${systemdUnitDir}/${unit.name}.d/${dropin.name}`);
  }
  for (const list of ['files', 'directories', 'links'] as const) {
    config.storage?.[list]?.forEach((node, index) => {
      if (reserved.has(node.path))
        findings.error(['storage', list, index, 'path'], ignitionMessages.ErrPathConflictsSystemd);
    });
  }
}

function checkIgnitionSection(
  config: IgnitionConfig,
  rules: SpecRules,
  findings: FindingCollector,
) {
  const ignition = config.ignition;
  const merge = ignition.config?.merge ?? [];
  merge.forEach((resource, index) => {
    checkResource(resource, ['ignition', 'config', 'merge', index], rules, findings, {
      sourceRequired: true,
    });
  });
  if (ignition.config?.replace !== undefined) {
    checkResource(ignition.config.replace, ['ignition', 'config', 'replace'], rules, findings, {
      sourceRequired: false,
    });
  }
  const authorities = ignition.security?.tls?.certificateAuthorities ?? [];
  authorities.forEach((resource, index) => {
    const path = ['ignition', 'security', 'tls', 'certificateAuthorities', index];
    checkResource(resource, path, rules, findings, { sourceRequired: true });
  });
  if (ignition.proxy !== undefined) checkProxy(ignition.proxy, ['ignition', 'proxy'], findings);
  const sourceKey = (resource: { source?: string | null }) => resource.source ?? '';
  checkDuplicates(merge, sourceKey, ['ignition', 'config', 'merge'], findings);
  checkDuplicates(
    authorities,
    sourceKey,
    ['ignition', 'security', 'tls', 'certificateAuthorities'],
    findings,
  );
  checkDuplicates(ignition.proxy?.noProxy, same, ['ignition', 'proxy', 'noProxy'], findings);
}

function checkResourceHeaderDuplicates(config: IgnitionConfig, findings: FindingCollector) {
  const visit = (resource: { httpHeaders?: { name: string }[] } | undefined, path: JsonPath) =>
    checkDuplicates(
      resource?.httpHeaders,
      (header) => header.name,
      [...path, 'httpHeaders'],
      findings,
    );
  config.ignition.config?.merge?.forEach((r, i) => {
    visit(r, ['ignition', 'config', 'merge', i]);
  });
  visit(config.ignition.config?.replace, ['ignition', 'config', 'replace']);
  config.ignition.security?.tls?.certificateAuthorities?.forEach((r, i) => {
    visit(r, ['ignition', 'security', 'tls', 'certificateAuthorities', i]);
  });
  config.storage?.files?.forEach((file, i) => {
    visit(file.contents, ['storage', 'files', i, 'contents']);
    file.append?.forEach((r, j) => {
      visit(r, ['storage', 'files', i, 'append', j]);
    });
  });
}

function checkPasswd(config: IgnitionConfig, findings: FindingCollector) {
  const users = config.passwd?.users ?? [];
  users.forEach((user, index) => {
    const path = ['passwd', 'users', index];
    checkDuplicates(user.sshAuthorizedKeys, same, [...path, 'sshAuthorizedKeys'], findings);
    checkDuplicates(user.groups, same, [...path, 'groups'], findings);
  });
  checkDuplicates(users, (user) => user.name, ['passwd', 'users'], findings);
  checkDuplicates(config.passwd?.groups, (group) => group.name, ['passwd', 'groups'], findings);
}

/** `shouldExist` and `shouldNotExist` share one key space; the later entry is reported. */
function checkKernelArguments(config: IgnitionConfig, findings: FindingCollector) {
  const seen = new Set<string>();
  const kargs = config.kernelArguments;
  checkDuplicates(kargs?.shouldExist, same, ['kernelArguments', 'shouldExist'], findings, seen);
  checkDuplicates(
    kargs?.shouldNotExist,
    same,
    ['kernelArguments', 'shouldNotExist'],
    findings,
    seen,
  );
}

/** Every rule of docs/ignition.md#rules on a decoded config whose spec is `rules.version`. */
export function checkConfig(
  config: IgnitionConfig,
  rules: SpecRules,
  findings: FindingCollector,
): void {
  checkIgnitionSection(config, rules, findings);
  const storage = config.storage;
  if (storage !== undefined) {
    checkFiles(storage, rules, findings);
    checkLinkUse(storage, rules, findings);
    checkDevices(storage, rules, findings);
    // Files, directories and links share one key space, walked in Go field order.
    const nodes = new Set<string>();
    checkDuplicates(
      storage.directories,
      (n) => n.path,
      ['storage', 'directories'],
      findings,
      nodes,
    );
    checkDuplicates(storage.files, (n) => n.path, ['storage', 'files'], findings, nodes);
    checkDuplicates(storage.links, (n) => n.path, ['storage', 'links'], findings, nodes);
  }
  checkUnits(config.systemd?.units ?? [], findings);
  checkSystemdConflicts(config, findings);
  checkPasswd(config, findings);
  checkKernelArguments(config, findings);
  checkResourceHeaderDuplicates(config, findings);
}
