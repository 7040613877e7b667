// What a provider route hands to the pure verification code: the request exactly as it arrived, plus the
// checks every provider shares (media type, size, UTF-8) so each one runs before any signature work.
import { DeliveryRejected } from "./delivery-rejected.js";

export interface HttpDelivery {
  /** HTTP method as received (`POST`). */
  readonly method: string;
  /** The full URL the sender called, scheme and host included, query string as received. */
  readonly url: string;
  /** Request headers; names in any case (API Gateway HTTP APIs lower-case them). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** Header lookup by case-insensitive name. */
export function header(delivery: HttpDelivery, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(delivery.headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Throws 415 unless the media type is `expected` with, at most, a UTF-8 charset parameter. Other parameters
 * are refused: a body in another charset would be signed as different bytes than we decode.
 */
export function requireMediaType(delivery: HttpDelivery, expected: string): void {
  const value = header(delivery, "content-type");
  const [mediaType, ...parameters] = (value ?? "").split(";").map((part) => part.trim().toLowerCase());
  const charsetOk = parameters.every((parameter) => /^charset="?utf-8"?$/.test(parameter));
  if (mediaType !== expected || !charsetOk) {
    throw new DeliveryRejected(
      "UnsupportedMediaType",
      `content-type must be ${expected} (charset utf-8 if given), got ${JSON.stringify((value ?? "").slice(0, 100))}`,
    );
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The body as text, refused (413) over `maxBytes` before anything large is decoded, and (400) when it is not
 * UTF-8. A JS string has at least one UTF-8 byte per UTF-16 unit, so a long string is refused unencoded.
 */
export function bodyText(delivery: HttpDelivery, maxBytes: number): string {
  const body = delivery.body ?? "";
  const tooLarge = () => new DeliveryRejected("PayloadTooLarge", `body must be at most ${maxBytes} bytes`);
  let bytes: Buffer;
  if (delivery.isBase64Encoded) {
    if (body.length > Math.ceil(maxBytes / 3) * 4 + 4) throw tooLarge();
    bytes = Buffer.from(body, "base64");
  } else {
    if (body.length > maxBytes) throw tooLarge();
    bytes = Buffer.from(body, "utf8");
  }
  if (bytes.length > maxBytes) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DeliveryRejected("InvalidBody", "body is not valid UTF-8");
  }
}
