/** Per-policy outcome of an erasure request: what the operator can tell the subject. */
export interface ErasurePolicyOutcome {
  policy: string;
  title: string;
  category: string;
  action: 'delete' | 'anonymise' | 'manual';
  destroyed: number;
  anonymised: number;
  /** Kept because a statutory minimum still runs: restricted until `until`, then destroyed. */
  deferred: number;
  until: string | null;
  basis: string[];
  /** Kept because a legal hold names the subject. */
  held: number;
  /**
   * Paper or media (action manual) in an open destruction task: to be destroyed by people under
   * supervision (`lethe tasks`), not yet gone. Absent in outcomes recorded before it existed.
   */
  awaiting?: number;
}

export type ErasureStatus = 'received' | 'in_progress' | 'completed' | 'partially_deferred' | 'held' | 'failed';

export interface ErasureView {
  id: string;
  ticket: string;
  subject_ref: string;
  status: ErasureStatus;
  received_at: string;
  due_at: string;
  completed_at: string | null;
  overdue: boolean;
  policies: ErasurePolicyOutcome[];
  /** A reply the operator can send to the data subject. */
  reply: string | null;
}
