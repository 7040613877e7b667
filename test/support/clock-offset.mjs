// Preloaded (`node --import`) into a child process to move its clock by TEST_CLOCK_OFFSET_MS: a machine whose
// clock is behind or ahead, for tests of the ordering rule (the ops CLI stamps requests with its own clock).
const offset = Number(process.env.TEST_CLOCK_OFFSET_MS ?? 0);
const RealDate = globalThis.Date;

class OffsetDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }

  static now() {
    return RealDate.now() + offset;
  }
}

globalThis.Date = OffsetDate;
