/**
 * @hostmirror/iso: read ISO 9660 images (primary, Joliet, Rock Ridge, El Torito), read and edit
 * CoreOS live ISOs (Ignition and kargs embed areas, initrd extension), PXE artifacts, and
 * coreos-installer's customize. See README.md. `@hostmirror/iso/core` is the same without
 * customize (core.ts).
 */
export * from './core.ts';
export {
  CUSTOMIZE_SPEC_VERSION,
  type CustomizedInitrd,
  customizeLiveInitrd,
  customizePxeInitrd,
  DEST_IGNITION_PATH,
  INITRD_FEATURES,
  INITRD_LIVE_STAMP,
  INITRD_NETWORK_DIR,
  INSTALLER_CONFIG_DIR,
  isCustomized,
  type LiveCustomization,
  type NamedInput,
  type PxeCustomizeResult,
} from './customize.ts';
