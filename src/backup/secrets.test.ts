import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { BadArchiveError } from './errors.js';
import { SecretOpener, SecretSealer, isAgeFile } from './secrets.js';

const plaintext = Buffer.from('{"kind":"Secret","data":{"password":"cGxhaW50ZXh0LWNhbmFyeQ=="}}');

describe('Secret encryption', () => {
  it('seals to a recipient; the identity opens it; nothing of the plaintext shows', async () => {
    const identity = await generateX25519Identity();
    const sealer = await SecretSealer.create({ recipients: [await identityToRecipient(identity)] });
    const sealed = await sealer.seal(plaintext);
    assert.ok(isAgeFile(sealed));
    assert.ok(!sealed.includes(Buffer.from('cGxhaW50ZXh0LWNhbmFyeQ')));
    assert.ok(!sealer.keyEntry.includes(Buffer.from('AGE-SECRET-KEY')));
    const opener = await SecretOpener.open(sealer.keyEntry, { identities: [identity] });
    assert.deepEqual(await opener.open(sealed, 'e'), plaintext);
  });

  it('another identity is "the wrong key" (exit 2), naming no secret', async () => {
    const sealer = await SecretSealer.create({ recipients: [await identityToRecipient(await generateX25519Identity())] });
    await assert.rejects(SecretOpener.open(sealer.keyEntry, { identities: [await generateX25519Identity()] }), (e: unknown) => e instanceof BadArchiveError && e.exitCode === 2 && /does not open this archive's Secrets \(no identity in the key file matches/.test(e.message));
  });

  it('no key at all asks for one', async () => {
    const sealer = await SecretSealer.create({ recipients: [await identityToRecipient(await generateX25519Identity())] });
    await assert.rejects(SecretOpener.open(sealer.keyEntry, {}), /give the key with --key-file/);
  });

  it('an altered entry names the entry', async () => {
    const identity = await generateX25519Identity();
    const sealer = await SecretSealer.create({ identities: [identity] });
    const sealed = await sealer.seal(plaintext);
    sealed[sealed.length - 5] ^= 1;
    const opener = await SecretOpener.open(sealer.keyEntry, { identities: [identity] });
    await assert.rejects(opener.open(sealed, 'resources/secrets/namespaces/a/b.json'), /entry resources\/secrets\/namespaces\/a\/b.json cannot be decrypted/);
  });

  it('refuses bad recipients and mixing passphrase with recipients', async () => {
    await assert.rejects(SecretSealer.create({ recipients: ['ssh-rsa AAAA'] }), /is not an age recipient/);
    await assert.rejects(SecretSealer.create({ recipients: [await identityToRecipient(await generateX25519Identity())], passphrase: 'x' }), /not both/);
    await assert.rejects(SecretSealer.create({}), /needs --recipient/);
  });
});

describe('Secret encryption with a passphrase typed on a terminal', () => {
  it('asks once to seal and once to open; an archive sealed to recipients is not asked about', async () => {
    const asked: string[] = [];
    const ask = (answer: string) => async () => {
      asked.push(answer);
      return answer;
    };
    const sealer = await SecretSealer.create({ askPassphrase: ask('typed passphrase') });
    assert.equal(sealer.passphrase, true);
    const sealed = await sealer.seal(plaintext);
    const opener = await SecretOpener.open(sealer.keyEntry, { askPassphrase: ask('typed passphrase') });
    assert.deepEqual(await opener.open(sealed, 'e'), plaintext);
    const toRecipient = await SecretSealer.create({ recipients: [await identityToRecipient(await generateX25519Identity())] });
    await assert.rejects(SecretOpener.open(toRecipient.keyEntry, { askPassphrase: ask('never') }), /give the key with --key-file/);
    assert.deepEqual(asked, ['typed passphrase', 'typed passphrase']);
  });
});
