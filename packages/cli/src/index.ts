export {
  type CliIo,
  type Command,
  type CommandContext,
  UsageError,
} from './command.ts';
export { exitCodes, runCli } from './run.ts';
