export const PG_HOST = process.env.PGHOST_TEST ?? '127.0.0.1:5432';
export const ADMIN_URL = `postgres://postgres@${PG_HOST}/postgres`;
// One template per test run (set by global-setup, inherited by the test processes), so runs
// started side by side never drop each other's template.
export const TEMPLATE_DB = process.env.LETHE_TEST_TEMPLATE ?? `lethe_test_template_${process.pid}`;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const dbUrl = (name: string) => `postgres://postgres@${PG_HOST}/${name}`;
