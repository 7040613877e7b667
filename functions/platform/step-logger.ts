// The few logger methods a step uses: Powertools' Logger in Lambda, a silent one (or a recorder) in tests.

export interface StepLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** For steps called without a logger. */
export const silentLogger: StepLogger = { info() {}, warn() {}, error() {} };
