export const PG_HOST = process.env.PGHOST_TEST ?? '127.0.0.1:5432';
export const ADMIN_URL = `postgres://postgres@${PG_HOST}/postgres`;
export const TEMPLATE_DB = 'lethe_test_template';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const dbUrl = (name: string) => `postgres://postgres@${PG_HOST}/${name}`;
