// The overview's sections of open work, each what somebody has to act on next: erasure requests
// by deadline, legal holds, purges awaiting a second operator, destruction tasks, partner
// requests, files in object storage. Every value escaped; times in the page's zone.
import { escapeHtml as esc } from '../../policy/doc-html.ts';
import type { Overview } from '../../overview/overview.ts';
import { humanAge } from '../../partners/status.ts';
import { localDate, localTime } from '../../time.ts';

export const n = (v: number) => String(v);
export const attr = (v: string) => `"${esc(v)}"`;
const ref = (r: string | null) => (r ? `<code title=${attr(r)}>${esc(r.slice(0, 12))}…</code>` : '');

/** A section with its id (the nav links to it) and a way back up. */
export function section(id: string, title: string, body: string): string {
  return `<section id=${attr(id)}><h2>${title} <a class="top" href="#top">↑ top</a></h2>\n${body}\n</section>`;
}

const none = (id: string, text: string) => `<p class="muted" id=${attr(id)}>${text}</p>`;

export function erasureSection(o: Overview): string {
  const open = o.work.erasure;
  if (open.length === 0) return none('erasure-none', 'No open erasure request.');
  const overdue = open.filter((r) => r.sla === 'overdue').length;
  const soon = open.filter((r) => r.sla === 'due_soon').length;
  const badge = (sla: string) => (sla === 'overdue' ? '<span class="badge late">OVERDUE</span>' : sla === 'due_soon' ? '<span class="badge soon">due soon</span>' : '');
  const rows = open.map((r) => `<tr data-erasure=${attr(r.id)} data-sla=${attr(r.sla)}><td>${esc(r.ticket)}<br><code>${esc(r.id)}</code></td><td>${esc(r.status)}</td>`
    + `<td>${esc(localDate(r.received_at, o.timeZone))}</td><td>${esc(localTime(r.due_at, o.timeZone))}</td>`
    + `<td class="n">${n(r.working_days_left)}</td><td>${badge(r.sla)}</td></tr>`).join('');
  return `<p>${n(open.length)} open: <span id="erasure-overdue" class="${overdue > 0 ? 'warn' : ''}">${n(overdue)}</span> overdue, `
    + `<span id="erasure-due-soon">${n(soon)}</span> due within 3 working days. Answer with <code>lethe erase show TICKET</code>.</p>`
    + `<table id="erasure"><tr><th>ticket / request</th><th>status</th><th>received</th><th>due</th><th class="n">working days left</th><th></th></tr>${rows}</table>`;
}

export function holdsSection(o: Overview): string {
  const holds = o.work.holds;
  if (holds.length === 0) return none('holds-none', 'No legal hold in force.');
  const rows = holds.map((h) => `<tr data-hold=${attr(h.id)}><td><code>${esc(h.id)}</code></td><td>${ref(h.subject_ref)}</td><td>${h.policy ? `<code>${esc(h.policy)}</code>` : 'all policies'}</td>`
    + `<td>${esc(localTime(h.placed_at, o.timeZone))}</td><td>${esc(h.placed_by)}</td><td>${esc(h.reason)}</td></tr>`).join('');
  return `<p>${n(holds.length)} in force: nothing they name is destroyed until <code>lethe hold release</code>.</p>`
    + `<table id="holds"><tr><th>hold</th><th>subject (pseudonym)</th><th>policy</th><th>placed</th><th>by</th><th>reason</th></tr>${rows}</table>`;
}

export function purgesSection(o: Overview): string {
  const purges = o.work.purges;
  if (purges.length === 0) return none('purges-none', 'No manual purge awaiting approval.');
  const rows = purges.map((p) => `<tr data-purge=${attr(p.id)}><td><code>${esc(p.id)}</code></td><td>${p.policy ? `<code>${esc(p.policy)}</code>` : `subject ${ref(p.subject_ref)}`}</td>`
    + `<td class="n">${n(p.plan.total)}</td><td>${esc(p.requested_by)}</td><td>${esc(p.reason)}</td><td>${esc(localTime(p.expires_at, o.timeZone))}</td>`
    + `<td><code>${esc(p.plan.hash.slice(0, 12))}…</code></td></tr>`).join('');
  return `<p>Four eyes: another operator approves with <code>lethe purge approve ID --plan-hash HASH</code> before it expires.</p>`
    + `<table id="purges"><tr><th>request</th><th>target</th><th class="n">records</th><th>requested by</th><th>reason</th><th>expires</th><th>plan</th></tr>${rows}</table>`;
}

export function tasksSection(o: Overview): string {
  if (o.tasks.length === 0) return none('tasks-none', 'No paper or media destruction task to do.');
  const row = (t: Overview['tasks'][number]) => `<tr data-task=${attr(t.id)}><td><code>${esc(t.id)}</code></td><td><code>${esc(t.policy)}</code></td><td>${esc(t.method)}</td>`
    + `<td>${esc(t.status.replace('_', ' '))}</td><td class="n">${n(t.lines.open)}</td><td>${esc(localTime(t.due_by, o.timeZone))}</td><td class="overdue${t.overdue ? ' warn' : ''}">${t.overdue ? esc(t.overdue_for ?? '') : ''}</td></tr>`;
  return `<table id="tasks"><tr><th>task</th><th>policy</th><th>method</th><th>status</th><th class="n">lines</th><th>due by</th><th>overdue for</th></tr>${o.tasks.map(row).join('')}</table>`;
}

export function partnersSection(o: Overview): string {
  const { partners, overdue } = o.partners;
  if (partners.length === 0) return none('partners-none', 'No partner requests.');
  const counts = partners.map((p) => `<tr data-partner=${attr(p.partner)}><td>${esc(p.partner)}</td><td class="n">${n(p.pending)}</td><td class="n">${n(p.sent)}</td>`
    + `<td class="n">${n(p.confirmed)}</td><td class="n">${n(p.failed)}</td><td class="n overdue${p.overdue > 0 ? ' warn' : ''}">${n(p.overdue)}</td></tr>`).join('');
  const late = overdue.map((r) => `<tr><td>${esc(r.partner)}</td><td><code>${esc(r.request_id)}</code></td><td>${esc(localTime(r.deadline, o.timeZone))}</td><td>${esc(r.overdue_for)}</td><td class="n">${n(r.reminders)}</td></tr>`).join('');
  return `<table id="partners"><tr><th>partner</th><th class="n">pending</th><th class="n">sent</th><th class="n">confirmed</th><th class="n">failed</th><th class="n">overdue</th></tr>${counts}</table>`
    + (overdue.length > 0 ? `<h3>Overdue requests</h3><table id="partners-overdue"><tr><th>partner</th><th>request</th><th>deadline</th><th>overdue for</th><th class="n">reminders</th></tr>${late}</table>` : '');
}

/** Files in object storage left to delete: shown once a store is configured or a deletion was ever queued. */
export function objectsSection(o: Overview): string {
  const byStore = new Map(o.work.objects.map((c) => [c.store, c]));
  const stores = [...new Set([...o.stores, ...byStore.keys()])].sort();
  const rows = stores.map((s) => {
    const c = byStore.get(s) ?? { store: s, pending: 0, deleted: 0, failed: 0, kept: 0, oldest_pending_seconds: 0 };
    return `<tr data-store=${attr(s)}><td><code>${esc(s)}</code></td><td class="n pending">${n(c.pending)}</td><td class="n">${n(c.deleted)}</td>`
      + `<td class="n failed${c.failed > 0 ? ' warn' : ''}">${n(c.failed)}</td><td>${c.pending > 0 ? esc(humanAge(c.oldest_pending_seconds)) : ''}</td></tr>`;
  }).join('');
  return `<p>Files the destroyed records pointed at, deleted by the workers after the destruction committed; <code>lethe objects status</code> lists them.</p>`
    + `<table id="objects"><tr><th>store</th><th class="n">pending</th><th class="n">deleted</th><th class="n">failed</th><th>oldest pending</th></tr>${rows}</table>`;
}

export const hasObjects = (o: Overview): boolean => o.stores.length > 0 || o.work.objects.length > 0;
