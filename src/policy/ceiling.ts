// `maximum:` — a period a law sets as the longest the records may be kept (征信业管理条例 art. 16:
// adverse credit information five years, then deleted). Checked wherever a period is set: the
// policy's own `retain` and floor here, a deployment's override in overrides.ts. Measured from
// the policy's clock, like `retain`.
import { mayExceed, type Duration } from '../duration.ts';
import type { Maximum } from './types.ts';

/** Why `period` may not be set, or undefined when it stays within the ceiling. */
export function beyondMaximum(what: string, period: Duration, maximum: Maximum | undefined): string | undefined {
  if (!maximum || !mayExceed(period, maximum.period)) return undefined;
  return `${what} ${period.iso} is longer than the maximum ${maximum.period.iso} (${maximum.basis.join('; ')}): no retention, floor or override may keep these records past it`;
}
