export { type CapturedRun, type CaptureOptions, runCliCaptured } from './capture.ts';
export {
  type CliIo,
  type Command,
  type CommandContext,
  UsageError,
} from './command.ts';
export { exitCodes, runCli } from './run.ts';
