import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadArchiveError } from './errors.js';
import { checkVeleroVersion, parseManifest } from './manifest.js';

const good = { apiVersion: 'upkeep.dev/v1alpha1', kind: 'BackupManifest', format: 1, checksums: { entry: 'upkeep/checksums.sha256', algorithm: 'sha256', sha256: 'ab' } };

describe('parseManifest', () => {
  it('reads a manifest of this format', () => assert.equal(parseManifest(Buffer.from(JSON.stringify(good))).format, 1));
  const bad: Array<{ name: string; body: string; message: RegExp }> = [
    { name: 'not JSON', body: '{"kind":', message: /upkeep\/manifest.json is not valid JSON: the archive is damaged/ },
    { name: 'another kind', body: JSON.stringify({ ...good, kind: 'Backup' }), message: /not an upkeep backup manifest \(kind Backup/ },
    { name: 'a newer format', body: JSON.stringify({ ...good, format: 7 }), message: /has format 7, newer than this upkeep reads \(1\): use a newer upkeep/ },
    { name: 'no format', body: JSON.stringify({ ...good, format: 'x' }), message: /no valid format number/ },
    { name: 'no checksums', body: JSON.stringify({ ...good, checksums: undefined }), message: /does not name the checksums entry/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} (exit 2)`, () => {
      assert.throws(() => parseManifest(Buffer.from(c.body)), (e: unknown) => e instanceof BadArchiveError && e.exitCode === 2 && c.message.test(e.message));
    });
  }
});

describe('checkVeleroVersion', () => {
  for (const [text, ok] of [
    ['1.1.0\n', true],
    ['1.0.0', true],
    ['2.0.0\n', false],
    ['hello', false],
  ] as const) {
    it(`${JSON.stringify(text)}: ${ok ? 'accepted' : 'refused'}`, () => {
      if (ok) assert.equal(checkVeleroVersion(Buffer.from(text)), text.trim());
      else assert.throws(() => checkVeleroVersion(Buffer.from(text)), BadArchiveError);
    });
  }
});
