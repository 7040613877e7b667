// One key's current state, read from the portal's listing: the rare-path check before touching a key whose
// status we do not know (docs/architecture.md §4, invariant 8). `/apikeys` has no single-key GET: the listing is
// walked a page (100 keys) at a time and stops at the page holding the key, so the cost is the key's page number,
// not the whole listing — still too much for every request at 1 request/s, which is why callers come here only
// when the portal's answer to a PUT (or its absence) left the status unknown.
import { PortalResponseInvalid } from "../platform/errors.js";
import { type KeyStatus, PORTAL_PAGE_SIZE, type PortalClient, type PortalKey } from "./portal-types.js";

/** Statuses only the practice (in Open Dental) or Open Dental HQ can lift: we never re-enable nor overwrite them. */
export const REVOKED_KEY_STATUSES: readonly KeyStatus[] = ["DisabledByCustomer", "DisabledByHQ"];

export function isRevokedKeyStatus(status: KeyStatus): boolean {
  return REVOKED_KEY_STATUSES.includes(status);
}

/** The key as the portal lists it now, or undefined when the listing does not hold it. */
export async function findPortalKey(
  portal: Pick<PortalClient, "listKeysPage">,
  customerKey: string,
): Promise<PortalKey | undefined> {
  const seen = new Set<string>();
  let offset: number | null = 0;
  while (offset !== null) {
    const page = await portal.listKeysPage(offset);
    const found = page.keys.find((key) => key.customerKey === customerKey);
    if (found) return found;
    // A full page of keys already listed: the portal ignores Offset (the seed documents no paging), and the walk
    // would go on until the Lambda timed out, spending the shared request budget. listKeys stops the same way.
    if (page.nextOffset !== null && page.keys.every((key) => seen.has(key.customerKey))) {
      throw new PortalResponseInvalid(
        `GET /apikeys?Offset=${offset}&Limit=${PORTAL_PAGE_SIZE} repeated ${page.keys.length} keys from earlier pages; ` +
          "the portal may be ignoring Offset, so the listing cannot be trusted",
      );
    }
    for (const key of page.keys) seen.add(key.customerKey);
    offset = page.nextOffset;
  }
  return undefined;
}
