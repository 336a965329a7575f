export {
  type ClusterConfig,
  type DigestMirrorSource,
  parseYaml11,
  readClusterConfig,
  type Topology,
} from './cluster-config.ts';
export { BuildIsoError, type BuildIsoErrorCode } from './errors.ts';
