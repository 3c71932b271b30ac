// PIPL art. 50 sets no deadline; accepted practice is 15 working days (REGULATIONS.md).
// Weekends are non-working; public holidays are not modelled (configure a shorter SLA if needed).

/** Open erasure requests with this many working days left or fewer are due soon (CLI, /metrics, overview). */
export const DUE_SOON_WORKING_DAYS = 3;

export function addWorkingDays(from: Date, days: number): Date {
  const d = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return d;
}

/** Working days from `now` until `due` (negative when past). */
export function workingDaysLeft(now: Date, due: Date): number {
  if (due.getTime() < now.getTime()) return -workingDaysLeft(due, now);
  let n = 0;
  const d = new Date(now.getTime());
  for (;;) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (d.getTime() > due.getTime()) return n;
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) n++;
  }
}
