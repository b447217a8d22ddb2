import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../api/status.js';
import { connectionError, isAlreadyExists, isConflict, isExpired, isNotFound, statusFromResponse } from './errors.js';

describe('statusFromResponse', () => {
  const cases: {
    story: string;
    code: number;
    body: string;
    method?: string;
    path?: string;
    retryAfter?: string;
    reason: string | undefined;
    message: string;
    retryAfterSeconds?: number;
  }[] = [
    {
      story: 'a Status body is used as the server sent it',
      code: 404,
      body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', message: 'pods "x" not found', code: 404, details: { name: 'x', kind: 'pods' } }),
      reason: 'NotFound',
      message: 'pods "x" not found',
    },
    {
      story: '404 without a body, like client-go',
      code: 404,
      body: '',
      path: '/apis/example.com/v1/widgets',
      reason: 'NotFound',
      message: 'the server could not find the requested resource (get widgets.example.com)',
    },
    {
      story: '404 from a proxy with an HTML page names the object',
      code: 404,
      body: '<html>404 page not found</html>',
      path: '/api/v1/namespaces/default/pods/web-0',
      reason: 'NotFound',
      message: 'the server could not find the requested resource (get pods web-0)',
    },
    {
      story: '409 on POST is AlreadyExists',
      code: 409,
      body: '',
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      reason: 'AlreadyExists',
      message: 'the server reported a conflict (post configmaps)',
    },
    { story: '409 on PUT is Conflict', code: 409, body: '', method: 'PUT', reason: 'Conflict', message: 'the server reported a conflict' },
    { story: '401', code: 401, body: 'Unauthorized', reason: 'Unauthorized', message: 'the server has asked for the client to provide credentials' },
    { story: '403 keeps the server text', code: 403, body: 'forbidden: user "bob" cannot list nodes', reason: 'Forbidden', message: 'forbidden: user "bob" cannot list nodes' },
    {
      story: '502 from a load balancer quotes its text',
      code: 502,
      body: 'Bad Gateway',
      reason: 'InternalError',
      message: 'an error on the server ("Bad Gateway") has prevented the request from succeeding',
    },
    {
      story: '429 with Retry-After carries retryAfterSeconds',
      code: 429,
      body: '',
      retryAfter: '2',
      reason: 'TooManyRequests',
      message: 'the server has received too many requests and has asked us to try again later',
      retryAfterSeconds: 2,
    },
    {
      story: 'a Status body gains retryAfterSeconds from the header',
      code: 429,
      body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', message: 'too many requests, please try again later', code: 429 }),
      retryAfter: '1',
      reason: 'TooManyRequests',
      message: 'too many requests, please try again later',
      retryAfterSeconds: 1,
    },
    { story: 'an unusual code', code: 418, body: '', reason: undefined, message: 'the server responded with the status code 418 but did not return more information' },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const status = statusFromResponse(c.code, c.body, { method: c.method ?? 'GET', path: c.path ?? '/version', retryAfter: c.retryAfter });
      assert.equal(status.kind, 'Status');
      assert.equal(status.status, 'Failure');
      assert.equal(status.code, c.code);
      assert.equal(status.reason, c.reason);
      assert.equal(status.message, c.message);
      assert.equal(status.details?.retryAfterSeconds, c.retryAfterSeconds);
    });
  }

  it('keeps an unexpected body as an UnexpectedServerResponse cause', () => {
    const status = statusFromResponse(400, 'something odd', { method: 'GET', path: '/api/v1/nodes' });
    assert.deepEqual(status.details?.causes, [{ reason: 'UnexpectedServerResponse', message: 'something odd' }]);
  });
});

describe('connectionError', () => {
  const server = 'https://127.0.0.1:6443';
  const cases: { story: string; code: string; message: string; failure: string; expected: RegExp }[] = [
    {
      story: 'nothing listening',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:6443',
      failure: 'refused',
      expected: /^unable to connect to the server https:\/\/127\.0\.0\.1:6443: connect ECONNREFUSED 127\.0\.0\.1:6443 - is the API server running/,
    },
    { story: 'unknown host', code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND kube.example', failure: 'dns', expected: /does not resolve; check the server address in the kubeconfig/ },
    { story: 'self-signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate', failure: 'tls', expected: /TLS verification failed .*certificate-authority data may be wrong/ },
    { story: 'untrusted issuer', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate', failure: 'tls', expected: /TLS verification failed/ },
    { story: 'wrong host name', code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames", failure: 'tls', expected: /tls-server-name/ },
    { story: 'expired certificate', code: 'CERT_HAS_EXPIRED', message: 'certificate has expired', failure: 'tls', expected: /clock/ },
    { story: 'reset', code: 'ECONNRESET', message: 'socket hang up', failure: 'reset', expected: /socket hang up - the connection was closed/ },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const err = connectionError(Object.assign(new Error(c.message), { code: c.code }), server);
      assert.equal(err.failure, c.failure);
      assert.equal(err.code, c.code);
      assert.equal(err.server, server);
      assert.match(err.message, c.expected);
      assert.ok(!err.message.includes('\n'), 'one line');
    });
  }
});

describe('predicates', () => {
  const status = (code: number, reason: string): StatusError =>
    new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason });
  it('tell NotFound, AlreadyExists, Conflict and Expired apart', () => {
    assert.equal(isNotFound(status(404, 'NotFound')), true);
    assert.equal(isAlreadyExists(status(409, 'AlreadyExists')), true);
    assert.equal(isConflict(status(409, 'AlreadyExists')), false);
    assert.equal(isConflict(status(409, 'Conflict')), true);
    assert.equal(isExpired(status(410, 'Expired')), true);
    assert.equal(isExpired(status(410, 'Gone')), true);
    assert.equal(isNotFound(new Error('x')), false);
  });
});
