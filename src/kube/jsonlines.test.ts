import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLineSplitter } from './jsonlines.js';

describe('JsonLineSplitter', () => {
  const cases: { story: string; chunks: (string | Buffer)[]; lines: string[] }[] = [
    { story: 'one event per chunk', chunks: ['{"a":1}\n', '{"b":2}\n'], lines: ['{"a":1}', '{"b":2}'] },
    { story: 'two events in one chunk', chunks: ['{"a":1}\n{"b":2}\n'], lines: ['{"a":1}', '{"b":2}'] },
    { story: 'an event split across three chunks', chunks: ['{"ty', 'pe":"ADD', 'ED"}\n'], lines: ['{"type":"ADDED"}'] },
    { story: 'the newline arrives alone', chunks: ['{"a":1}', '\n'], lines: ['{"a":1}'] },
    { story: 'blank lines and CRLF are ignored', chunks: ['\n{"a":1}\r\n\r\n{"b":2}\n'], lines: ['{"a":1}', '{"b":2}'] },
    { story: 'an unterminated last line is kept at the end', chunks: ['{"a":1}\n{"b":2}'], lines: ['{"a":1}', '{"b":2}'] },
    {
      story: 'a multi-byte character split between chunks',
      chunks: (() => {
        const bytes = Buffer.from('{"name":"größe-ü"}\n');
        const cut = bytes.indexOf(0xc3) + 1; // inside the two-byte "ö"
        return [bytes.subarray(0, cut), bytes.subarray(cut)];
      })(),
      lines: ['{"name":"größe-ü"}'],
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const splitter = new JsonLineSplitter();
      const lines = c.chunks.flatMap((chunk) => splitter.push(chunk));
      lines.push(...splitter.end());
      assert.deepEqual(lines, c.lines);
    });
  }

  it('yields nothing for a line until its newline arrives', () => {
    const splitter = new JsonLineSplitter();
    assert.deepEqual(splitter.push('{"type":"MODIFIED","obj'), []);
    assert.deepEqual(splitter.push('ect":{}}\n{"x"'), ['{"type":"MODIFIED","object":{}}']);
  });
});
