// Activation links in the practice table (docs/architecture.md §5: practice/ is the table's one writer). One item
// per link, addressed by the SHA-256 of its token, and a per-practice pointer to the latest link. A practice has
// at most one open link, and it is the latest: every issue revokes the pointer's link in the same transaction that
// moves the pointer, so revoking a practice's links means revoking the pointer's link.
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ACTIVATION_LINK_EXPIRY, keys, PK, TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import {
  type ActivationLink,
  type RevocationReason,
  revokeActivationLink,
} from "../activation/activation-link.js";
import type {
  ActivationLinkStore,
  AnnounceIssue,
  MarkRevealedResult,
} from "../activation/activation-link-store.js";
import { inClaimRounds, type TransactItems } from "./conditional-transaction.js";
import { outboxPut } from "./outbox-writes.js";
import type { PracticeTable } from "./practice-table.js";

/** How long a link's item outlives its expiry, so a late visit still hears "already used" rather than "unknown". */
export const ACTIVATION_LINK_RETENTION_MS = 90 * 86_400_000;

/** The condition under which a link item is open at `:now` (ISO strings of one format compare as times). */
const OPEN_CONDITION =
  "attribute_exists(#pk) AND attribute_not_exists(#revealedAt) AND attribute_not_exists(#revokedAt) AND #expiry > :now";
const OPEN_NAMES = {
  "#pk": PK,
  "#revealedAt": "revealedAt",
  "#revokedAt": "revokedAt",
  "#expiry": ACTIVATION_LINK_EXPIRY,
};

export function activationLinkItem(link: ActivationLink): Record<string, unknown> {
  const { expiresAt, ...rest } = link;
  return {
    ...keys.activationLink(link.tokenHash),
    ...rest,
    [ACTIVATION_LINK_EXPIRY]: expiresAt,
    [TTL_ATTRIBUTE]: Math.ceil((Date.parse(expiresAt) + ACTIVATION_LINK_RETENTION_MS) / 1000),
  };
}

export function activationLinkFromItem(item: Record<string, unknown>): ActivationLink {
  const text = (name: string) => (typeof item[name] === "string" ? { [name]: item[name] as string } : {});
  return {
    practiceId: item.practiceId as string,
    tokenHash: item.tokenHash as string,
    keyFingerprint: item.keyFingerprint as string,
    issuedAt: item.issuedAt as string,
    expiresAt: item[ACTIVATION_LINK_EXPIRY] as string,
    ...text("issuedBy"),
    ...text("revealedAt"),
    ...text("revokedAt"),
    ...(typeof item.revokedReason === "string"
      ? { revokedReason: item.revokedReason as RevocationReason }
      : {}),
  };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === "ConditionalCheckFailedException";
}

/** Which items of a cancelled transaction failed their condition (by position). */
function failedConditions(error: unknown): boolean[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const reasons = error.CancellationReasons ?? [];
  if (!reasons.some((r) => r.Code === "ConditionalCheckFailed")) return undefined;
  return reasons.map((r) => r.Code === "ConditionalCheckFailed");
}

export class DynamoActivationLinkStore implements ActivationLinkStore {
  constructor(private readonly table: PracticeTable) {}

  async findByTokenHash(tokenHash: string): Promise<ActivationLink | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: keys.activationLink(tokenHash),
        ConsistentRead: true,
      }),
    );
    return Item ? activationLinkFromItem(Item) : undefined;
  }

  /** The practice's latest link (the funnel's "issued → revealed"), whatever its state. */
  async latestForPractice(practiceId: string): Promise<ActivationLink | undefined> {
    const pointer = await this.#pointer(practiceId);
    return pointer ? this.findByTokenHash(pointer) : undefined;
  }

  async issue(
    link: ActivationLink,
    now: Date,
    announce?: AnnounceIssue,
  ): Promise<{ readonly revoked: readonly ActivationLink[] }> {
    return inClaimRounds(
      async () => {
        const previousHash = await this.#pointer(link.practiceId);
        const previous = previousHash ? await this.findByTokenHash(previousHash) : undefined;
        const revoked = previous && revokeActivationLink(previous, now, "replaced");
        const items: TransactItems = [
          {
            Put: {
              TableName: this.table.tableName,
              Item: activationLinkItem(link),
              ConditionExpression: "attribute_not_exists(#pk)",
              ExpressionAttributeNames: { "#pk": PK },
            },
          },
          {
            Put: {
              TableName: this.table.tableName,
              Item: {
                ...keys.activationPointer(link.practiceId),
                practiceId: link.practiceId,
                tokenHash: link.tokenHash,
                issuedAt: link.issuedAt,
              },
              ...(previousHash
                ? {
                    ConditionExpression: "#tokenHash = :previous",
                    ExpressionAttributeNames: { "#tokenHash": "tokenHash" },
                    ExpressionAttributeValues: { ":previous": previousHash },
                  }
                : {
                    ConditionExpression: "attribute_not_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": PK },
                  }),
            },
          },
          ...(revoked ? [{ Update: this.#revokeUpdate(revoked, now) }] : []),
          // The link's PracticeActivationLinkIssued, recorded with it (docs/events.md "Delivery").
          ...(announce ? [outboxPut(this.table, announce(revoked ? [revoked] : []), now)] : []),
        ];
        try {
          await this.table.client.send(new TransactWriteCommand({ TransactItems: items }));
          return { revoked: revoked ? [revoked] : [] };
        } catch (error) {
          const failed = failedConditions(error);
          if (!failed) throw error;
          if (failed[0]) throw new Error("An activation link with this token already exists");
          return undefined; // another issue, reveal or revocation came first: read again
        }
      },
      () => `activation links of practice ${link.practiceId} kept changing while a link was issued`,
    );
  }

  async markRevealed(tokenHash: string, now: Date): Promise<MarkRevealedResult> {
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.activationLink(tokenHash),
          UpdateExpression: "SET #revealedAt = :now",
          ConditionExpression: OPEN_CONDITION,
          ExpressionAttributeNames: OPEN_NAMES,
          ExpressionAttributeValues: { ":now": now.toISOString() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { outcome: "revealed", link: activationLinkFromItem(Attributes ?? {}) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const link = await this.findByTokenHash(tokenHash);
      return link ? { outcome: "notOpen", link } : { outcome: "notOpen" };
    }
  }

  async revokeForPractice(
    practiceId: string,
    now: Date,
    reason: RevocationReason,
  ): Promise<readonly ActivationLink[]> {
    return inClaimRounds(
      async () => {
        const latest = await this.latestForPractice(practiceId);
        const revoked = latest && revokeActivationLink(latest, now, reason);
        if (!revoked) return [];
        try {
          await this.table.client.send(new UpdateCommand(this.#revokeUpdate(revoked, now)));
          return [revoked];
        } catch (error) {
          if (isConditionFailure(error)) return undefined; // revealed, revoked or replaced meanwhile
          throw error;
        }
      },
      () => `activation links of practice ${practiceId} kept changing while they were revoked`,
    );
  }

  /** The conditional update that turns the open `link` into `revoked` (its revokedAt/revokedReason). */
  #revokeUpdate(revoked: ActivationLink, now: Date) {
    return {
      TableName: this.table.tableName,
      Key: keys.activationLink(revoked.tokenHash),
      UpdateExpression: "SET #revokedAt = :revokedAt, #reason = :reason",
      ConditionExpression: OPEN_CONDITION,
      ExpressionAttributeNames: { ...OPEN_NAMES, "#reason": "revokedReason" },
      ExpressionAttributeValues: {
        ":now": now.toISOString(),
        ":revokedAt": revoked.revokedAt!,
        ":reason": revoked.revokedReason!,
      },
    };
  }

  async #pointer(practiceId: string): Promise<string | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: keys.activationPointer(practiceId),
        ConsistentRead: true,
        ProjectionExpression: "#tokenHash",
        ExpressionAttributeNames: { "#tokenHash": "tokenHash" },
      }),
    );
    return typeof Item?.tokenHash === "string" ? Item.tokenHash : undefined;
  }
}
