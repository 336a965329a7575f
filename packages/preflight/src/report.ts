import type { PullSourceStatus } from '@hostmirror/host-config';
import type { MirrorCheckErrorCode } from './errors.ts';

/** What happened at one pull source, offline, with only the archive serving. */
export type SourceOutcome =
  | 'served'
  | 'skipped'
  | 'blocked'
  | 'unreachable'
  | 'repository-missing'
  | 'manifest-unknown'
  | 'content-incomplete';

export interface SourceResult {
  role: 'mirror' | 'primary';
  reference: string;
  status: PullSourceStatus;
  outcome: SourceOutcome;
  /** Why: the policy that skips it, the table that blocks it, what the archive lacks. */
  detail: string | undefined;
}

export type ImageRole =
  | 'release'
  | 'component'
  | 'additional-image'
  | 'catalog'
  | 'bundle'
  | 'related-image';

export interface ImageCheck {
  role: ImageRole;
  /** The component's tag name in image-references, or the resource that names the image. */
  name: string | undefined;
  /** The source reference the cluster pulls, normalised. */
  reference: string;
  ok: boolean;
  /** The pull source that serves it from the archive. */
  servedBy: string | undefined;
  /** The archive repository and manifest digest that serve it. */
  repository: string | undefined;
  digest: string | undefined;
  /** For failures: stable code, reason (the object and what is wrong) and the fix. */
  code: MirrorCheckErrorCode | undefined;
  reason: string | undefined;
  fix: string | undefined;
  /** Every pull source c/image would consider, in order, with the offline outcome. */
  sources: SourceResult[];
  /** A sigstore attachment tag `sha256-<hex>.sig` next to the served manifest. */
  sigstore: 'present' | 'absent' | undefined;
}

export interface CheckWarning {
  code: string;
  message: string;
}

export interface MirrorCheckReport {
  ok: boolean;
  archives: string[];
  registriesConf: {
    origin: string;
    generated: boolean;
    mirrorHosts: string[];
    /**
     * Whose rules read it: the containers/image of the release's hosts (CRI-O of that OpenShift
     * minor), or the default (OpenShift 4.14's) when the release's version is unknown.
     */
    containersImage: {
      version: string;
      openshift: string | undefined;
      crio: string | undefined;
      basis: 'release' | 'default';
    };
  };
  release: {
    reference: string;
    digest: string;
    version: string | undefined;
    architecture: string | undefined;
    /** The cluster architectures checked in manifest lists. */
    architectures: string[];
    servedBy: string | undefined;
    components: number;
  };
  counts: {
    images: number;
    passed: number;
    failed: number;
    sigstorePresent: number;
    sigstoreAbsent: number;
  };
  signatures: {
    /** Where the release signature was found (ConfigMap name and key), if anywhere. */
    release: { present: boolean; found: string[]; required: boolean };
  };
  images: ImageCheck[];
  failures: ImageCheck[];
  warnings: CheckWarning[];
  durationMs: number;
  /** Set when a failing check was overridden (build-iso's explicit override); recorded here. */
  overridden: { by: string } | undefined;
}

function shortDigest(reference: string): string {
  return reference.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}/, '@sha256:$1…');
}

function describe(image: ImageCheck): string {
  const label = image.name === undefined ? image.role : `${image.role} ${image.name}`;
  return `${shortDigest(image.reference)} (${label})`;
}

/** The report as text: a verdict line, the release, counts, then every failure with its fix. */
export function formatCheckReport(report: MirrorCheckReport): string {
  const { counts, release } = report;
  const lines = [
    `${report.ok ? 'PASS' : 'FAIL'}  mirror check: ${counts.passed} of ${counts.images} images served by the archive, ${counts.failed} failing`,
    `release ${release.version ?? '(unknown version)'} (${release.architectures.join(', ')}): ${shortDigest(release.reference)}${release.servedBy === undefined ? '' : ` → ${shortDigest(release.servedBy)}`}, ${release.components} components`,
    `registries.conf: ${report.registriesConf.origin}; archive hosts ${report.registriesConf.mirrorHosts.join(', ') || '(none)'}; read as containers/image ${report.registriesConf.containersImage.version} does (${report.registriesConf.containersImage.basis === 'release' ? `CRI-O ${report.registriesConf.containersImage.crio} of OpenShift ${report.registriesConf.containersImage.openshift}, the release's hosts` : 'the default: OpenShift 4.14, the release version is unknown'})`,
    `release signature: ${report.signatures.release.present ? `present (${report.signatures.release.found.join(', ')})` : report.signatures.release.required ? 'MISSING (required: this fails the check)' : 'MISSING'}; sigstore .sig tags: ${counts.sigstorePresent} present, ${counts.sigstoreAbsent} absent`,
  ];
  if (report.failures.length > 0) {
    lines.push('', 'failing references:');
    for (const failure of report.failures) {
      lines.push(`  ${describe(failure)} → ${failure.reason ?? failure.code}`);
      if (failure.fix !== undefined) lines.push(`      fix: ${failure.fix}`);
    }
  }
  if (report.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const warning of report.warnings) lines.push(`  ${warning.message}`);
  }
  if (report.overridden !== undefined)
    lines.push('', `OVERRIDDEN by ${report.overridden.by}: the failures above were accepted.`);
  lines.push('', `checked in ${report.durationMs} ms`);
  return lines.join('\n');
}
