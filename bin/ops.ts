// `npm run ops -- <command> [options]`: the operations CLI (see ops/program.ts and docs/ops-cli.md).
import { runOps } from "../ops/program.js";

// Ctrl-C while --wait follows an execution stops the following, not the execution: say so.
process.once("SIGINT", () => {
  process.stderr.write(
    "\nStopped following; anything already started keeps running (see: npm run ops -- executions).\n",
  );
  process.exit(130);
});

const exitCode = await runOps(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Exit now: SDK and fetch keep-alive sockets would otherwise hold the process open for seconds.
process.exit(exitCode);
