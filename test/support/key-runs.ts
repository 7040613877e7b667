// Finds a CustomerKey, or any 8-character run of one, anywhere in a value: every string of every nested map and
// list, map keys included (issue 15: no plaintext key at rest, docs/architecture.md §4 invariant 13).

/** Where a run of a key was found, named by attribute path and the key's last 4 characters only. */
export interface KeyRunFinding {
  readonly path: string;
  readonly keyTail: string;
}

export const KEY_RUN_LENGTH = 8;

/** Every 8-character run of every key, mapped to the tail of its key (what a finding may name). */
export function keyRuns(customerKeys: Iterable<string>): Map<string, string> {
  const runs = new Map<string, string>();
  for (const key of customerKeys)
    for (let start = 0; start + KEY_RUN_LENGTH <= key.length; start++)
      runs.set(key.slice(start, start + KEY_RUN_LENGTH), key.slice(-4));
  return runs;
}

/** Every place in `value` (recursively) whose text holds a run of one of the keys. */
export function findKeyRuns(value: unknown, runs: ReadonlyMap<string, string>, path = "$"): KeyRunFinding[] {
  if (typeof value === "string") {
    for (let start = 0; start + KEY_RUN_LENGTH <= value.length; start++) {
      const tail = runs.get(value.slice(start, start + KEY_RUN_LENGTH));
      if (tail) return [{ path, keyTail: tail }];
    }
    return [];
  }
  if (value instanceof Uint8Array) return findKeyRuns(Buffer.from(value).toString("latin1"), runs, path);
  if (value instanceof Set) return findKeyRuns([...value], runs, path);
  if (Array.isArray(value))
    return value.flatMap((item, index) => findKeyRuns(item, runs, `${path}[${index}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([name, item]) => [
      ...findKeyRuns(name, runs, `${path}.<name>`),
      ...findKeyRuns(item, runs, `${path}.${name}`),
    ]);
  return [];
}
