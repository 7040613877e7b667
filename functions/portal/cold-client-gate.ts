// A fresh HTTP client's first request reaches the portal late (the HTTP stack loading, the first connection), so
// that request alone tells the budget so (`COLD_CLIENT_LATENESS_MS`, docs/architecture.md §3). Calls that start
// while it is on its way wait for its answer: otherwise the budget may grant one of them an earlier, ordinary
// slot and it travels the cold client first, late, into the next caller's second. Once a request has been
// answered the client is warm and the gate lets every call straight through.

/** One call's way through the gate. `settle` once its request has been answered, or has failed without one. */
export interface ColdClientPass {
  /** True for the call that warms the client: its request declares the lateness. */
  readonly warming: boolean;
  settle(answered: boolean): void;
}

const WARM_PASS: ColdClientPass = { warming: false, settle: () => {} };

export class ColdClientGate {
  private warm = false;
  private warming: Promise<void> | undefined;

  /** Resolves when this call may reserve its slot and send. */
  async enter(): Promise<ColdClientPass> {
    while (!this.warm) {
      if (this.warming === undefined) return this.startWarming();
      await this.warming;
    }
    return WARM_PASS;
  }

  private startWarming(): ColdClientPass {
    let release!: () => void;
    this.warming = new Promise<void>((resolve) => {
      release = resolve;
    });
    let settled = false;
    return {
      warming: true,
      settle: (answered) => {
        if (settled) return;
        settled = true;
        // Without an answer (no slot, a network failure) the client may still be cold: the next call warms it.
        if (answered) this.warm = true;
        this.warming = undefined;
        release();
      },
    };
  }
}
