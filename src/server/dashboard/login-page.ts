// The dashboard's login form: one field for an API token, posted in the body (never the URL).
// No script; the page's CSP allows none.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderLoginPage(action: string, message?: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>lethe queues: log in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1f2933;display:flex;justify-content:center;padding-top:12vh}
form{background:#fff;padding:2rem;border-radius:6px;box-shadow:0 1px 4px #0002;width:26rem}
h1{font-size:1.2rem;margin:0 0 1rem}label{display:block;margin-bottom:.4rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-family:monospace}button{margin-top:1rem;padding:.5rem 1.2rem}
p.error{color:#b42318}p.note{font-size:.85rem;color:#52606d}
</style></head><body>
<form method="post" action="${escape(action)}">
<h1>lethe queues</h1>
${message ? `<p class="error" role="alert">${escape(message)}</p>` : ''}
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
<button type="submit">Log in</button>
<p class="note">An operator token may retry, clean or pause jobs; any other role sees the queues read-only.
The session lasts 30 minutes. Create a token with <code>lethe tokens create</code>.</p>
</form></body></html>
`;
}
