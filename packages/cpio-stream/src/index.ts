/**
 * @hostmirror/cpio-stream: newc cpio as streams. A reproducible writer (`writeNewc`), a
 * streaming reader (`readNewc`, `readNewcArchive` over a `ByteReader`), safe extraction
 * (`extractNewc`) and the header codec. Rules and sources: docs/design.md#byte-formats, docs/coreos-iso.md#initrd-format, docs/coreos-iso.md#kernel-initramfs-rules.
 */
export { ByteReader } from './byte-reader.ts';
export {
  align4,
  DEFAULT_DIRECTORY_MODE,
  DEFAULT_FILE_MODE,
  DEFAULT_SYMLINK_MODE,
  NEWC_ALIGNMENT,
  NEWC_CRC_MAGIC,
  NEWC_FIELD_MAX,
  NEWC_HEADER_SIZE,
  NEWC_MAGIC,
  ODC_MAGIC,
  PATH_MAX,
  padLength,
  TRAILER_NAME,
} from './constants.ts';
export { NewcError, type NewcErrorCode } from './errors.ts';
export {
  type ExtractNewcOptions,
  type ExtractNewcResult,
  extractEntry,
  extractNewc,
} from './extract.ts';
export {
  type DecodedHeader,
  decodeNewcHeader,
  encodeNewcHeader,
  type NewcHeaderFields,
} from './newc-header.ts';
export {
  type NewcArchiveEnd,
  type NewcEntry,
  type NewcEntryInfo,
  type NewcEntryType,
  type ReadNewcArchiveOptions,
  readNewc,
  readNewcArchive,
} from './reader.ts';
export { archivePath, extractionPath, parentPaths } from './safe-path.ts';
export {
  defaultMtime,
  generateNewc,
  type NewcEntryInput,
  type NewcEntryInputType,
  type WriteNewcOptions,
  writeNewc,
} from './writer.ts';
