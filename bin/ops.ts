// `npm run ops -- <command> [options]`: the operations CLI (see ops/program.ts, README "Operate").
import { runOps } from "../ops/program.js";

const exitCode = await runOps(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Exit now: SDK and fetch keep-alive sockets would otherwise hold the process open for seconds.
process.exit(exitCode);
