// The one error a provider delivery is refused with: an HTTP status in the 4xx class, a stable reason name for
// metrics, and a message that names what is wrong without echoing a secret, signature or token.

/** Why a delivery was refused; each maps to exactly one status. */
export const REJECTION_STATUS = {
  UnsupportedMediaType: 415,
  PayloadTooLarge: 413,
  InvalidSignature: 401,
  UnknownSender: 403,
  InvalidBody: 400,
} as const;

export type RejectionReason = keyof typeof REJECTION_STATUS;

export class DeliveryRejected extends Error {
  readonly statusCode: number;
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.statusCode = REJECTION_STATUS[reason];
  }
}
Object.defineProperty(DeliveryRejected.prototype, "name", { value: "DeliveryRejected", enumerable: false });
