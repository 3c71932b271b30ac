// lethe's own tables, in the `lethe` schema beside the business data, so that destruction
// and its evidence commit in one transaction. Migrations are generated from this file.
import { sql } from 'drizzle-orm';
import {
  bigint, boolean, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';

export const lethe = pgSchema('lethe');

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Every version of every policy file that ever drove a run: evidence points here by hash. */
export const policyVersions = lethe.table('policy_versions', {
  policyId: text('policy_id').notNull(),
  version: text('version').notNull(),
  fileName: text('file_name').notNull(),
  /** The policy file exactly as read: rules, never personal data. */
  source: text('source').notNull(),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('policy_versions_pk').on(t.policyId, t.version)]);

/** One sweep, one scheduled scan tick, one erasure request... */
export const runs = lethe.table('runs', {
  id: uuid('id').primaryKey(),
  kind: text('kind').notNull(),
  trigger: text('trigger').notNull(),
  actor: text('actor').notNull(),
  status: text('status').notNull().default('running'),
  startedAt: ts('started_at').notNull(),
  finishedAt: ts('finished_at'),
});

/** One policy's scan within a run; `cursor` makes it resumable after a crash. */
export const scans = lethe.table('scans', {
  id: uuid('id').primaryKey(),
  runId: uuid('run_id').notNull().references(() => runs.id),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  status: text('status').notNull().default('pending'),
  /** Keyset position (clock value and key, as text) of the last page taken. */
  /** The instant due-ness is judged at (the injectable clock); created_at is wall time. */
  asOf: ts('as_of').notNull(),
  /**
   * `policy`: the policy's own clock; `subject`: the same, one subject only (a pushed consent
   * withdrawal); `erasure`: one subject, clock ignored (an erasure request); `restricted`:
   * records restricted by an earlier request whose statutory floor has now run out.
   */
  mode: text('mode').notNull().default('policy'),
  /** The subject of a `subject` or `erasure` scan, while the scan is open; cleared when it closes. */
  subject: text('subject'),
  cursor: jsonb('cursor').$type<{ key: string } | null>(),
  pages: integer('pages').notNull().default(0),
  found: integer('found').notNull().default(0),
  createdAt: ts('created_at').notNull(),
  finishedAt: ts('finished_at'),
  error: text('error'),
}, (t) => [index('scans_run_idx').on(t.runId), index('scans_open_idx').on(t.status),
  // /metrics reads each policy's last finished policy-wide scan at every scrape.
  index('scans_done_idx').on(t.policyId, t.finishedAt).where(sql`status = 'done' AND mode = 'policy'`)]);

/**
 * One purge transaction's worth of records. `keys` holds the business keys only while the
 * batch is open (PostgreSQL, never Redis) and is cleared when it completes.
 */
export const batches = lethe.table('batches', {
  id: uuid('id').primaryKey(),
  runId: uuid('run_id').notNull().references(() => runs.id),
  scanId: uuid('scan_id').references(() => scans.id),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  trigger: text('trigger').notNull(),
  actor: text('actor').notNull(),
  keys: text('keys').array(),
  size: integer('size').notNull(),
  status: text('status').notNull().default('pending'),
  destroyed: integer('destroyed').notNull().default(0),
  anonymised: integer('anonymised').notNull().default(0),
  children: integer('children').notNull().default(0),
  held: integer('held').notNull().default(0),
  skipped: integer('skipped').notNull().default(0),
  failed: integer('failed').notNull().default(0),
  attempts: integer('attempts').notNull().default(0),
  error: text('error'),
  createdAt: ts('created_at').notNull(),
  finishedAt: ts('finished_at'),
  /** How long the purge job took (transaction and post-destruction check): /metrics' histogram. */
  purgeMs: integer('purge_ms'),
  /**
   * The seal this batch's evidence was sealed with, and how many records it holds: an anchor of
   * the seal chain outside the evidence tables, so `evidence verify` notices evidence removed
   * whole (rows and seals, the newest included) while this row says it existed.
   */
  sealHash: text('seal_hash'),
  evidenceRecords: integer('evidence_records'),
}, (t) => [index('batches_run_idx').on(t.runId), index('batches_open_idx').on(t.status, t.createdAt)]);

/**
 * The destruction evidence: one row per destroyed or anonymised record (and child row).
 * Append-only for the application (trigger + privileges, see the custom migration); rows are
 * HMAC-chained within their batch and each batch is sealed into the chain of `evidence_seals`.
 */
export const evidence = lethe.table('evidence', {
  seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  batchId: uuid('batch_id').notNull(),
  batchPos: integer('batch_pos').notNull(),
  runId: uuid('run_id').notNull(),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  category: text('category').notNull(),
  classification: text('classification').notNull(),
  trigger: text('trigger').notNull(),
  action: text('action').notNull(),
  tableName: text('table').notNull(),
  recordRef: text('record_ref'),
  subjectRef: text('subject_ref'),
  fields: jsonb('fields').$type<Record<string, string> | null>(),
  partner: text('partner'),
  actor: text('actor').notNull(),
  occurredAt: ts('occurred_at').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
}, (t) => [
  uniqueIndex('evidence_batch_pos_idx').on(t.batchId, t.batchPos),
  index('evidence_subject_idx').on(t.subjectRef),
  index('evidence_occurred_idx').on(t.occurredAt),
]);

/** The chain of batch digests, in commit order (appended under a short advisory lock at commit). */
export const evidenceSeals = lethe.table('evidence_seals', {
  seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  batchId: uuid('batch_id').notNull(),
  records: integer('records').notNull(),
  lastHash: text('last_hash').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
  sealedAt: ts('sealed_at').notNull(),
}, (t) => [uniqueIndex('evidence_seals_batch_idx').on(t.batchId)]);

/** Legal holds: by pseudonymous subject ref, optionally limited to one policy. */
export const holds = lethe.table('holds', {
  id: text('id').primaryKey(),
  subjectRef: text('subject_ref').notNull(),
  policyId: text('policy_id'),
  reason: text('reason').notNull(),
  placedBy: text('placed_by').notNull(),
  placedAt: ts('placed_at').notNull(),
  releasedAt: ts('released_at'),
  releasedBy: text('released_by'),
  releaseReason: text('release_reason'),
}, (t) => [index('holds_active_idx').on(t.subjectRef).where(sql`released_at IS NULL`)]);

/** A data subject's erasure request (PIPL art. 47, 50): lifecycle, due date, the reply. */
export const erasureRequests = lethe.table('erasure_requests', {
  id: text('id').primaryKey(),
  ticket: text('ticket').notNull(),
  subjectRef: text('subject_ref').notNull(),
  /** received → in_progress → completed | partially_deferred | held | failed */
  status: text('status').notNull(),
  actor: text('actor').notNull(),
  runId: uuid('run_id'),
  receivedAt: ts('received_at').notNull(),
  dueAt: ts('due_at').notNull(),
  completedAt: ts('completed_at'),
  /** Per policy: destroyed, anonymised, deferred (until, basis), held. Counts and dates only. */
  outcome: jsonb('outcome').$type<unknown>(),
  error: text('error'),
}, (t) => [uniqueIndex('erasure_requests_ticket_idx').on(t.ticket), index('erasure_requests_status_idx').on(t.status, t.dueAt)]);

/**
 * Records kept only because a statutory floor still runs after an erasure request asked for
 * them: restricted (PIPL art. 47: kept, no other processing) and destroyed when `until` passes.
 */
export const restrictions = lethe.table('restrictions', {
  id: uuid('id').primaryKey(),
  policyId: text('policy_id').notNull(),
  /** The business key, so the record can be found when the floor ends (lethe's schema only). */
  recordKey: text('record_key').notNull(),
  recordRef: text('record_ref').notNull(),
  subjectRef: text('subject_ref'),
  requestId: text('request_id'),
  until: ts('until').notNull(),
  createdAt: ts('created_at').notNull(),
  closedAt: ts('closed_at'),
  closedReason: text('closed_reason'),
}, (t) => [
  uniqueIndex('restrictions_open_idx').on(t.policyId, t.recordKey).where(sql`closed_at IS NULL`),
  index('restrictions_until_idx').on(t.until).where(sql`closed_at IS NULL`),
]);

/** API tokens for `lethe serve`: only a hash is stored; the token is shown once. */
export const apiTokens = lethe.table('api_tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** viewer | operator | approver | auditor */
  role: text('role').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: ts('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  revokedAt: ts('revoked_at'),
}, (t) => [uniqueIndex('api_tokens_hash_idx').on(t.tokenHash)]);

/**
 * The partner outbox (PIPL art. 21, 23): one purge request per partner per destroyed batch (or
 * per chunk of a terminated partner's holdings), written in the destroying transaction and
 * delivered afterwards by the `notify-partner` job. `payload` holds the references the partner
 * knows the subjects by (lethe's schema only, never Redis or evidence); `subject_refs` our
 * pseudonyms for the evidence. pending → sent → confirmed | failed.
 */
export const partnerRequests = lethe.table('partner_requests', {
  id: uuid('id').primaryKey(),
  partnerId: text('partner_id').notNull(),
  /** `batch:<uuid>` or `termination:<n>`: at most one request per partner for each. */
  dedupeKey: text('dedupe_key').notNull(),
  status: text('status').notNull().default('pending'),
  trigger: text('trigger').notNull(),
  runId: uuid('run_id').notNull(),
  batchId: uuid('batch_id'),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  classification: text('classification').notNull(),
  actor: text('actor').notNull(),
  categories: text('categories').array().notNull(),
  subjectRefs: text('subject_refs').array().notNull(),
  payload: jsonb('payload').$type<{ subjects: string[] } | null>(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: ts('next_attempt_at').notNull(),
  lastError: text('last_error'),
  sentAt: ts('sent_at'),
  deadlineAt: ts('deadline_at'),
  confirmedAt: ts('confirmed_at'),
  failedAt: ts('failed_at'),
  receipt: jsonb('receipt').$type<unknown>(),
  remindedAt: ts('reminded_at'),
  reminders: integer('reminders').notNull().default(0),
  createdAt: ts('created_at').notNull(),
}, (t) => [
  uniqueIndex('partner_requests_dedupe_idx').on(t.partnerId, t.dedupeKey),
  index('partner_requests_pending_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  index('partner_requests_sent_idx').on(t.deadlineAt).where(sql`status = 'sent'`),
  index('partner_requests_partner_idx').on(t.partnerId, t.status),
]);

/** Manual purges with four-eyes approval: the request, its plan (counts, samples, hash). */
export const purgeRequests = lethe.table('purge_requests', {
  id: text('id').primaryKey(),
  /** `policy`: what one policy has due now; `subject`: one subject under every policy. */
  kind: text('kind').notNull(),
  policyId: text('policy_id'),
  subjectRef: text('subject_ref'),
  reason: text('reason').notNull(),
  requestedBy: text('requested_by').notNull(),
  requestedAt: ts('requested_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  /** pending → approved (→ executed, derived from its run) | expired */
  status: text('status').notNull(),
  plan: jsonb('plan').$type<unknown>().notNull(),
  planHash: text('plan_hash').notNull(),
  approvedBy: text('approved_by'),
  approvedAt: ts('approved_at'),
  runId: uuid('run_id'),
}, (t) => [index('purge_requests_status_idx').on(t.status), index('purge_requests_run_idx').on(t.runId)]);

/** The exact records of a pending plan (business keys, lethe's schema only; moved into batches on approval). */
export const purgeRequestItems = lethe.table('purge_request_items', {
  requestId: text('request_id').notNull(),
  policyId: text('policy_id').notNull(),
  recordKey: text('record_key').notNull(),
}, (t) => [index('purge_request_items_request_idx').on(t.requestId, t.policyId)]);

/**
 * Where pruned evidence was (PIPL art. 56: kept at least 3 years): each prune removes the oldest
 * sealed batches and records the hash the remaining seal chain starts from. HMAC-chained and
 * append-only, so `evidence verify` still checks everything that remains.
 */
export const evidenceAnchors = lethe.table('evidence_anchors', {
  seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  throughSealSeq: bigint('through_seal_seq', { mode: 'number' }).notNull(),
  /** Hash of the last pruned seal: the prev_hash of the first seal kept. */
  anchorHash: text('anchor_hash').notNull(),
  sealsPruned: integer('seals_pruned').notNull(),
  recordsPruned: integer('records_pruned').notNull(),
  cutoff: ts('cutoff').notNull(),
  prunedAt: ts('pruned_at').notNull(),
  actor: text('actor').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

/**
 * Paper and media destruction (`action: manual`): a task per policy and method, worked by people
 * through opened → approved → handed_over → confirmed (JR/T 0171-2020: registered, approved,
 * handed over, supervised). Each step's actor and time is kept here and in the evidence.
 */
export const destructionTasks = lethe.table('destruction_tasks', {
  id: text('id').primaryKey(),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  /** shred | degauss | overwrite-3 | crush | incinerate */
  method: text('method').notNull(),
  /** opened → approved → handed_over → confirmed */
  status: text('status').notNull(),
  /** The run every step's evidence is written under (kind `task`). */
  runId: uuid('run_id').notNull().references(() => runs.id),
  openedBy: text('opened_by').notNull(),
  openedAt: ts('opened_at').notNull(),
  dueBy: ts('due_by').notNull(),
  approvedBy: text('approved_by'),
  approvedAt: ts('approved_at'),
  handedOverBy: text('handed_over_by'),
  handedOverAt: ts('handed_over_at'),
  executor: text('executor'),
  handoverNote: text('handover_note'),
  confirmedBy: text('confirmed_by'),
  confirmedAt: ts('confirmed_at'),
  witness: text('witness'),
  certificate: text('certificate'),
}, (t) => [
  index('destruction_tasks_status_idx').on(t.status, t.dueBy),
  index('destruction_tasks_policy_idx').on(t.policyId, t.method, t.status),
]);

/**
 * One register row (box, tape, disk) in a task. `record_key` is the register's key, kept only
 * while the line is open (lethe's schema, never Redis or evidence): the operator needs it to
 * find the box. A row is in at most one open line at a time.
 */
export const destructionTaskLines = lethe.table('destruction_task_lines', {
  taskId: text('task_id').notNull().references(() => destructionTasks.id),
  policyId: text('policy_id').notNull(),
  recordKey: text('record_key'),
  recordRef: text('record_ref').notNull(),
  subjectRef: text('subject_ref'),
  location: text('location'),
  mediaClass: text('media_class').notNull(),
  /** open → destroyed | held (a hold came before confirmation) | gone (no longer in the register or no longer due) */
  state: text('state').notNull(),
  addedAt: ts('added_at').notNull(),
  closedAt: ts('closed_at'),
}, (t) => [
  index('destruction_task_lines_task_idx').on(t.taskId, t.state),
  uniqueIndex('destruction_task_lines_open_idx').on(t.policyId, t.recordKey).where(sql`state = 'open'`),
]);

/**
 * The object outbox (src/objects/): one row per object a committed destruction left to delete
 * from object storage, written in the purge transaction. `bucket`/`object_key` are the pointer
 * itself — personal data while the work is open — and are cleared once the row is settled;
 * evidence and everything after carry `object_ref` (an HMAC) only.
 */
export const objectDeletions = lethe.table('object_deletions', {
  id: uuid('id').primaryKey(),
  storeId: text('store_id').notNull(),
  bucket: text('bucket'),
  objectKey: text('object_key'),
  objectRef: text('object_ref').notNull(),
  /** pending → deleted | failed */
  status: text('status').notNull().default('pending'),
  runId: uuid('run_id').notNull(),
  batchId: uuid('batch_id').notNull(),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  category: text('category').notNull(),
  classification: text('classification').notNull(),
  trigger: text('trigger').notNull(),
  actor: text('actor').notNull(),
  /** Schema-qualified table of the record that pointed at the object. */
  tableName: text('table_name').notNull(),
  recordRef: text('record_ref').notNull(),
  subjectRef: text('subject_ref'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: ts('next_attempt_at').notNull(),
  lastError: text('last_error'),
  versions: integer('versions'),
  absent: boolean('absent'),
  createdAt: ts('created_at').notNull(),
  finishedAt: ts('finished_at'),
}, (t) => [
  uniqueIndex('object_deletions_dedupe_idx').on(t.batchId, t.objectRef),
  index('object_deletions_pending_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  index('object_deletions_store_idx').on(t.storeId, t.status),
  index('object_deletions_run_idx').on(t.runId).where(sql`status = 'pending'`),
]);

/**
 * The destruction register of pruned evidence, kept permanently (会计档案管理办法: the destruction
 * register of accounting archives is kept for ever, while the evidence behind it goes after
 * three years). A prune writes here, in its own transaction, one row per run, policy, version,
 * trigger, action and table of the evidence it removes: counts, who, when, basis — no record or
 * subject refs. HMAC-chained (prev_hash, hash) and append-only, like the evidence.
 */
export const registerArchive = lethe.table('register_archive', {
  seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  /** The last seal the prune removed: the anchor written in the same transaction names it too. */
  throughSealSeq: bigint('through_seal_seq', { mode: 'number' }).notNull(),
  runId: uuid('run_id').notNull(),
  runKind: text('run_kind'),
  runTrigger: text('run_trigger'),
  runStatus: text('run_status'),
  startedAt: ts('started_at'),
  finishedAt: ts('finished_at'),
  executedBy: text('executed_by'),
  approvedBy: text('approved_by'),
  witnessedBy: text('witnessed_by'),
  policyId: text('policy_id').notNull(),
  policyVersion: text('policy_version').notNull(),
  category: text('category').notNull(),
  classification: text('classification').notNull(),
  trigger: text('trigger').notNull(),
  action: text('action').notNull(),
  tableName: text('table').notNull(),
  records: integer('records').notNull(),
  firstOccurredAt: ts('first_occurred_at').notNull(),
  lastOccurredAt: ts('last_occurred_at').notNull(),
  /** The policy version's `basis` citations, as read when the evidence was pruned. */
  basis: text('basis').array().notNull(),
  prunedAt: ts('pruned_at').notNull(),
  prunedBy: text('pruned_by').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
}, (t) => [
  index('register_archive_run_idx').on(t.runId),
  index('register_archive_occurred_idx').on(t.firstOccurredAt, t.lastOccurredAt),
]);

/**
 * Suppression after a refusal (CBIRC: "在消费者明确拒绝营销后仍继续营销"): keyed hashes of a
 * subject and of their normalised contact points, per purpose, kept while the refusal stands, so
 * a re-imported lead is not marketed again. Never a value: `hash` and `subject_hash` are
 * HMAC-SHA256 under the suppression key (src/suppress/). Written in the destroying transaction
 * when consent is withdrawn or an erasure request covers the purpose; lifted, never deleted,
 * when consent is granted again.
 */
export const suppressions = lethe.table('suppressions', {
  id: uuid('id').primaryKey(),
  purpose: text('purpose').notNull(),
  /** subject | phone | email */
  kind: text('kind').notNull(),
  hash: text('hash').notNull(),
  /** The subject's hash: lifting a refusal lifts the subject's contact points with it. */
  subjectHash: text('subject_hash').notNull(),
  policyId: text('policy_id').notNull(),
  /** consent_withdrawn | erasure_request */
  reason: text('reason').notNull(),
  runId: uuid('run_id'),
  createdAt: ts('created_at').notNull(),
  liftedAt: ts('lifted_at'),
  liftedBy: text('lifted_by'),
  liftReason: text('lift_reason'),
}, (t) => [
  uniqueIndex('suppressions_open_idx').on(t.purpose, t.kind, t.hash, t.subjectHash).where(sql`lifted_at IS NULL`),
  index('suppressions_subject_idx').on(t.purpose, t.subjectHash).where(sql`lifted_at IS NULL`),
]);
