/** A URL as it may be printed or logged: its password masked (DATABASE_URL, REDIS_URL carry one). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
