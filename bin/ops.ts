// `npm run ops -- <command> [options]`: the operations CLI (see ops/program.ts and docs/ops-cli.md).
import { EXIT } from "../ops/errors.js";
import { runOps } from "../ops/program.js";

// Ctrl-C while --wait follows an execution goes to the follower, which stops and says how to check on the
// execution (it keeps running); at any other moment, or a second time, it ends the CLI at once.
let interruptListener: (() => void) | undefined;
/** Lists executions where this run acts (with its --local/--stack/--region) once that is known. */
let executionsCommand = "npm run ops -- executions";
process.on("SIGINT", () => {
  const listener = interruptListener;
  interruptListener = undefined;
  if (listener) return listener();
  process.stderr.write(
    `\nInterrupted; anything already started keeps running (see: ${executionsCommand}).\n`,
  );
  process.exit(EXIT.interrupted);
});

const exitCode = await runOps(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onTargetKnown: (command) => {
    executionsCommand = command;
  },
  onInterrupt: (listener) => {
    interruptListener = listener;
    return () => {
      if (interruptListener === listener) interruptListener = undefined;
    };
  },
});
// Exit now: SDK and fetch keep-alive sockets would otherwise hold the process open for seconds.
process.exit(exitCode);
