// Which floors keep what a data subject asked to have erased. PIPL art. 47 ✔: when a retention
// period set by a law or an administrative regulation (法律、行政法规) has not ended, the handler
// stops all processing but storage and protection — the record is restricted, and destroyed
// when the period ends. A period from a regulator's rule or applied by analogy is no such
// period: it keeps the records for the business's routine, and yields to the subject's request.
import type { Policy } from './types.ts';

export function floorDefersErasure(p: Policy): boolean {
  return p.minimum?.kind === 'law';
}
