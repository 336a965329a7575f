import type { BootPhase, BootSettings } from './types.ts';

/**
 * Where the hosts pull from, in the order they try, and who listens: the one place that decides
 * the mirror's names (issue #15 item 1, docs/design.md#mirror-mode). Everything else — the cluster's
 * IDMS/ITMS, the CA's names, the trusted-CA ConfigMap keys, the certs.d folders, the readiness
 * probe, the registry's listen address — reads it from here.
 *
 * 1. `<registryName>:<port>` — this host's own registry where it serves (an `/etc/hosts` alias to
 *    127.0.0.1), else node0 (the alias points at the rendezvous IP).
 * 2. `api-int.<cluster>.<baseDomain>:<port>` — any control-plane node, on the installed cluster:
 *    the name upstream's registry-less design puts in its IDMS "so that the set of registries
 *    running within the control plane nodes will transparently serve the release payload"
 *    (openshift/enhancements enhancements/agent-installer/simplified-registry-less-cluster-operations.md,
 *    AGENT-1250, at 019ed2a8ce2dc4ddf8ef1f473adbeb2a15823b1b). On the on-prem platforms the
 *    nodes' own CoreDNS answers it with the API VIP, which keepalived moves to a live
 *    control-plane node (openshift/machine-config-operator
 *    templates/common/on-prem/files/coredns-corefile.yaml at 0420e186e34b8c4a34de63e7d6d444520c965f1a,
 *    `match api-int.{{ .DNS.Spec.BaseDomain }}`); on platform none the site's DNS and load
 *    balancer must send it, port included, to the control-plane nodes, as they already must for
 *    the API. Absent for SNO (its only control-plane node is node0) and when the cluster's domain
 *    is not known.
 *
 * containers/image tries a source's mirrors in order and moves on to the next when one fails
 * (containers/image/docs/containers-registries.conf.5.md at 05d705ce, `mirror`: "The mirrors
 * are attempted in the specified order; the first one that can be contacted and contains the
 * image will be used"), so a pull succeeds while any control-plane node serves.
 */
export interface MirrorEndpoint {
  /** The DNS name in the mirror locations and the certificate. */
  name: string;
  port: number;
  /** `name:port`, as mirror locations, certs.d folders and registries.conf name it. */
  hostPort: string;
  /** Who answers: this host or node0 (alias), or any control-plane node (the cluster's DNS). */
  reaches: 'this-host-or-node0' | 'any-control-plane';
}

/** The API's internal name (openshift/installer's `api-int.<cluster>.<baseDomain>`). */
export function controlPlaneNameFor(clusterDomain: string): string {
  return `api-int.${clusterDomain}`;
}

/**
 * The mirror endpoints in the order every client tries them (see above). On the live ISO only
 * the first: `api-int` is the installed cluster's name (its DNS answers it once the cluster
 * runs), and a live host trying it would only wait for a resolver that has no answer.
 */
export function mirrorEndpoints(
  settings: Pick<BootSettings, 'registryName' | 'registryPort' | 'controlPlaneName'>,
  phase: BootPhase = 'installed',
): MirrorEndpoint[] {
  const port = settings.registryPort;
  const endpoints: MirrorEndpoint[] = [
    {
      name: settings.registryName,
      port,
      hostPort: `${settings.registryName}:${port}`,
      reaches: 'this-host-or-node0',
    },
  ];
  if (settings.controlPlaneName !== null && phase === 'installed')
    endpoints.push({
      name: settings.controlPlaneName,
      port,
      hostPort: `${settings.controlPlaneName}:${port}`,
      reaches: 'any-control-plane',
    });
  return endpoints;
}

/**
 * `<registryName>:<port>`: the first endpoint, the one name of the live ISO, its registries.conf
 * drop-in and the install-config's imageDigestSources (the bootstrap's mirror rules).
 */
export function registryEndpoint(
  settings: Pick<BootSettings, 'registryName' | 'registryPort'>,
): string {
  return (mirrorEndpoints({ ...settings, controlPlaneName: null }, 'live')[0] as MirrorEndpoint)
    .hostPort;
}

/**
 * The names and addresses the registry's certificate carries (and its CA's name constraints
 * permit): every endpoint's name, and node0's address, which clients in mode node0 reach.
 */
export function mirrorTlsHosts(
  settings: Pick<
    BootSettings,
    'registryName' | 'registryPort' | 'controlPlaneName' | 'rendezvousIP'
  >,
): string[] {
  return [
    ...mirrorEndpoints(settings).map((endpoint) => endpoint.name),
    ...(settings.rendezvousIP === null ? [] : [settings.rendezvousIP]),
  ];
}

/**
 * Whether the registry listens on every address (IPv4 and IPv6) or on loopback only. Every
 * address where other hosts pull from it: node0 in mode node0, and every installed host that
 * serves, since the control-plane name sends any host to any control-plane node. Loopback
 * where only the host itself pulls: the live ISO in modes every-node and preload.
 */
export function registryListensOnEveryAddress(
  settings: Pick<BootSettings, 'mode'>,
  phase: BootPhase,
): boolean {
  return settings.mode === 'node0' || phase === 'installed';
}
