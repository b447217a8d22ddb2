import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_AUDIENCE, TokenSigner } from './tokens.js';
import { parseUsers } from './users.js';

describe('ServiceAccount tokens', () => {
  const signer = new TokenSigner();
  const now = 1_800_000_000;
  const { token, claims } = signer.issue({ namespace: 'shop', serviceAccount: { name: 'robot', uid: 'u-1' }, audiences: [API_AUDIENCE], expirationSeconds: 600, now });
  const at = (t: number) => () => t;
  const cases = [
    { story: 'valid within its lifetime', token, audiences: [API_AUDIENCE], now: now + 599, want: 'claims' },
    { story: 'expired at exp', token, audiences: [API_AUDIENCE], now: now + 600, want: 'expired' },
    { story: 'another audience', token, audiences: ['vault'], now, want: 'audience' },
    { story: 'a tampered payload', token: token.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.`), audiences: [API_AUDIENCE], now, want: 'signature' },
    { story: 'another signer\'s token', token: new TokenSigner().issue({ namespace: 'shop', serviceAccount: { name: 'robot', uid: 'u-1' }, audiences: [API_AUDIENCE], expirationSeconds: 600, now }).token, audiences: [API_AUDIENCE], now, want: 'signature' },
    { story: 'not a JWT', token: 'alice-token-123', audiences: [API_AUDIENCE], now, want: undefined },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const r = signer.check(c.token, c.audiences, at(c.now));
      if (c.want === 'claims') {
        assert.ok(typeof r === 'object');
        assert.equal(r.sub, 'system:serviceaccount:shop:robot');
        assert.deepEqual(r['kubernetes.io'], { namespace: 'shop', serviceaccount: { name: 'robot', uid: 'u-1' } });
        assert.equal(r.exp, now + 600);
      } else assert.equal(r, c.want);
    });
  }
});

describe('scenario users', () => {
  it('reads name, groups and token', () => {
    assert.deepEqual(parseUsers([{ name: 'alice', groups: ['ops'], token: 'alice-token-1' }, { name: 'bob' }], 's'), [
      { name: 'alice', groups: ['ops'], token: 'alice-token-1' },
      { name: 'bob', groups: [] },
    ]);
  });
  const bad = [
    { raw: { name: 'x' }, message: 's: spec.users must be a list of {name, groups, token}' },
    { raw: [{ groups: ['a'] }], message: 's: spec.users[0].name must be a non-empty string' },
    { raw: [{ name: 'a' }, { name: 'a' }], message: 's: spec.users[1].name "a" is declared twice' },
    { raw: [{ name: 'a', groups: 'ops' }], message: 's: spec.users[0].groups must be a list of group names' },
    { raw: [{ name: 'a', token: 'short' }], message: 's: spec.users[0].token must be at least 8 printable characters without spaces' },
  ];
  for (const b of bad) {
    it(`refuses: ${b.message}`, () => assert.throws(() => parseUsers(b.raw, 's'), { message: b.message }));
  }
});
