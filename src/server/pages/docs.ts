// `GET /docs`: the OpenAPI document as a page a person reads — no Swagger UI, no CDN (the
// servers lethe runs on often have no internet), no script: every route with its roles, query
// and path parameters, request body fields and answers, then each answer's shape. Built from the
// same document `GET /openapi.json` serves, every value escaped.
import { escapeHtml as esc } from '../../policy/doc-html.ts';

type Schema = Record<string, unknown>;
interface Op { summary?: string; parameters?: { name: string; in: string; description?: string }[]; requestBody?: { content: Record<string, { schema: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>; 'x-roles'?: string[] }

const STYLE = `
body { font: 14px/1.5 -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; color: #1a1a1a; max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; } h3 { font-size: 1rem; margin: 0; font-weight: 600; }
a { color: #1f5fa8; } code { font: 12.5px ui-monospace, Menlo, Consolas, monospace; }
.op { border: 1px solid #dde; border-radius: 6px; padding: .6rem .8rem; margin: .6rem 0; }
.m { display: inline-block; min-width: 3.5rem; font: 600 12px ui-monospace, monospace; padding: .1rem .4rem; border-radius: 3px; color: #fff; text-align: center; margin-right: .4rem; }
.GET { background: #2f6f9f; } .POST { background: #2f8f5b; } .PUT, .PATCH { background: #9a6b00; } .DELETE { background: #a33; }
.roles, .muted { color: #666; font-size: .9em; } table { border-collapse: collapse; margin: .3rem 0; } td, th { text-align: left; padding: .15rem .6rem .15rem 0; vertical-align: top; }
nav a { margin-right: .8rem; }
`;

const refName = (s: Schema | undefined): string | undefined => (typeof s?.$ref === 'string' ? s.$ref.split('/').pop() : undefined);

/** A schema in a few words: `ErasureRequest`, `array of Hold`, `string (date-time)`. */
function typeOf(s: Schema | undefined): string {
  if (!s) return '';
  const name = refName(s);
  if (name) return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  if (s.allOf) return (s.allOf as Schema[]).map(typeOf).join(' + ');
  if (s.type === 'object' && s.properties) {
    return `{ ${Object.entries(s.properties as Record<string, Schema>).map(([k, v]) => `<code>${esc(k)}</code>: ${typeOf(v)}`).join(', ')} }`;
  }
  const t = Array.isArray(s.type) ? (s.type as string[]).join(' | ') : String(s.type ?? 'object');
  if (s.type === 'array') return `array of ${typeOf(s.items as Schema)}`;
  const extra = [s.format, s.enum ? (s.enum as string[]).join(' | ') : undefined, s.const !== undefined ? `always ${String(s.const)}` : undefined].filter(Boolean);
  return `${esc(t)}${extra.length ? ` <span class="muted">(${esc(extra.join('; '))})</span>` : ''}`;
}

function fields(s: Schema | undefined): string {
  const props = (s?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s?.required ?? []) as string[]);
  if (Object.keys(props).length === 0) return s ? `<p>${typeOf(s)}</p>` : '';
  return `<table>${Object.entries(props).map(([k, v]) => `<tr><td><code>${esc(k)}</code>${required.has(k) ? '' : ' <span class="muted">optional</span>'}</td>`
    + `<td>${typeOf(v)}</td><td>${esc(String(v.description ?? ''))}${v.type === 'object' && v.properties ? fields(v) : ''}</td></tr>`).join('')}</table>`;
}

function operation(method: string, path: string, op: Op): string {
  const params = (op.parameters ?? []).map((p) => `<tr><td><code>${esc(p.name)}</code></td><td class="muted">${esc(p.in)}</td><td>${esc(p.description ?? '')}</td></tr>`).join('');
  const body = op.requestBody ? Object.values(op.requestBody.content)[0]?.schema : undefined;
  const answers = Object.entries(op.responses ?? {}).filter(([status]) => !/^4/.test(status)).map(([status, r]) => {
    const content = r.content ?? {};
    const schema = content['application/json']?.schema;
    const types = Object.keys(content).filter((t) => t !== 'application/json');
    return `<tr><td><code>${esc(status)}</code></td><td>${esc(r.description ?? '')}${schema ? ` → ${typeOf(schema)}` : ''}${types.length ? ` <span class="muted">(${esc(types.join(', '))})</span>` : ''}</td></tr>`;
  }).join('');
  const roles = op['x-roles'] ? `roles: ${esc(op['x-roles'].join(', '))}` : 'public: no token';
  return `<div class="op" id=${JSON.stringify(`${method}-${path}`.replace(/[^\w-]/g, '_'))}><h3><span class="m ${esc(method)}">${esc(method)}</span><code>${esc(path)}</code></h3>`
    + `<div>${esc(op.summary ?? '')} <span class="roles">· ${roles}</span></div>`
    + (params ? `<table>${params}</table>` : '')
    + (body ? `<div class="muted">body (JSON):</div>${fields(body)}` : '')
    + `<table>${answers}</table><div class="muted">errors: <code>{"error": {"code", "message"}}</code> with ${esc(Object.keys(op.responses ?? {}).filter((k) => /^4/.test(k)).join(', '))}</div></div>`;
}

export function renderDocsHtml(doc: Schema): string {
  const paths = doc.paths as Record<string, Record<string, Op>>;
  const schemas = ((doc.components as Schema).schemas ?? {}) as Record<string, Schema>;
  const info = doc.info as { title: string; version: string };
  // lethe's own routes first; bull-board's (dozens, documented by bull-board) last.
  const entries = Object.entries(paths).sort(([a], [b]) => Number(a.startsWith('/queues')) - Number(b.startsWith('/queues')) || a.localeCompare(b));
  const ops = entries.flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => operation(m.toUpperCase(), path, op)));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>${esc(info.title)} · API</title><style>${STYLE}</style></head><body id="top">
<h1>${esc(info.title)} API <span class="muted">${esc(info.version)}</span></h1>
<p>Every route of <code>lethe serve</code>. Send an API token (<code>lethe tokens create</code>) as <code>Authorization: Bearer …</code>;
bodies are JSON (at most 64 KiB, unknown fields refused); times are UTC ISO 8601. The same document as JSON: <a href="/openapi.json">/openapi.json</a>.</p>
<nav><a href="/">Overview</a><a href="/queues/">Queue dashboard</a><a href="#routes">Routes</a><a href="#schemas">Answers' shapes</a></nav>
<h2 id="routes">Routes</h2>
${ops.join('\n')}
<h2 id="schemas">Answers' shapes</h2>
${Object.entries(schemas).map(([name, s]) => `<div class="op" id=${JSON.stringify(`schema-${name}`)}><h3>${esc(name)}</h3>${s.allOf ? `<p>${typeOf(s)}</p>${(s.allOf as Schema[]).filter((x) => !x.$ref).map(fields).join('')}` : fields(s)}</div>`).join('\n')}
</body></html>
`;
}
