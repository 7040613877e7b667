// The Open Dental Developer Portal `/apikeys` contract as the rest of the code sees it (docs/architecture.md §3).

/** KeyStatus values seen in Open Dental's own code. Others may appear: they are kept as-is, never rejected. */
export const KNOWN_KEY_STATUSES = [
  "Enabled",
  "DisabledByDeveloper",
  "DisabledByCustomer",
  "DisabledByHQ",
  "EnabledReadOnly",
  "Unknown",
] as const;
export type KnownKeyStatus = (typeof KNOWN_KEY_STATUSES)[number];
/** A known status, or any other string the portal sends. */
export type KeyStatus = KnownKeyStatus | (string & {});

/** The only statuses `PUT /apikeys` accepts. */
export type SettableKeyStatus = "Enabled" | "DisabledByDeveloper";

/** One CustomerKey as parsed from the portal. Sentinel dates (`0001-01-01…`) become `null`. */
export interface PortalKey {
  /** 16 upper-case letters/digits. Secret: never log or return it unmasked. */
  readonly customerKey: string;
  readonly keyStatus: KeyStatus;
  /** `yyyy-MM-dd`. */
  readonly dateCreated: string | null;
  /** `yyyy-MM-dd`, or null when never disabled. */
  readonly dateDisabled: string | null;
  /** `yyyy-MM-dd HH:mm:ss`, or null when the practice has not added the key in Open Dental yet. */
  readonly dateTimeAssigned: string | null;
  /** `""` when unlabeled. */
  readonly devRefId: string;
}

/** DeveloperKey and DeveloperPortalKey, as stored in the portal-credentials secret. Both secret. */
export interface PortalCredentials {
  readonly developerKey: string;
  readonly developerPortalKey: string;
}

/** Shared budget every portal call goes through; resolves when the caller may send one request. */
export interface PortalRateLimiter {
  acquire(request?: AcquireRequest): Promise<void>;
}

export interface AcquireRequest {
  /**
   * How much later than its slot this request may reach the portal (a fresh HTTP client's first request): the
   * next caller is kept that much further off, so the late arrival does not crowd its sliding second. @default 0
   */
  readonly lateByUpToMs?: number;
}

export interface UpdateKeyRequest {
  readonly customerKey: string;
  readonly keyStatus?: SettableKeyStatus;
  readonly devRefId?: string;
}

export interface KeyPage {
  readonly keys: PortalKey[];
  /** Offset of the next page, or null when this page was short (the last one). */
  readonly nextOffset: number | null;
}

export interface PortalClient {
  /** Every key, following `Offset` pages of 100 until a short page. */
  listKeys(): Promise<PortalKey[]>;
  /** One page starting at `offset`; for callers that must bound memory or time (reconciliation). */
  listKeysPage(offset: number): Promise<KeyPage>;
  /** `POST /apikeys`: creates and returns a new, enabled, unlabeled key. */
  createKey(): Promise<PortalKey>;
  /** `PUT /apikeys`: changes only the fields given; returns the updated key. */
  updateKey(request: UpdateKeyRequest): Promise<PortalKey>;
}

/** Page size of list endpoints in this API. */
export const PORTAL_PAGE_SIZE = 100;

/** Statuses under which a key works (and is billed). */
const ENABLED_STATUSES = new Set(["Enabled", "EnabledReadOnly"]);

export function isEnabledKeyStatus(status: string): boolean {
  return ENABLED_STATUSES.has(status);
}
