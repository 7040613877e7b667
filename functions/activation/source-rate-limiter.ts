// Requests per source IP on the activation page. Tokens are unguessable, so this bounds cost and noise rather
// than guessing; a fixed window is enough. The shared (DynamoDB) implementation comes with the table code.

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface SourceRateLimiter {
  take(source: string, now: Date): Promise<RateDecision>;
}

/** Defaults: 30 requests per source per 5 minutes (an office opens, reveals and maybe reloads a few times). */
export const ACTIVATION_RATE_LIMIT = { limit: 30, windowMs: 5 * 60_000 } as const;

/** One process's fixed windows (tests, the local server; a Lambda instance would count only its own requests). */
export class InMemorySourceRateLimiter implements SourceRateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(options: { limit: number; windowMs: number } = ACTIVATION_RATE_LIMIT) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
  }

  async take(source: string, now: Date): Promise<RateDecision> {
    const at = now.getTime();
    let window = this.#windows.get(source);
    if (!window || at - window.start >= this.#windowMs) {
      this.#forgetClosedWindows(at);
      window = { start: at, count: 0 };
      this.#windows.set(source, window);
    }
    if (window.count >= this.#limit)
      return { allowed: false, retryAfterSeconds: Math.ceil((window.start + this.#windowMs - at) / 1000) };
    window.count += 1;
    return { allowed: true };
  }

  #forgetClosedWindows(at: number): void {
    for (const [source, window] of this.#windows)
      if (at - window.start >= this.#windowMs) this.#windows.delete(source);
  }
}
