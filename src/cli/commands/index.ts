// The command table: names and one-line summaries only. Each command's module (and with it
// bullmq, fastify, pglite…) is imported on first use, so `lethe --help`, a typo or `--version`
// start in a few times bare Node's start-up, whatever a command needs. A new command is one
// line here and a module exporting a `Command`; help, "did you mean", `lethe help <command>`
// and the error prefix come from this table.
import type { Io } from '../output.ts';

/** What a command's module exports. */
export interface Command {
  /** Usage, a description and an `Examples:` section; printed by `--help` and `lethe help <name>`. */
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

export interface CommandEntry {
  /** `plan`, or a group and verb: `hold add`. */
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', summary: 'seed a synthetic lender in an embedded database, sweep it, report',
    load: async () => (await import('./demo.ts')).demoCommand },
  { name: 'seed', summary: 'seed the synthetic reference lender into DATABASE_URL, to try lethe on PostgreSQL',
    load: async () => (await import('./seed.ts')).seedCommand },
  { name: 'migrate', summary: 'create or update the lethe schema (idempotent, safe from several processes)',
    load: async () => (await import('./migrate.ts')).migrateCommand },
  { name: 'policies check', summary: 'validate policy files (--db: also tables, columns and indexes)',
    load: async () => (await import('./policies.ts')).policiesCheckCommand },
  { name: 'policies doc', summary: 'a readable catalogue of the policies (Markdown or HTML) for review',
    load: async () => (await import('./policies-doc.ts')).policiesDocCommand },
  { name: 'policies coverage', summary: 'personal data in the database that no policy destroys (exit 1 if any)',
    load: async () => (await import('./policies-coverage.ts')).policiesCoverageCommand },
  { name: 'plan', summary: 'dry run: what a sweep would destroy now (or --as-of), held, deferred, tasked',
    load: async () => (await import('./plan.ts')).planCommand },
  { name: 'sweep', summary: 'one full pass through the pipeline with in-process workers; prints totals',
    load: async () => (await import('./sweep.ts')).sweepCommand },
  { name: 'worker', summary: 'long-running workers and one scan schedule per policy; SIGTERM exits cleanly',
    load: async () => (await import('./worker.ts')).workerCommand },
  { name: 'serve', summary: 'admin HTTP API, overview page, queue dashboard, /metrics; SIGTERM exits cleanly',
    load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'hold add', summary: 'place a legal hold: the subject\'s records are never destroyed',
    load: async () => (await import('./hold.ts')).holdAddCommand },
  { name: 'hold release', summary: 'release a legal hold',
    load: async () => (await import('./hold.ts')).holdReleaseCommand },
  { name: 'hold list', summary: 'list active legal holds',
    load: async () => (await import('./hold.ts')).holdListCommand },
  { name: 'erase', summary: 'a data subject\'s erasure request (PIPL art. 47): destroy, defer, report',
    load: async () => (await import('./erase.ts')).eraseCommand },
  { name: 'erase list', summary: 'erasure requests with their due dates; overdue ones flagged',
    load: async () => (await import('./erase.ts')).eraseListCommand },
  { name: 'erase show', summary: 'one erasure request (by id or ticket): per-policy outcome and the reply to the subject',
    load: async () => (await import('./erase.ts')).eraseShowCommand },
  { name: 'purge request', summary: 'ask for a manual purge (a policy\'s due records, or one subject); a second operator approves',
    load: async () => (await import('./purge.ts')).purgeRequestCommand },
  { name: 'purge approve', summary: 'approve another operator\'s manual purge and queue it',
    load: async () => (await import('./purge.ts')).purgeApproveCommand },
  { name: 'purge list', summary: 'manual purge requests: pending, approved, executed, expired',
    load: async () => (await import('./purge.ts')).purgeListCommand },
  { name: 'partners status', summary: 'partner purge requests: pending, confirmed, overdue (with age), failed',
    load: async () => (await import('./partners.ts')).partnersStatusCommand },
  { name: 'partners terminate-sync', summary: 'create purge requests for everything terminated partners still hold',
    load: async () => (await import('./partners.ts')).partnersTerminateSyncCommand },
  { name: 'objects status', summary: 'files in object storage left to delete: pending (with age) and failed, per store',
    load: async () => (await import('./objects.ts')).objectsStatusCommand },
  { name: 'tasks list', summary: 'paper and media destruction tasks still to do (--overdue: past their deadline)',
    load: async () => (await import('./tasks.ts')).tasksListCommand },
  { name: 'tasks show', summary: 'one destruction task: its steps and the boxes or media still to destroy, with their location',
    load: async () => (await import('./tasks.ts')).tasksShowCommand },
  { name: 'tasks approve', summary: 'approve a destruction task (four eyes: not whoever opened it)',
    load: async () => (await import('./tasks.ts')).tasksApproveCommand },
  { name: 'tasks handover', summary: 'record that an approved task\'s items were handed to the person who will destroy them',
    load: async () => (await import('./tasks.ts')).tasksHandoverCommand },
  { name: 'tasks confirm', summary: 'the witness confirms the items were destroyed; their register rows are deleted with evidence',
    load: async () => (await import('./tasks.ts')).tasksConfirmCommand },
  { name: 'evidence verify', summary: 'recompute every evidence hash and the chain; exit 1 naming the first broken record',
    load: async () => (await import('./evidence.ts')).evidenceVerifyCommand },
  { name: 'evidence export', summary: 'the destruction register for auditors (json, csv or html), signed',
    load: async () => (await import('./evidence.ts')).evidenceExportCommand },
  { name: 'evidence find', summary: 'what was destroyed for one data subject',
    load: async () => (await import('./evidence.ts')).evidenceFindCommand },
  { name: 'evidence prune', summary: 'remove evidence older than LETHE_EVIDENCE_RETAIN (≥ 3 years); verify still passes',
    load: async () => (await import('./evidence.ts')).evidencePruneCommand },
  { name: 'evidence keygen', summary: 'a new Ed25519 key pair for signing exports',
    load: async () => (await import('./evidence.ts')).evidenceKeygenCommand },
  { name: 'suppress check', summary: 'may this subject, phone or e-mail be contacted for a purpose? exit 0 yes, 3 suppressed',
    load: async () => (await import('./suppress.ts')).suppressCheckCommand },
  { name: 'suppress lift', summary: 'lift a refusal once the consent table shows the consent granted again',
    load: async () => (await import('./suppress.ts')).suppressLiftCommand },
  { name: 'suppress export', summary: 'the suppression list as keyed hashes, for campaign, SMS and call-centre systems',
    load: async () => (await import('./suppress.ts')).suppressExportCommand },
  { name: 'suppress key', summary: 'write the suppression key to a file (0600) for the systems that match against an export',
    load: async () => (await import('./suppress.ts')).suppressKeyCommand },
  { name: 'report', summary: 'statistics for regulators over a period: destruction, erasure requests, holds',
    load: async () => (await import('./report.ts')).reportCommand },
  { name: 'tokens create', summary: 'create an API token for `lethe serve` (shown once)',
    load: async () => (await import('./tokens.ts')).tokensCreateCommand },
  { name: 'tokens list', summary: 'list API tokens (never the tokens themselves)',
    load: async () => (await import('./tokens.ts')).tokensListCommand },
  { name: 'tokens revoke', summary: 'revoke an API token: it stops working at once',
    load: async () => (await import('./tokens.ts')).tokensRevokeCommand },
];
