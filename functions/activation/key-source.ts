// What the reveal needs from the practice store: the practice's name and current key, for ACTIVE practices only.

export interface ActivationKey {
  readonly practiceId: string;
  /** The practice's name as labelled on the key (DevRefId); shown on the page. */
  readonly devRefId: string;
  /** Secret: shown on the page once, never logged. */
  readonly customerKey: string;
}

export interface KeySource {
  /** The practice's current key, or `undefined` when it has none or is not ACTIVE (offboarding, failed, gone). */
  activationKey(practiceId: string): Promise<ActivationKey | undefined>;
}
