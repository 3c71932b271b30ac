// The login form of the overview page and the queue dashboard: one field for an API token,
// posted in the body (never the URL). No script; the page's CSP allows none.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface LoginPageOptions {
  title: string;
  message?: string | undefined;
  /** This server's page to return to (checked by the login route before it is used). */
  next?: string | undefined;
}

export function renderLoginPage(action: string, opts: LoginPageOptions): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(opts.title)}: log in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1f2933;display:flex;justify-content:center;padding-top:12vh}
form{background:#fff;padding:2rem;border-radius:6px;box-shadow:0 1px 4px #0002;width:26rem}
h1{font-size:1.2rem;margin:0 0 1rem}label{display:block;margin-bottom:.4rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-family:monospace}button{margin-top:1rem;padding:.5rem 1.2rem}
p.error{color:#b42318}p.note{font-size:.85rem;color:#52606d}
</style></head><body>
<form method="post" action="${escape(action)}">
<h1>${escape(opts.title)}</h1>
${opts.message ? `<p class="error" role="alert">${escape(opts.message)}</p>` : ''}
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
${opts.next ? `<input type="hidden" name="next" value="${escape(opts.next)}">` : ''}
<button type="submit">Log in</button>
<p class="note">One session for the retention overview and the queue dashboard. Any role may look;
only an operator token may retry, clean or pause jobs. The session lasts 30 minutes.
Create a token with <code>lethe tokens create --name NAME --role viewer</code>.</p>
</form></body></html>
`;
}
