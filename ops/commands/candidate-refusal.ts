// How adopt-key and release-key fail: a refusal by the table's contents is the operator's to read (exit 1, the
// reason), and AWS refusing the write says which policy grants it (docs/ops-cli.md, Permissions).
import { OperationFailed } from "../errors.js";
import { accessDenial } from "../portal-access.js";

export function keyAdministratorRefusal(command: string): (error: unknown) => never {
  return (error: unknown) => {
    if ((error as Error).name === "InvalidInput") throw new OperationFailed((error as Error).message);
    // Reading the fingerprint secret comes first: its refusal arrives wrapped (key-fingerprint-secret.ts).
    const denial = accessDenial(error) ?? accessDenial((error as { cause?: unknown }).cause);
    if (denial)
      throw new OperationFailed(
        `ops ${command} was refused: it writes the key ledger, a key administrator's act (KeyAdministratorPolicy; --local-role key-administrator with --local): ${denial.message}`,
      );
    throw error;
  };
}
