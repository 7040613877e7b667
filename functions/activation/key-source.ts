// What the reveal needs from the practice store: the practice's name and current key, for ACTIVE practices only.
// The key is named by its keyed fingerprint (what a link binds) and opened only by `reveal()`, when the office
// asks for it on the page: issuing a link (`ops activation-link`, the auto-issue) never opens the key, since the
// table holds it encrypted (docs/architecture.md §4 invariant 13).

export interface ActivationKey {
  readonly practiceId: string;
  /** The practice's name as labelled on the key (DevRefId); shown on the page. */
  readonly devRefId: string;
  /** Names the practice's current key without being it (its keyed fingerprint): what a link is bound to. */
  readonly keyBinding: string;
  /** The key itself (secret: shown on the page once, never logged); opens the stored ciphertext. */
  reveal(): Promise<string>;
}

export interface KeySource {
  /** The practice's current key, or `undefined` when it has none or is not ACTIVE (offboarding, failed, gone). */
  activationKey(practiceId: string): Promise<ActivationKey | undefined>;
}
