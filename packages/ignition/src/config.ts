import type { V3_7_experimental } from '@hostmirror/ignition-config-types';

/**
 * A config of any 3.x spec. The shapes only grow from 3.0 to 3.7.0-experimental (3.1 turned
 * three reference types into one `Resource` with the same keys), so the newest spec's type
 * describes every version; `ignition.version` says which one a value is.
 */
export type IgnitionConfig = V3_7_experimental.Config;
export type Storage = V3_7_experimental.Storage;
export type Resource = V3_7_experimental.Resource;
export type FileNode = NonNullable<Storage['files']>[number];
export type DirectoryNode = NonNullable<Storage['directories']>[number];
export type LinkNode = NonNullable<Storage['links']>[number];
export type Unit = V3_7_experimental.Unit;
export type Dropin = V3_7_experimental.Dropin;
export type User = V3_7_experimental.User;
export type Group = V3_7_experimental.Group;
export type Disk = V3_7_experimental.Disk;
export type Partition = V3_7_experimental.Partition;
export type Filesystem = V3_7_experimental.Filesystem;
export type Raid = V3_7_experimental.Raid;
export type Luks = V3_7_experimental.Luks;
/** Owner of a file, directory or link: an id or a name, never both. */
export type Owner = NonNullable<FileNode['user']>;
