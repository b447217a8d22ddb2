import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cPortable } from './crc32c.js';

describe('etcd encodings: CRC-32C', () => {
  it('CRC-32C matches the standard check value, natively and portably', () => {
    assert.equal(crc32c(Buffer.from('123456789')).toString(16), 'e3069283');
    assert.equal(crc32cPortable(Buffer.from('123456789')).toString(16), 'e3069283');
    const data = Buffer.from(Array.from({ length: 100_003 }, (_, i) => (i * 31) & 0xff));
    assert.equal(crc32cPortable(data.subarray(777), crc32cPortable(data.subarray(0, 777))), crc32c(data));
    const whole = crc32c(Buffer.from('hello, etcd snapshot of some length'));
    assert.equal(crc32c(Buffer.from(' of some length'), crc32c(Buffer.from('hello, etcd snapshot'))), whole, 'incremental');
  });
});
