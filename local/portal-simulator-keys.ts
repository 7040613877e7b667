// The portal simulator's keys and the `/apikeys` rules (docs/architecture.md §3), free of HTTP so they read plainly.

export const SENTINEL_DATE = "0001-01-01";
export const SENTINEL_DATE_TIME = "0001-01-01 00:00:00";
export const MAX_PAGE_SIZE = 100;

/** A key as the portal sends it: the seed's field names, in the seed's order. */
export interface SimulatorRawKey {
  CustomerKey: string;
  KeyStatus: string;
  DateCreated: string;
  DateDisabled: string;
  DateTimeAssigned: string;
  DevRefId: string;
}

const FIELD_ORDER: ReadonlyArray<keyof SimulatorRawKey> = [
  "CustomerKey",
  "KeyStatus",
  "DateCreated",
  "DateDisabled",
  "DateTimeAssigned",
  "DevRefId",
];

/** One request that touched a key. */
export interface SimulatorKeyEvent {
  /** ISO time the request arrived. */
  at: string;
  method: "POST" | "PUT";
  /** Status answered, or null when no answer was sent (commit-then-drop). */
  status: number | null;
  /** The fault applied, e.g. `queued:commitThenDrop`. */
  fault?: string;
  /** The PUT body's KeyStatus/DevRefId, as sent. */
  request?: { KeyStatus?: unknown; DevRefId?: unknown };
  /** Fields whose value changed. */
  changed: string[];
}

export interface SimulatorKey extends SimulatorRawKey {
  history: SimulatorKeyEvent[];
}

export type UpdateOutcome =
  | { status: 200; key: SimulatorRawKey; changed: string[] }
  | { status: 400 | 404; explanation: string; customerKey?: string };

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** The portal cannot re-enable keys the customer or Open Dental HQ disabled. */
const LOCKED_STATUSES = new Set(["DisabledByCustomer", "DisabledByHQ"]);

/** Serializes like the seed prints: one field per line, no indentation, `"Name": value`. */
export function formatLikeSeed(value: SimulatorRawKey | SimulatorRawKey[]): string {
  const formatKey = (key: SimulatorRawKey) =>
    `{\n${FIELD_ORDER.map((f) => `${JSON.stringify(f)}: ${JSON.stringify(key[f])}`).join(",\n")}\n}`;
  if (!Array.isArray(value)) return formatKey(value);
  return value.length === 0 ? "[]" : `[\n${value.map(formatKey).join(",\n")}\n]`;
}

function inSeedOrder(key: SimulatorRawKey): SimulatorRawKey {
  return Object.fromEntries(FIELD_ORDER.map((f) => [f, key[f]])) as unknown as SimulatorRawKey;
}

export class SimulatorKeyStore {
  private readonly keys = new Map<string, SimulatorKey>();

  constructor(
    private readonly random: () => number,
    private readonly today: () => string,
  ) {}

  snapshot(): SimulatorKey[] {
    return [...this.keys.values()].map((k) => ({ ...k, history: k.history.map((e) => ({ ...e })) }));
  }

  get(customerKey: string): SimulatorKey | undefined {
    return this.keys.get(customerKey);
  }

  clear(): void {
    this.keys.clear();
  }

  /** A fresh key no other key has. */
  newCustomerKey(): string {
    for (;;) {
      let key = "";
      for (let i = 0; i < 16; i++) key += KEY_ALPHABET[Math.floor(this.random() * KEY_ALPHABET.length)];
      if (!this.keys.has(key)) return key;
    }
  }

  /**
   * Adds keys as given (missing fields get a new key's defaults). Values are not checked against the
   * portal's formats on purpose: tests add malformed keys to see the client reject them.
   */
  add(raw: Array<Partial<SimulatorRawKey>>): SimulatorRawKey[] {
    const added: SimulatorRawKey[] = [];
    const fresh = new Set<string>();
    for (const [index, item] of raw.entries()) {
      for (const field of FIELD_ORDER) {
        const value = item?.[field];
        if (value !== undefined && typeof value !== "string") {
          throw new Error(`Key [${index}]: ${field} must be a string`);
        }
      }
      const customerKey = item.CustomerKey;
      if (customerKey !== undefined && (this.keys.has(customerKey) || fresh.has(customerKey))) {
        throw new Error(`Key [${index}]: CustomerKey ${customerKey} already exists`);
      }
      if (customerKey !== undefined) fresh.add(customerKey);
    }
    for (const item of raw) {
      const status = item.KeyStatus ?? "Enabled";
      const key = inSeedOrder({
        CustomerKey: item.CustomerKey ?? this.newCustomerKey(),
        KeyStatus: status,
        DateCreated: item.DateCreated ?? this.today(),
        DateDisabled: item.DateDisabled ?? (status.startsWith("Disabled") ? this.today() : SENTINEL_DATE),
        DateTimeAssigned: item.DateTimeAssigned ?? SENTINEL_DATE_TIME,
        DevRefId: item.DevRefId ?? "",
      });
      this.keys.set(key.CustomerKey, { ...key, history: [] });
      added.push(key);
    }
    return added;
  }

  /** `count` new keys; `{n}` in devRefId becomes the key's 1-based number in this batch. */
  generate(count: number, options: { status?: string; devRefId?: string } = {}): SimulatorRawKey[] {
    const raw = Array.from({ length: count }, (_, i) => ({
      ...(options.status ? { KeyStatus: options.status } : {}),
      ...(options.devRefId !== undefined
        ? { DevRefId: options.devRefId.replaceAll("{n}", String(i + 1)) }
        : {}),
    }));
    return this.add(raw);
  }

  page(offset: number, limit: number): SimulatorRawKey[] {
    return [...this.keys.values()].slice(offset, offset + limit).map(({ history: _h, ...key }) => key);
  }

  /** `POST /apikeys`: a new enabled, unlabeled key created today. */
  create(): SimulatorRawKey {
    return this.add([{}])[0]!;
  }

  /** `PUT /apikeys`: validates the body, then changes only the fields given. */
  update(body: unknown): UpdateOutcome {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return { status: 400, explanation: "The request body must be a JSON object." };
    }
    const { CustomerKey, KeyStatus, DevRefId } = body as Record<string, unknown>;
    if (CustomerKey === undefined || CustomerKey === null || CustomerKey === "") {
      return { status: 400, explanation: "CustomerKey is required." };
    }
    if (typeof CustomerKey !== "string") return { status: 400, explanation: "CustomerKey must be a string." };
    const hasStatus = KeyStatus !== undefined && KeyStatus !== null;
    if (hasStatus && KeyStatus !== "Enabled" && KeyStatus !== "DisabledByDeveloper") {
      return {
        status: 400,
        explanation: `KeyStatus must be either "Enabled" or "DisabledByDeveloper".`,
        customerKey: CustomerKey,
      };
    }
    const hasDevRefId = DevRefId !== undefined && DevRefId !== null;
    if (hasDevRefId && typeof DevRefId !== "string") {
      return { status: 400, explanation: "DevRefId must be a string.", customerKey: CustomerKey };
    }
    const key = this.keys.get(CustomerKey);
    if (!key) return { status: 404, explanation: `CustomerKey ${CustomerKey} was not found.` };
    if (KeyStatus === "Enabled" && LOCKED_STATUSES.has(key.KeyStatus)) {
      return {
        status: 400,
        explanation: `CustomerKey ${CustomerKey} is ${key.KeyStatus} and cannot be enabled by the developer.`,
        customerKey: CustomerKey,
      };
    }
    const changed: string[] = [];
    const set = (field: keyof SimulatorRawKey, value: string) => {
      if (key[field] !== value) {
        key[field] = value;
        changed.push(field);
      }
    };
    // Disabling a key the customer or HQ already disabled leaves it as it is: it is already disabled.
    if (KeyStatus === "DisabledByDeveloper" && !LOCKED_STATUSES.has(key.KeyStatus)) {
      if (key.KeyStatus !== "DisabledByDeveloper") {
        set("KeyStatus", "DisabledByDeveloper");
        set("DateDisabled", this.today());
      }
    } else if (KeyStatus === "Enabled") {
      set("KeyStatus", "Enabled");
      set("DateDisabled", SENTINEL_DATE);
    }
    if (hasDevRefId) set("DevRefId", DevRefId as string);
    const { history: _h, ...raw } = key;
    return { status: 200, key: raw, changed };
  }

  /**
   * The office adds the key in Open Dental (Setup > Advanced Setup > API > Add Key): the portal then shows when,
   * in DateTimeAssigned. Not an `/apikeys` request, so it leaves no history entry.
   * @throws when the key is unknown or the time is not `yyyy-MM-dd HH:mm:ss`.
   */
  assign(customerKey: string, dateTimeAssigned: string): SimulatorRawKey {
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(dateTimeAssigned))
      throw new Error(
        `dateTimeAssigned must be yyyy-MM-dd HH:mm:ss, got ${JSON.stringify(dateTimeAssigned)}`,
      );
    const key = this.keys.get(customerKey);
    // The key is not echoed: the control API's answers may end up in a test's output.
    if (!key) throw new Error("No such CustomerKey in the simulator");
    key.DateTimeAssigned = dateTimeAssigned;
    const { history: _h, ...raw } = key;
    return raw;
  }

  record(customerKey: string, event: SimulatorKeyEvent): void {
    this.keys.get(customerKey)?.history.push(event);
  }
}
