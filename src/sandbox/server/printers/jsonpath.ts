// A small evaluator for the JSONPath subset CRD additionalPrinterColumns use, with the semantics
// of client-go's jsonpath in AllowMissingKeys mode: a missing key yields no result rather than an
// error; indexing or filtering something that is not a list is an error.
//
// Supported: .field, .field\.with\.dots, ['field'], ..field, .*, [*], [n], [-n], [a:b], [a,b],
// [?(@.path)], [?(@.path == 'x')] with ==, !=, <, <=, >, >= against strings, numbers, booleans or
// another @-path.

type Literal = { kind: 'literal'; value: string | number | boolean };

type Step =
  | { kind: 'field'; names: string[] }
  | { kind: 'recursive'; name: string | undefined /* undefined: all descendants (..*) */ }
  | { kind: 'wildcard' }
  | { kind: 'index'; indices: number[] }
  | { kind: 'slice'; start: number | undefined; end: number | undefined }
  | { kind: 'filter'; left: Step[]; op: string; right: Literal | { kind: 'path'; steps: Step[] } | undefined };

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  fail(why: string): never {
    throw new JsonPathError(`invalid JSONPath ${JSON.stringify(this.src)} at ${this.pos}: ${why}`);
  }

  /** Steps until the end of input, or until a character in `stop` (outside brackets). */
  steps(stop = ''): Step[] {
    const out: Step[] = [];
    const s = this.src;
    while (this.pos < s.length && !stop.includes(s[this.pos])) {
      const c = s[this.pos];
      if (c === '.') {
        this.pos++;
        if (s[this.pos] === '.') {
          this.pos++;
          if (s[this.pos] === '*') {
            this.pos++;
            out.push({ kind: 'recursive', name: undefined });
          } else {
            out.push({ kind: 'recursive', name: this.identifier(stop) });
          }
        } else if (s[this.pos] === '*') {
          this.pos++;
          out.push({ kind: 'wildcard' });
        } else {
          const name = this.identifier(stop);
          // A lone "." is the current object.
          if (name !== '') out.push({ kind: 'field', names: [name] });
        }
      } else if (c === '[') {
        out.push(this.bracket());
      } else if (out.length === 0 && c !== ' ') {
        // Tolerate a path without its leading dot ("spec.replicas").
        out.push({ kind: 'field', names: [this.identifier(stop)] });
      } else if (c === ' ') {
        this.pos++;
      } else {
        this.fail(`unexpected ${JSON.stringify(c)}`);
      }
    }
    return out;
  }

  /** A field name, up to an unescaped '.', '[' or a stop character; "\." escapes a dot. */
  identifier(stop: string): string {
    const s = this.src;
    let name = '';
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '\\' && this.pos + 1 < s.length) {
        name += s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === '.' || c === '[' || stop.includes(c) || c === ' ') break;
      name += c;
      this.pos++;
    }
    return name;
  }

  bracket(): Step {
    const s = this.src;
    this.pos++; // [
    this.skipSpaces();
    let step: Step;
    if (s.startsWith('?(', this.pos)) {
      this.pos += 2;
      step = this.filter();
      this.skipSpaces();
      if (s[this.pos] !== ')') this.fail('expected ")" closing the filter');
      this.pos++;
    } else if (s[this.pos] === "'" || s[this.pos] === '"') {
      const names: string[] = [];
      for (;;) {
        names.push(this.quoted());
        this.skipSpaces();
        if (s[this.pos] !== ',') break;
        this.pos++;
        this.skipSpaces();
      }
      step = { kind: 'field', names };
    } else if (s[this.pos] === '*') {
      this.pos++;
      step = { kind: 'wildcard' };
    } else {
      const close = s.indexOf(']', this.pos);
      if (close < 0) this.fail('unterminated "["');
      const inner = s.slice(this.pos, close).trim();
      this.pos = close;
      step = this.arrayStep(inner);
    }
    this.skipSpaces();
    if (s[this.pos] !== ']') this.fail('expected "]"');
    this.pos++;
    return step;
  }

  arrayStep(inner: string): Step {
    const parseInt10 = (t: string): number | undefined => {
      const v = t.trim();
      if (v === '') return undefined;
      if (!/^-?\d+$/.test(v)) this.fail(`bad array index ${JSON.stringify(v)}`);
      return Number(v);
    };
    if (inner.includes(':')) {
      const [a, b] = inner.split(':');
      return { kind: 'slice', start: parseInt10(a), end: parseInt10(b ?? '') };
    }
    const indices = inner.split(',').map((t) => {
      const n = parseInt10(t);
      if (n === undefined) this.fail('empty array index');
      return n;
    });
    return { kind: 'index', indices };
  }

  quoted(): string {
    const s = this.src;
    const q = s[this.pos];
    this.pos++;
    let out = '';
    while (this.pos < s.length && s[this.pos] !== q) {
      if (s[this.pos] === '\\' && this.pos + 1 < s.length) this.pos++;
      out += s[this.pos];
      this.pos++;
    }
    if (s[this.pos] !== q) this.fail('unterminated string');
    this.pos++;
    return out;
  }

  skipSpaces(): void {
    while (this.src[this.pos] === ' ') this.pos++;
  }

  filter(): Step {
    this.skipSpaces();
    const left = this.operandPath();
    this.skipSpaces();
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.src.slice(this.pos));
    if (!m) return { kind: 'filter', left, op: 'exists', right: undefined };
    this.pos += m[1].length;
    this.skipSpaces();
    const s = this.src;
    let right: Literal | { kind: 'path'; steps: Step[] };
    if (s[this.pos] === '@') {
      right = { kind: 'path', steps: this.operandPath() };
    } else if (s[this.pos] === "'" || s[this.pos] === '"') {
      right = { kind: 'literal', value: this.quoted() };
    } else {
      const lit = /^[^)\s]+/.exec(s.slice(this.pos));
      if (!lit) this.fail('expected a value to compare with');
      this.pos += lit[0].length;
      const t = lit[0];
      if (t === 'true' || t === 'false') right = { kind: 'literal', value: t === 'true' };
      else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) right = { kind: 'literal', value: Number(t) };
      else this.fail(`unrecognized value ${JSON.stringify(t)}`);
    }
    return { kind: 'filter', left, op: m[1], right };
  }

  /** "@" followed by steps, up to a comparison operator or the closing parenthesis. */
  operandPath(): Step[] {
    if (this.src[this.pos] !== '@') this.fail('filter operands start with "@"');
    this.pos++;
    return this.steps(')=!<> ');
  }
}

export type JsonPath = (data: unknown) => unknown[];

/** Compile a JSONPath (with or without the surrounding braces); throws JsonPathError. */
export function compileJsonPath(path: string): JsonPath {
  let src = path.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1).trim();
  if (src.startsWith('$')) src = src.slice(1);
  const parser = new Parser(src);
  const steps = parser.steps();
  return (data) => evaluate(steps, [data]);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descendants(x, out);
  else if (isMap(v)) for (const k of Object.keys(v)) descendants(v[k], out);
}

function evaluate(steps: Step[], input: unknown[]): unknown[] {
  let values = input;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      switch (step.kind) {
        case 'field':
          if (isMap(v)) for (const name of step.names) if (Object.prototype.hasOwnProperty.call(v, name)) next.push(v[name]);
          break;
        case 'recursive': {
          const all: unknown[] = [];
          descendants(v, all);
          if (step.name === undefined) {
            next.push(...all.slice(1));
          } else {
            for (const d of all) if (isMap(d) && Object.prototype.hasOwnProperty.call(d, step.name)) next.push(d[step.name]);
          }
          break;
        }
        case 'wildcard':
          if (Array.isArray(v)) next.push(...v);
          else if (isMap(v)) for (const k of Object.keys(v)) next.push(v[k]);
          break;
        case 'index': {
          if (!Array.isArray(v)) throw new JsonPathError('not an array or slice');
          for (const i of step.indices) {
            const at = i < 0 ? v.length + i : i;
            if (at >= 0 && at < v.length) next.push(v[at]);
          }
          break;
        }
        case 'slice': {
          if (!Array.isArray(v)) throw new JsonPathError('not an array or slice');
          next.push(...v.slice(step.start ?? 0, step.end ?? v.length));
          break;
        }
        case 'filter': {
          if (!Array.isArray(v)) throw new JsonPathError('not an array or slice and cannot be filtered');
          for (const el of v) if (filterPasses(step, el)) next.push(el);
          break;
        }
      }
    }
    values = next;
  }
  return values;
}

function filterPasses(step: Extract<Step, { kind: 'filter' }>, el: unknown): boolean {
  const lefts = evaluate(step.left, [el]);
  if (step.op === 'exists') return lefts.length > 0;
  if (lefts.length === 0) return false;
  if (lefts.length > 1) throw new JsonPathError('can only compare one element at a time');
  let right: unknown;
  if (step.right?.kind === 'path') {
    const rights = evaluate(step.right.steps, [el]);
    if (rights.length === 0) return false;
    right = rights[0];
  } else {
    right = step.right?.value;
  }
  const l = lefts[0];
  const r = right;
  if (!isScalar(l) || !isScalar(r) || typeof l !== typeof r) {
    // Go's template comparison refuses values of different kinds.
    throw new JsonPathError('incompatible types for comparison');
  }
  switch (step.op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
  }
  return false;
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
