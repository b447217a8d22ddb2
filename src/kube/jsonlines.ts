// A watch response is one JSON object per line, sent in chunks that split lines (and even
// multi-byte UTF-8 characters) anywhere. This turns chunks back into whole lines.
import { StringDecoder } from 'node:string_decoder';

export class JsonLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Feed one chunk; returns the complete, non-blank lines it finished. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines: string[] = [];
    let start = 0;
    for (let nl = this.pending.indexOf('\n', start); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      const line = this.pending.slice(start, nl).trim();
      if (line) lines.push(line);
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    return lines;
  }

  /** The stream ended: whatever is left, if it is not blank, is the last line. */
  end(): string[] {
    const rest = (this.pending + this.decoder.end()).trim();
    this.pending = '';
    return rest ? [rest] : [];
  }
}
