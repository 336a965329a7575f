export {
  type ErrorDetails,
  type ErrorJson,
  type ErrorPlace,
  HostmirrorError,
  isHostmirrorError,
} from './hostmirror-error.ts';
