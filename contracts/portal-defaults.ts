// The Open Dental Developer Portal facts both the stack (its default context) and the functions rely on
// (docs/architecture.md §3).

/** The portal's base URL; `/apikeys` hangs off it. */
export const DEFAULT_OPEN_DENTAL_BASE_URL = "https://api.opendental.com/api/v1";
