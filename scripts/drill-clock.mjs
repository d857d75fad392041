// Preloaded into the facility agent by `npm run drill` (node --import): the agent's clock runs
// DRILL_CLOCK_OFFSET_MS behind the real one, so the samples it stamps fall in 5-minute buckets
// and hours that the Worker has already closed by the time the drill compares them. Everything
// else about the agent is the real thing.
const offset = Number(process.env.DRILL_CLOCK_OFFSET_MS ?? 0);
if (offset) {
  const RealDate = Date;
  class DrillDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() - offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() - offset;
    }
  }
  globalThis.Date = DrillDate;
}
