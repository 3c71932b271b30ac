// The one map from errors to HTTP responses: `{ "error": { "code", "message" } }`. lethe's own
// errors carry messages written for operators and are returned; anything else is a bug or an
// outage whose text may quote internals, so the client gets a generic 500 and the log the rest.
import { ConflictError, FourEyesError, LetheError, NotFoundError, QueueUnavailableError, SchemaVersionError, UsageError } from '../errors.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  /** Expected (4xx, or an outage the message explains): logged without a stack. */
  expected: boolean;
}

/** An error raised by the HTTP layer itself: auth, validation, unknown route. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export const INTERNAL_MESSAGE = 'internal error; see the server log';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
}

export function toHttpFailure(e: unknown): HttpFailure {
  if (e instanceof HttpError) return { status: e.status, code: e.code, message: e.message, expected: true };
  if (e instanceof LetheError) return letheFailure(e);
  const f = fastifyFailure(e);
  if (f) return f;
  return { status: 500, code: 'internal', message: INTERNAL_MESSAGE, expected: false };
}

function letheFailure(e: LetheError): HttpFailure {
  const expected = (status: number, code: string): HttpFailure => ({ status, code, message: e.message, expected: true });
  if (e instanceof NotFoundError) return expected(404, 'not_found');
  if (e instanceof ConflictError) return expected(409, 'conflict');
  if (e instanceof FourEyesError) return expected(403, 'forbidden');
  if (e instanceof UsageError) return expected(400, 'bad_request');
  if (e instanceof QueueUnavailableError || e instanceof SchemaVersionError) return expected(503, 'unavailable');
  // PolicyError, ConfigError…: a misconfigured server, not the caller's doing.
  return { status: 500, code: 'internal', message: INTERNAL_MESSAGE, expected: false };
}

/** Errors fastify raises while reading a request, before any handler runs. */
function fastifyFailure(e: unknown): HttpFailure | undefined {
  const err = e as FastifyLikeError;
  const f = (status: number, code: string, message: string): HttpFailure => ({ status, code, message, expected: true });
  switch (err?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return f(413, 'payload_too_large', `request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return f(415, 'unsupported_media_type', 'request body must be sent as Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return f(400, 'invalid_json', 'request body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return f(400, 'invalid_json', 'request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return f(400, 'bad_request', 'Content-Length does not match the request body');
    case 'FST_ERR_BAD_URL': return f(400, 'bad_request', 'the URL is not valid: a %-escape in the path does not decode');
    case 'FST_ERR_MAX_PARAM_LENGTH': return f(414, 'uri_too_long', 'a path parameter is longer than 100 characters');
  }
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return f(err.statusCode, 'bad_request', 'the request could not be read');
  }
  return undefined;
}

export const BODY_LIMIT_BYTES = 64 * 1024;

export function errorBody(f: Pick<HttpFailure, 'code' | 'message'>): ErrorBody {
  return { error: { code: f.code, message: f.message } };
}
