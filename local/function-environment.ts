// Lambda functions share one process locally, so their environment variables become one process.env.
import type { ExtractedFunction } from "./state-machine-extractor.js";

/** Two functions set the same variable to different values and no override chose one. */
export class ConflictingFunctionEnvironment extends Error {
  override readonly name = "ConflictingFunctionEnvironment";
}

/**
 * Merges the functions' resolved environments with `overrides` (which win; `undefined` removes a variable).
 * Throws when two functions disagree on a variable the overrides leave open.
 */
export function mergeFunctionEnvironments(
  functions: Iterable<ExtractedFunction>,
  overrides: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const merged: Record<string, string> = {};
  const setBy: Record<string, string> = {};
  for (const fn of functions) {
    for (const [name, value] of Object.entries(fn.environment)) {
      if (name in overrides) continue;
      if (name in merged && merged[name] !== value)
        throw new ConflictingFunctionEnvironment(
          `Environment variable ${name} is "${merged[name]}" in ${setBy[name]} but "${value}" in ${fn.logicalId}; ` +
            `local functions share one process, so pass environment: { ${name}: "…" } to choose one`,
        );
      merged[name] = value;
      setBy[name] = fn.logicalId;
    }
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[name] = value;
  }
  return merged;
}

/** Sets the variables on process.env and returns a function that puts back what was there before. */
export function applyProcessEnvironment(
  variables: Readonly<Record<string, string>>,
  remove: Iterable<string> = [],
): () => void {
  const previous = new Map<string, string | undefined>();
  for (const name of [...Object.keys(variables), ...remove]) {
    if (!previous.has(name)) previous.set(name, process.env[name]);
  }
  for (const name of remove) delete process.env[name];
  Object.assign(process.env, variables);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
