/**
 * Every way reading or editing an ISO can fail. Callers and tests branch on `code`; the
 * message is a sentence naming the value, its place (path or byte offset) and the fix.
 */
import { HostmirrorError } from '@hostmirror/errors';
export type IsoErrorCode =
  | 'ISO_TRUNCATED'
  | 'NOT_ISO9660'
  | 'BAD_DIRECTORY_RECORD'
  | 'RECORD_CROSSES_SECTOR'
  | 'DIRECTORY_LOOP'
  | 'EXTENT_PAST_END'
  | 'BAD_SYSTEM_USE'
  | 'BAD_BOOT_CATALOG'
  | 'FILE_NOT_FOUND'
  | 'NOT_COREOS'
  | 'BAD_METADATA'
  | 'IGNITION_EXISTS'
  | 'NO_EMBEDDED_IGNITION'
  | 'EMBED_TOO_LARGE'
  | 'BAD_EMBED_AREA'
  | 'NO_KARGS_AREA'
  | 'KARGS_TOO_LARGE'
  | 'KARGS_MISMATCH'
  | 'KARG_NOT_FOUND'
  | 'UNSUPPORTED_FILE'
  | 'FILE_TOO_LARGE'
  | 'BAD_ARCHIVE'
  | 'BAD_PARTITION_TABLE'
  | 'OUTPUT_IS_INPUT'
  | 'ISO_CHANGED'
  | 'TTY_OUTPUT'
  | 'ISO_LOCKED'
  | 'LOCK_UNAVAILABLE'
  | 'ISO_TORN'
  | 'JOURNAL_MISMATCH'
  | 'WRITE_FAILED'
  | 'UNSAFE_AREA'
  | 'ALREADY_CUSTOMIZED'
  | 'UNSUPPORTED_CUSTOMIZATION'
  | 'BAD_CUSTOMIZATION'
  | 'NOT_LIVE_INITRD'
  /** An `IsoEdit` given to the library whose parts overlap or leave their region. */
  | 'BAD_EDIT';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const ISOERROR_FIXES: Readonly<Record<IsoErrorCode, string>> = {
  ISO_TRUNCATED:
    'Give a complete CoreOS live ISO (download or copy it again and compare its sha256 with the published one).',
  NOT_ISO9660: 'Give a CoreOS live ISO (an ISO 9660 image); download it again if it is damaged.',
  BAD_DIRECTORY_RECORD: 'The ISO is damaged: download it again, or make it again with xorriso.',
  RECORD_CROSSES_SECTOR: 'The ISO is damaged: download it again, or make it again with xorriso.',
  DIRECTORY_LOOP: 'The ISO is damaged: download it again, or make it again with xorriso.',
  EXTENT_PAST_END: 'The ISO is damaged or cut short: download or copy it again.',
  BAD_SYSTEM_USE: 'The ISO is damaged: download it again, or make it again with xorriso.',
  BAD_BOOT_CATALOG: 'The ISO is damaged: download it again, or make it again with xorriso.',
  FILE_NOT_FOUND: 'Name a file the ISO holds (hostmirror iso inspect lists them).',
  NOT_COREOS: 'Give a Fedora CoreOS or RHCOS live ISO (or an agent ISO made from one).',
  BAD_METADATA: 'Give an unmodified CoreOS live ISO: its coreos/*.json files are damaged.',
  IGNITION_EXISTS:
    'Pass -f (library: force: true) to replace the embedded config, or remove it first (hostmirror iso reset).',
  NO_EMBEDDED_IGNITION: 'Embed a config first (hostmirror iso embed --ignition F).',
  EMBED_TOO_LARGE:
    'Shrink the Ignition config, or move large files into an initrd archive (hostmirror iso append-initrd).',
  BAD_EMBED_AREA: 'Empty the embed area with hostmirror iso reset, then embed again.',
  NO_KARGS_AREA:
    'Use a CoreOS live ISO with kernel argument areas (coreos/kargs.json, from 2021 on).',
  KARGS_TOO_LARGE: 'Remove kernel arguments until they fit the area.',
  KARGS_MISMATCH:
    'Restore the kargs with hostmirror iso reset (or iso kargs reset), then edit again.',
  KARG_NOT_FOUND: 'Name a kernel argument the ISO has (hostmirror iso kargs show).',
  UNSUPPORTED_FILE: 'Give an ISO whose files are stored plainly (as xorriso writes CoreOS ISOs).',
  FILE_TOO_LARGE: 'Append smaller archives: an ISO 9660 extent holds less than 4 GiB.',
  BAD_ARCHIVE: 'Do not change the archives while the ISO is written, then run the command again.',
  BAD_PARTITION_TABLE: 'Give an unmodified ISO, or make it again (xorriso with isohybrid GPT).',
  OUTPUT_IS_INPUT: 'Give another output path, or use --in-place to edit the ISO itself.',
  ISO_CHANGED: 'Do not change the ISO while it is edited; run the command again.',
  TTY_OUTPUT: 'Redirect stdout to a file or pipe (> out.iso), or give -o OUT.',
  ISO_LOCKED: 'Wait for the other edit to finish, or give --lock-wait more seconds.',
  LOCK_UNAVAILABLE: 'Install util-linux (flock), or write a new ISO with -o instead of --in-place.',
  ISO_TORN: 'Run hostmirror iso repair on the ISO (or the same command again) to restore it.',
  JOURNAL_MISMATCH:
    'Remove the journal the message names if the ISO was replaced since, else run hostmirror iso repair.',
  WRITE_FAILED:
    'Check free space and permissions where the ISO is written, then run the command again.',
  ALREADY_CUSTOMIZED:
    'Customize the ISO or initramfs as released (hostmirror iso reset gives the ISO back), or pass -f to customize again.',
  BAD_CUSTOMIZATION:
    'Correct the customization the message names: each path and keyfile once, valid Ignition configs (hostmirror ignition validate).',
  NOT_LIVE_INITRD:
    'Give the live initramfs of a CoreOS release (images/pxeboot/initrd.img of its live ISO, or hostmirror iso extract pxe).',
  UNSUPPORTED_CUSTOMIZATION:
    'Use a newer CoreOS image (its coreos/features.json names the feature), or leave the option out.',
  UNSAFE_AREA: 'Give an unmodified CoreOS live ISO: its embed or kargs area overlaps other data.',
  BAD_EDIT:
    "Make the edit with CoreosIso's plan methods, or give patches that do not overlap and lie inside the image and appendices in order after its end.",
};

/** `offset` is the byte offset in the image the error is about, when there is one. */
export class IsoError extends HostmirrorError<IsoErrorCode> {
  static override readonly fixes = ISOERROR_FIXES;
}
