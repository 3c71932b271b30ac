// The OpenAPI 3.1 document of `lethe serve`, built from the role table: every route in
// ROUTE_ROLES and PUBLIC_ROUTES, with its roles as `x-roles`, its request body and its answers
// (src/server/openapi-schemas.ts). Request bodies are written here by hand beside the zod
// schemas in the route files; `Record<SecuredRoute, …>` makes the compiler refuse a secured
// route without an entry, and test/server/openapi.test.ts checks the rest against real answers.
import { DASHBOARD_PREFIX, PREFIX_ROLES, PUBLIC_ROUTES, ROUTE_ROLES, prefixOf, splitRoute, type RouteKey, type SecuredRoute } from './roles.ts';
import { boardRoutes, collectBoard, type BoardRoute } from './dashboard/board.ts';
import { ANSWERS, RESPONSE_SCHEMAS, type Answer } from './openapi-schemas.ts';

type Schema = Record<string, unknown>;
interface Doc { summary: string; answer: Answer; body?: Schema; query?: { name: string; description: string }[] }

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const object = (properties: Record<string, Schema>, required: string[], extra: Schema = {}): Schema =>
  ({ type: 'object', additionalProperties: false, properties, required, ...extra });

/** Subject ids are taken only as the subject column prints them (src/subjects/canonical.ts). */
const SUBJECT_DOC = 'a data subject id, written as the subject column prints it (no leading zeros, sign or spaces for an integer column); another spelling is a 400 naming the one to use';

const SECURED_DOCS: Record<SecuredRoute, Doc> = {
  'POST /events/consent-withdrawn': {
    answer: ANSWERS.consentScheduled,
    summary: 'Schedules the subject\'s consent scan after a withdrawal',
    body: object({ subject: str(SUBJECT_DOC, { maxLength: 128 }), purpose: str('the consent purpose'), withdrawn_at: str('ISO 8601 instant', { format: 'date-time' }) }, ['subject', 'purpose']),
  },
  'POST /events/consent-granted': {
    answer: ANSWERS.suppressionLifted,
    summary: 'Lifts the subject\'s suppression for a purpose once the consent table shows the consent granted again (409 while it does not)',
    body: object({ subject: str(SUBJECT_DOC, { maxLength: 128 }), purpose: str('the consent purpose'), reason: str('where the renewed consent is recorded', { maxLength: 500 }) }, ['subject', 'purpose']),
  },
  'GET /suppressions/check': {
    answer: ANSWERS.suppression,
    summary: 'May this subject or contact point be contacted for the purpose? {purpose, kind, suppressed, since, reasons}',
    query: [
      { name: 'purpose', description: 'a purpose whose policy keeps a suppression list (required)' },
      { name: 'subject', description: `${SUBJECT_DOC} (this or contact)` },
      { name: 'contact', description: 'a phone number or e-mail address, any spelling: it is normalised before it is hashed (this or subject)' },
    ],
  },
  'POST /suppressions/check': {
    answer: ANSWERS.suppression,
    summary: 'The same question with the contact in the body, out of URLs that proxies and access logs keep',
    body: object({ purpose: str('a purpose whose policy keeps a suppression list'), subject: str(`${SUBJECT_DOC} (this or contact)`, { maxLength: 128 }),
      contact: str('a phone number or e-mail address, any spelling (this or subject)', { maxLength: 254 }) }, ['purpose']),
  },
  'POST /erasure-requests': {
    answer: ANSWERS.erasureAccepted,
    summary: 'Records an erasure request and schedules its scan',
    body: object({ subject: str(SUBJECT_DOC, { maxLength: 128 }), ticket: str('the ticket it came in by') }, ['subject', 'ticket']),
  },
  'GET /erasure-requests': { summary: 'Lists erasure requests', answer: ANSWERS.erasureList },
  'GET /erasure-requests/:id': { summary: 'One erasure request and its outcome', answer: ANSWERS.erasure },
  'GET /metrics': { summary: 'Prometheus text, computed from PostgreSQL at each scrape', answer: ANSWERS.metrics },
  'GET /holds': { summary: 'Active legal holds (subjects as pseudonymous refs)', answer: ANSWERS.holdList },
  'POST /holds': {
    answer: ANSWERS.holdPlaced,
    summary: 'Places a legal hold: once this returns, no purge destroys the subject\'s records',
    body: object({ subject: str(SUBJECT_DOC, { maxLength: 128 }), reason: str('why', { maxLength: 500 }), policy: str('only this policy') }, ['subject', 'reason']),
  },
  'POST /holds/:id/release': {
    answer: ANSWERS.holdReleased,
    summary: 'Releases a legal hold',
    body: object({ reason: str('why', { maxLength: 500 }) }, ['reason']),
  },
  'GET /plan': { summary: 'Dry run: per policy due, held, deferred, restricted (query: policy, subject, as_of)', answer: ANSWERS.plan },
  'GET /evidence/export': { summary: 'The destruction register as json or csv (query: from, to, format)', answer: ANSWERS.export },
  'POST /purge-requests': {
    answer: ANSWERS.purgeRequested,
    summary: 'Requests a manual purge (four eyes: another token approves it)',
    body: object({ policy: str('a policy id'), subject: str(SUBJECT_DOC, { maxLength: 128 }), reason: str('why', { maxLength: 500 }) }, ['reason'],
      { oneOf: [{ required: ['policy'] }, { required: ['subject'] }] }),
  },
  'POST /purge-requests/:id/approve': {
    answer: ANSWERS.purgeApproved,
    summary: 'Approves a purge request by a principal other than its requester, and queues it',
    body: object({ plan_hash: str('the plan hash the approver saw', { pattern: '^[0-9a-f]{64}$' }) }, []),
  },
  'GET /purge-requests': { summary: 'Lists purge requests', answer: ANSWERS.purgeList },
  'GET /purge-requests/:id': { summary: 'One purge request, its plan and outcome', answer: ANSWERS.purge },
  'GET /destruction-tasks': { summary: 'Paper and media destruction tasks still to do (query: overdue=true, all=true)', answer: ANSWERS.taskList },
  'GET /destruction-tasks/:id': { summary: 'One destruction task: its steps and the register lines still to destroy, with their location', answer: ANSWERS.task },
  'POST /destruction-tasks/:id/approve': { summary: 'Approves an opened destruction task (four eyes: not by whoever opened it)', answer: ANSWERS.taskStep,
    body: object({ lines: { type: 'integer', minimum: 1, description: 'the number of lines the approver reviewed: refused if the task now has another' } }, []) },
  'POST /destruction-tasks/:id/handover': {
    answer: ANSWERS.taskStep,
    summary: 'Records the handover of an approved task\'s items to the person who destroys them',
    body: object({ executor: str('who destroys the items', { maxLength: 200 }), note: str('kept with the task, never in evidence', { maxLength: 500 }) }, ['executor']),
  },
  'POST /destruction-tasks/:id/confirm': {
    answer: ANSWERS.taskStep,
    summary: 'The witness (this token\'s name; not the executor) confirms the destruction: register rows deleted, evidence per item',
    body: object({ executor: str('who the task was handed over to', { maxLength: 200 }), witness: str('the token\'s own name', { maxLength: 200 }),
      certificate: str('e.g. the contractor\'s destruction certificate number', { maxLength: 200 }) }, ['executor', 'witness']),
  },
  'GET /': {
    answer: ANSWERS.overview,
    summary: 'The retention overview page (HTML)',
    query: [{ name: 'token', description: 'the API token, for browsers (this route only); prefer the Authorization header' }],
  },
  'GET /openapi.json': { summary: 'This document', answer: ANSWERS.openapi },
  'GET /docs': { summary: 'This document as a page to read (HTML, no script)', answer: ANSWERS.docs },
};

const PUBLIC_DOCS: Record<string, Doc> = {
  'GET /healthz': { summary: 'Liveness', answer: ANSWERS.healthz },
  'GET /readyz': { summary: 'Readiness: PostgreSQL, Redis, schema version', answer: ANSWERS.readyz },
  'POST /partners/:id/confirmations': {
    summary: 'A partner\'s signed receipt (HMAC with the partner\'s shared secret, not a token)', answer: ANSWERS.confirmation,
    body: { type: 'object', description: 'the receipt, as signed' },
  },
  'GET /login': { summary: 'The login form of the overview page and the queue dashboard (HTML)', answer: ANSWERS.loginPage,
    query: [{ name: 'next', description: 'this server\'s page to return to (/ or under /queues/)' }] },
  'POST /login': {
    summary: 'Exchanges an API token for the browser session cookie the overview and the dashboard share, and sends the browser on', answer: ANSWERS.loggedIn,
    body: object({ token: str('an API token; sent as an HTML form (application/x-www-form-urlencoded)'), next: str('/ (default) or a page under /queues/') }, ['token']),
  },
  'GET /logout': { summary: 'Ends the browser session (clears its cookie)', answer: ANSWERS.loggedOut },
  [`GET ${DASHBOARD_PREFIX}/login`]: { summary: 'The same login form, landing on the queue dashboard', answer: ANSWERS.loginPage },
  [`POST ${DASHBOARD_PREFIX}/login`]: {
    summary: 'As POST /login, landing on the queue dashboard', answer: ANSWERS.loggedIn,
    body: object({ token: str('an API token; sent as an HTML form (application/x-www-form-urlencoded)'), next: str('a page under /queues/') }, ['token']),
  },
  [`GET ${DASHBOARD_PREFIX}/logout`]: { summary: 'Ends the browser session (clears its cookie)', answer: ANSWERS.loggedOut },
};

/** bull-board's routes: its own summary for the API, ours for the page and its assets. */
function dashboardDoc(route: BoardRoute): Doc {
  if (route.kind === 'api') return { summary: `Queue dashboard (bull-board) API: ${route.api.spec.summary}`, answer: ANSWERS.dashboard };
  return { summary: route.kind === 'page' ? 'The queue dashboard (bull-board) page: a session cookie from the login, or a bearer token' : 'The queue dashboard\'s static assets', answer: ANSWERS.dashboard };
}

/** OpenAPI's form of a route's path: `{param}` for fastify's `:param`, `{path}` for its `*`. */
export const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}');

const ERROR = { $ref: '#/components/schemas/Error' };
/** POST routes whose body may be left out. */
const OPTIONAL_BODY: readonly RouteKey[] = ['POST /purge-requests/:id/approve', 'POST /destruction-tasks/:id/approve'];
const errors = (codes: string[]) => Object.fromEntries(codes.map((c) => [c, { description: 'error', content: { 'application/json': { schema: ERROR } } }]));

function answer(a: Answer): Schema {
  if (a.schema) return { description: a.description, content: { 'application/json': { schema: a.schema } } };
  if (a.contentType) return { description: a.description, content: Object.fromEntries(a.contentType.split(', ').map((t) => [t, {}])) };
  return { description: a.description };
}

function operation(key: RouteKey, doc: Doc, roles: readonly string[] | undefined): Schema {
  const { method, url } = splitRoute(key);
  const params = [...openApiPath(url).matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = (doc.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: { type: 'string' } }));
  return {
    summary: doc.summary,
    ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
    ...(doc.body ? { requestBody: { required: method === 'POST' && !OPTIONAL_BODY.includes(key), content: { 'application/json': { schema: doc.body } } } } : {}),
    responses: { [doc.answer.status]: answer(doc.answer), ...errors(roles ? ['400', '401', '403', '404'] : ['400', '404']) },
    ...(roles ? { security: [{ bearer: [] }], 'x-roles': [...roles] } : { security: [] }),
  };
}

export function openApiDocument(version: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  const add = (key: RouteKey, doc: Doc, roles: readonly string[] | undefined) => {
    const { method, url } = splitRoute(key);
    const path = openApiPath(url);
    (paths[path] ??= {})[method.toLowerCase()] = operation(key, doc, roles);
  };
  for (const key of Object.keys(ROUTE_ROLES) as SecuredRoute[]) add(key, SECURED_DOCS[key], ROUTE_ROLES[key]);
  for (const key of PUBLIC_ROUTES) {
    const doc = PUBLIC_DOCS[key];
    if (!doc) throw new Error(`public route ${key} has no entry in PUBLIC_DOCS (src/server/openapi.ts)`);
    add(key, doc, undefined);
  }
  for (const route of boardRoutes(collectBoard(DASHBOARD_PREFIX), DASHBOARD_PREFIX)) {
    add(`${route.method} ${route.url}` as RouteKey, dashboardDoc(route), PREFIX_ROLES[prefixOf(route.method, route.url)!]);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'lethe serve', version },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token from `lethe tokens create`' } },
      schemas: RESPONSE_SCHEMAS,
    },
  };
}
