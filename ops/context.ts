// What every ops command is handed: the target stack and where its output goes.
import type { OpsTarget } from "./targets.js";

export interface OpsIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Routes the next Ctrl-C (SIGINT) to `listener` instead of ending the process; returns the undo. Absent where
   * nothing can interrupt (the command then simply runs to its end).
   */
  onInterrupt?(listener: () => void): () => void;
  /**
   * Told, once the run's target is known, how to list executions there (with its --local/--stack/--region), for
   * the message of a Ctrl-C that comes while nothing is being followed.
   */
  onTargetKnown?(executionsCommand: string): void;
}

export interface CommandContext {
  readonly target: OpsTarget;
  /** `--json`: the command prints one JSON document on stdout and nothing else there. */
  readonly json: boolean;
  /** A result line for people (stdout); dropped with --json. */
  print(text: string): void;
  /** Progress while waiting: stdout for people, stderr with --json (stdout stays one document). */
  progress(text: string): void;
  /** A warning about a result that still stands (stderr, with or without --json). */
  warn(text: string): void;
  /** The --json document (ignored without --json). */
  printJson(document: unknown): void;
  /** `npm run ops -- <the global options of this run> <args>`: a command to paste, acting on the same stack. */
  opsCommand(args: string): string;
  /** See OpsIo.onInterrupt. */
  onInterrupt(listener: () => void): () => void;
}

export function createContext(
  target: OpsTarget,
  json: boolean,
  io: OpsIo,
  globalArguments: readonly string[] = [],
): CommandContext {
  return {
    target,
    json,
    opsCommand: (args) => ["npm run ops --", ...globalArguments, args].join(" "),
    onInterrupt: (listener) => io.onInterrupt?.(listener) ?? (() => {}),
    print: (text) => {
      if (!json) io.stdout(`${text}\n`);
    },
    progress: (text) => (json ? io.stderr(`${text}\n`) : io.stdout(`${text}\n`)),
    warn: (text) => io.stderr(`${text}\n`),
    printJson: (document) => {
      if (json) io.stdout(`${JSON.stringify(document, null, 2)}\n`);
    },
  };
}
