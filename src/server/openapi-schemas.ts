// What `lethe serve` answers, as OpenAPI component schemas: the shapes of src/erasure/types.ts,
// src/plan/plan.ts, src/purge/requests.ts, src/tasks/list.ts and the route files, written out
// for clients. test/server/openapi.test.ts calls the routes and checks each answer against its
// schema, so the document cannot drift from the server. Times are UTC ISO 8601.
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const time = (description?: string): Schema => str(description, { format: 'date-time' });
const int = (description?: string): Schema => ({ type: 'integer', minimum: 0, ...(description ? { description } : {}) });
const nullable = (s: Schema): Schema => ({ ...s, type: [s.type as string, 'null'], ...(Array.isArray(s.enum) ? { enum: [...(s.enum as unknown[]), null] } : {}) });
const array = (items: Schema): Schema => ({ type: 'array', items });
const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', properties, required });
const hex64 = (description: string) => str(description, { pattern: '^[0-9a-f]{64}$' });

const ERASURE_STATUS = ['received', 'in_progress', 'completed', 'partially_deferred', 'held', 'failed'];
const TASK_STATUS = ['opened', 'approved', 'handed_over', 'confirmed'];

export const RESPONSE_SCHEMAS: Record<string, Schema> = {
  Error: object({ error: object({ code: str('machine-readable, e.g. bad_request, forbidden'), message: str('what was wrong and what is allowed') }) }),
  ErasureOutcome: object({
    policy: str(), title: str(), category: str(), action: str(undefined, { enum: ['delete', 'anonymise', 'manual'] }),
    destroyed: int(), anonymised: int(), deferred: int('kept under a law\'s statutory floor, restricted until `until`'),
    until: nullable(time('when the floor ends; null while its clock has not started')), basis: array(str()), held: int('kept by a legal hold'),
    awaiting: int('paper or media in an open destruction task'),
  }, ['policy', 'title', 'category', 'action', 'destroyed', 'anonymised', 'deferred', 'until', 'basis', 'held']),
  ErasureRequest: object({
    id: str('er-…'), ticket: str('the case number it was filed under'), subject_ref: hex64('the subject as a keyed pseudonym'),
    status: str(undefined, { enum: ERASURE_STATUS }), received_at: time(), due_at: time('LETHE_ERASURE_DUE_DAYS working days after receipt'),
    completed_at: nullable(time()), overdue: { type: 'boolean' }, policies: array(ref('ErasureOutcome')),
    reply: nullable(str('the reply to send to the data subject, in Chinese')),
  }),
  ConsentScheduled: object({ policies: array(object({ id: str(), due_at: time('when the subject\'s scan runs') })) }),
  Hold: object({ id: str('hold-…'), subject_ref: hex64('the subject as a keyed pseudonym'), policy: nullable(str('null: every policy')), reason: str(), placed_at: time() }),
  SuppressionAnswer: object({
    purpose: str(), kind: str('what was looked up', { enum: ['subject', 'phone', 'email'] }),
    suppressed: { type: 'boolean', description: 'true: do not contact' }, since: nullable(time('when the oldest standing refusal was recorded')),
    reasons: array(str(undefined, { enum: ['consent_withdrawn', 'erasure_request'] })),
  }),
  SuppressionLifted: object({ purpose: str(), lifted: int('entries lifted: the subject and their contact points') }),
  HoldPlaced: object({ id: str(), subject_ref: hex64('the subject as a keyed pseudonym') }),
  HoldReleased: object({ id: str(), released: { type: 'boolean', const: true } }),
  PolicyCounts: object({
    id: str(), action: str(undefined, { enum: ['delete', 'anonymise', 'manual'] }),
    due: int('due now and nothing stops it: what the next sweep destroys (manual: puts into tasks)'), held: int('kept by a legal hold'),
    deferred: int('kept by a statutory floor'), restricted: int('restricted after an erasure request, floor still running'),
    destroyed: int('a sweep now would delete'), anonymised: int('a sweep now would anonymise'), failed: int(),
    tasked: int('manual policies: rows already in an open destruction task'), floor: nullable(str(undefined, { enum: ['law', 'regulator', 'analogy'] })),
    on_erasure: object({ destroy: int(), defer: int(), held: int() }),
  }, ['id', 'action', 'due', 'held', 'deferred', 'restricted', 'destroyed', 'anonymised', 'failed']),
  Plan: object({ as_of: time(), policies: array(ref('PolicyCounts')) }),
  PurgeRequest: object({
    id: str('pr-…'), kind: str(undefined, { enum: ['policy', 'subject'] }), policy: nullable(str()), subject_ref: nullable(hex64('the subject as a keyed pseudonym')),
    reason: str(), requested_by: str(), requested_at: time(), expires_at: time(), status: str(undefined, { enum: ['pending', 'approved', 'executed', 'expired'] }),
    approved_by: nullable(str()), approved_at: nullable(time()),
    plan: object({ policies: array(object({ id: str(), version: str(), action: str(), records: int(), samples: array(str('record ref')) })), total: int(), hash: hex64('what --plan-hash / plan_hash takes') }),
    outcome: nullable(object({ destroyed: int(), anonymised: int(), held: int(), skipped: int(), failed: int() })),
  }),
  DestructionTask: object({
    id: str('dt-…'), policy: str(), policy_version: str(), method: str(), status: str(undefined, { enum: TASK_STATUS }),
    lines: object({ open: int(), destroyed: int(), held: int(), gone: int() }), opened_by: str(), opened_at: time(), due_by: time(),
    overdue: { type: 'boolean' }, overdue_seconds: int(), overdue_for: nullable(str()),
    approved_by: nullable(str()), approved_at: nullable(time()), handed_over_by: nullable(str()), handed_over_at: nullable(time()),
    executor: nullable(str()), handover_note: nullable(str()), confirmed_by: nullable(str()), confirmed_at: nullable(time()),
    witness: nullable(str()), certificate: nullable(str()),
  }),
  TaskStep: object({ id: str(), status: str(undefined, { enum: TASK_STATUS }), lines: int('lines in the task after the step (confirm: destroyed)'), held: int(), gone: int() }),
};

RESPONSE_SCHEMAS.DestructionTaskDetail = {
  allOf: [ref('DestructionTask'), object({ open_lines: array(object({ key: str('the register key'), location: nullable(str()), media_class: str(), record_ref: str() })) })],
};

/** A documented answer: its status, and a JSON schema or another content type. */
export interface Answer { status: number; description: string; schema?: Schema; contentType?: string }

const json = (status: number, description: string, schema: Schema): Answer => ({ status, description, schema });
const list = (key: string, item: string, extra: Record<string, Schema> = {}): Schema => object({ ...extra, [key]: array(ref(item)) });

export const ANSWERS = {
  suppression: json(200, 'whether the subject or contact point may be contacted for the purpose', ref('SuppressionAnswer')),
  suppressionLifted: json(200, 'the refusal is lifted; the entries are kept, marked lifted', ref('SuppressionLifted')),
  consentScheduled: json(202, 'the subject\'s scans are scheduled for the end of each policy\'s grace period', ref('ConsentScheduled')),
  erasureAccepted: json(202, 'recorded; the workers carry it out (poll GET /erasure-requests/{id})', ref('ErasureRequest')),
  erasureList: json(200, 'every erasure request, by due date', list('erasure_requests', 'ErasureRequest')),
  erasure: json(200, 'the request and its outcome per policy', ref('ErasureRequest')),
  metrics: { status: 200, description: 'Prometheus text format 0.0.4', contentType: 'text/plain' } as Answer,
  holdList: json(200, 'active legal holds', list('holds', 'Hold')),
  holdPlaced: json(201, 'placed: no purge destroys the subject\'s records from now on', ref('HoldPlaced')),
  holdReleased: json(200, 'released', ref('HoldReleased')),
  plan: json(200, 'the dry run, as `lethe plan --json`', ref('Plan')),
  export: { status: 200, description: 'the destruction register: JSON (runs, seals, records) or CSV, streamed', contentType: 'application/json, text/csv' } as Answer,
  purgeRequested: json(201, 'stored with its plan; waits for another operator', ref('PurgeRequest')),
  purgeApproved: json(202, 'approved; its batches are queued', ref('PurgeRequest')),
  purgeList: json(200, 'manual purge requests', list('purge_requests', 'PurgeRequest')),
  purge: json(200, 'one purge request, its plan and outcome', ref('PurgeRequest')),
  taskList: json(200, 'destruction tasks still to do (or all)', list('tasks', 'DestructionTask', { as_of: time() })),
  task: json(200, 'one task, with the register lines still to destroy', ref('DestructionTaskDetail')),
  taskStep: json(200, 'the step was recorded', ref('TaskStep')),
  overview: { status: 200, description: 'the retention overview page; a browser without a token gets the login form (401)', contentType: 'text/html' } as Answer,
  openapi: json(200, 'this document', { type: 'object' }),
  docs: { status: 200, description: 'this document as a readable page', contentType: 'text/html' } as Answer,
  healthz: json(200, 'the process answers', object({ ok: { type: 'boolean' } })),
  readyz: json(200, 'PostgreSQL, Redis and the schema are usable (503 with the same shape and an error when not)',
    object({ ok: { type: 'boolean' }, checks: object({ postgres: str(), redis: str(), schema: str() }) })),
  confirmation: json(200, 'the receipt was accepted', object({ request_id: str(), status: str(undefined, { const: 'confirmed' }) })),
  loginPage: { status: 200, description: 'the login form', contentType: 'text/html' } as Answer,
  loggedIn: { status: 303, description: 'session cookie set (HttpOnly, SameSite=Strict, 30 minutes); on to the page; a bad token gets the form again with 401' } as Answer,
  loggedOut: { status: 303, description: 'cookie cleared; on to the login form' } as Answer,
  dashboard: { status: 200, description: 'bull-board\'s answer (its page, an asset, or its JSON)' } as Answer,
} satisfies Record<string, Answer>;
