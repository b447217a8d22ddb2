// Label selectors as k8s.io/apimachinery/pkg/labels parses, validates, matches and prints them,
// and the metav1.LabelSelector object form (matchLabels/matchExpressions) workloads carry.
import { errors } from './status.js';

export interface LabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists or DoesNotExist (a string, as the API types it: others are refused when read). */
  operator: string;
  values?: string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Selector = {
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when the selector does not restrict anything (selects everything). */
  empty: boolean;
  toString(): string;
};

/** selection.Operator values, as the parser names them. */
type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

// ---------------------------------------------------------------------------------------------
// Validation (k8s.io/apimachinery/pkg/util/validation), with its messages
// ---------------------------------------------------------------------------------------------

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Kubernetes joins examples as "'a',  or 'b', " (sic: two spaces).
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

/** Go's len(): Kubernetes counts bytes, not characters. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/**
 * Why `key` is not a valid label key (validation.IsQualifiedName): a name of at most 63
 * characters with an optional DNS subdomain prefix and '/'. Empty when valid.
 */
export function labelKeyErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** Why `value` is not a valid label value (validation.IsValidLabelValue). Empty when valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** field.Invalid(...).Error(): `<path>: Invalid value: <value>: <detail>`. */
function invalid(path: string, value: string | string[], detail: string): string {
  const shown = Array.isArray(value) ? `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}` : JSON.stringify(value);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

/** An aggregate of field errors prints one message bare and several as "[a, b]", without duplicates. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

const GO_INT64 = /^[+-]?[0-9]+$/;
function parseInt64(s: string): bigint | undefined {
  if (!GO_INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * labels.NewRequirement's checks. `path` is the field path of the requirement ("" when none, so
 * fields print as "key", "values[0][k]"), as in metav1.LabelSelectorAsSelector.
 */
function requirementErrors(key: string, operator: Operator, values: string[]): string[] {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length > 0) errs.push(invalid('key', key, keyErrs.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Go's sort.Strings order (bytewise, which matches UTF-16 order for the label character set). */
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function requirementString(r: Requirement): string {
  if (r.operator === '!') return `!${r.key}`;
  if (r.operator === 'exists') return r.key;
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(byString).join(',');
  switch (r.operator) {
    case 'in':
      return `${r.key} in (${values})`;
    case 'notin':
      return `${r.key} notin (${values})`;
    case 'gt':
      return `${r.key}>${values}`;
    case 'lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

type Matcher = (labels: Record<string, string>) => boolean;

function compile(r: Requirement): Matcher {
  const { key, values } = r;
  const one = values.length === 1 ? values[0] : undefined;
  const has = one !== undefined ? (v: string) => v === one : (v: string) => values.includes(v);
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return (l) => hasOwn(l, key) && has(l[key]);
    case '!=':
    case 'notin':
      return (l) => !hasOwn(l, key) || !has(l[key]);
    case 'exists':
      return (l) => hasOwn(l, key);
    case '!':
      return (l) => !hasOwn(l, key);
    case 'gt':
    case 'lt': {
      const bound = one !== undefined ? parseInt64(one) : undefined;
      const gt = r.operator === 'gt';
      return (l) => {
        if (bound === undefined || !hasOwn(l, key)) return false;
        const n = parseInt64(l[key]);
        return n !== undefined && (gt ? n > bound : n < bound);
      };
    }
  }
}

const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function selectorOf(requirements: Requirement[]): Selector {
  // Requirements print sorted by key (sort.Sort(ByKey)), which also makes the string canonical.
  const sorted = [...requirements].sort((a, b) => byString(a.key, b.key));
  const matchers = sorted.map(compile);
  const text = sorted.map(requirementString).join(',');
  return {
    matches(labels) {
      const l = labels ?? NO_LABELS;
      for (let i = 0; i < matchers.length; i++) if (!matchers[i](l)) return false;
      return true;
    },
    empty: sorted.length === 0,
    toString: () => text,
  };
}

const EVERYTHING = selectorOf([]);
/** labels.Nothing(): matches no object, is not empty, prints as "". */
const NOTHING: Selector = { matches: () => false, empty: false, toString: () => '' };

// ---------------------------------------------------------------------------------------------
// The string form
// ---------------------------------------------------------------------------------------------

type Token = 'end' | 'ident' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'error';

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOLS = new Set(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): { tok: Token; lit: string }[] {
  const out: { tok: Token; lit: string }[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length) {
      out.push({ tok: 'end', lit: '' });
      return out;
    }
    if (SPECIAL.has(s[i])) {
      // Grow the operator while it stays one ("!" -> "!=", "=" -> "=="); the first character
      // that would not fit is left for the next token.
      let buf = '';
      let last: { tok: Token; lit: string } | undefined;
      while (i < s.length && SPECIAL.has(s[i])) {
        buf += s[i];
        if (SYMBOLS.has(buf)) last = { tok: buf as Token, lit: buf };
        else if (last) break;
        i++;
      }
      if (!last) {
        out.push({ tok: 'error', lit: `error expected: keyword found '${buf}'` });
        continue;
      }
      out.push(last);
      continue;
    }
    let j = i;
    while (j < s.length && !SPECIAL.has(s[j]) && !isSpace(s[j])) j++;
    const word = s.slice(i, j);
    i = j;
    out.push({ tok: word === 'in' || word === 'notin' ? word : 'ident', lit: word });
  }
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly items: { tok: Token; lit: string }[]) {}

  /** In value context "in" and "notin" are plain identifiers ("x in (in)"). */
  private look(values: boolean): { tok: Token; lit: string } {
    const it = this.items[this.pos];
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'ident', lit: it.lit } : it;
  }
  private take(values: boolean): { tok: Token; lit: string } {
    const it = this.look(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.look(true);
      if (tok === 'end') return reqs;
      if (tok !== 'ident' && tok !== '!') throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      let r: Requirement;
      try {
        r = this.requirement();
      } catch (e) {
        if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      reqs.push(r);
      const next = this.take(true);
      if (next.tok === 'end') return reqs;
      if (next.tok !== ',') throw new ParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.look(true);
      if (after.tok !== 'ident' && after.tok !== '!') throw new ParseError(`found '${after.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let operator: Operator | undefined;
    let { tok, lit } = this.take(true);
    if (tok === '!') {
      operator = '!';
      ({ tok, lit } = this.take(true));
    }
    if (tok !== 'ident') throw new ParseError(`found '${lit}', expected: identifier`);
    const key = lit;
    // The parser validates the key with no field path, which Go prints as "<nil>".
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length > 0) throw new ParseError(invalid('<nil>', key, keyErrs.join('; ')));
    const ahead = this.look(true).tok;
    if (ahead === 'end' || ahead === ',') return this.checked(key, operator ?? 'exists', []);
    if (operator === '!') return this.checked(key, '!', []);
    const op = this.take(false);
    const binary: Partial<Record<Token, Operator>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };
    operator = binary[op.tok];
    if (!operator) throw new ParseError(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = operator === 'in' || operator === 'notin' ? this.setValues() : this.exactValue();
    // sets.String.List(): unique and sorted.
    return this.checked(key, operator, [...new Set(values)].sort(byString));
  }

  private checked(key: string, operator: Operator, values: string[]): Requirement {
    const errs = requirementErrors(key, operator, values);
    if (errs.length > 0) throw new ParseError(aggregate(errs));
    return { key, operator, values };
  }

  private setValues(): string[] {
    const open = this.take(true);
    if (open.tok !== '(') throw new ParseError(`found '${open.lit}' expected: '('`);
    const first = this.look(true);
    if (first.tok === ')') {
      this.pos++;
      return [''];
    }
    if (first.tok !== 'ident' && first.tok !== ',') throw new ParseError(`found '${first.lit}', expected: ',', ')' or identifier`);
    const values: string[] = [];
    for (;;) {
      const { tok, lit } = this.take(true);
      if (tok === 'ident') {
        values.push(lit);
        const next = this.look(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') break;
        throw new ParseError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        // Empty values: "(,a)", "(a,)", "(a,,b)" all contain "".
        if (values.length === 0) values.push('');
        const next = this.look(true);
        if (next.tok === ')') {
          values.push('');
          break;
        }
        if (next.tok === ',') {
          this.pos++;
          values.push('');
        }
      } else {
        throw new ParseError(`found '${lit}', expected: ',', or identifier`);
      }
    }
    const close = this.take(true);
    if (close.tok !== ')') throw new ParseError(`found '${first.lit}', expected: ')'`);
    return values;
  }

  private exactValue(): string[] {
    const ahead = this.look(true);
    if (ahead.tok === 'end' || ahead.tok === ',') return [''];
    const { tok, lit } = this.take(true);
    if (tok === 'ident') return [lit];
    throw new ParseError(`found '${lit}', expected: identifier`);
  }
}

/**
 * Parses the string form of a label selector (`?labelSelector=`, `kubectl -l`): `a=b`, `a==b`,
 * `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma-separated and ANDed. A syntax
 * error or an invalid key or value is a 400 BadRequest with the apiserver's message.
 */
export function parseLabelSelector(text: string): Selector {
  try {
    return selectorOf(new Parser(lex(text)).parse());
  } catch (e) {
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

const OBJECT_OPERATORS: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: a null selector selects nothing and an empty one selects
 * everything (a PodDisruptionBudget with `selector: {}` covers every pod in its namespace).
 * An unknown operator or an invalid key or value throws 400 BadRequest.
 */
export function labelSelectorFromObject(sel: LabelSelector | null | undefined): Selector {
  if (sel === null || sel === undefined) return NOTHING;
  const matchLabels = sel.matchLabels ?? {};
  const expressions = sel.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + expressions.length === 0) return EVERYTHING;
  const reqs: Requirement[] = [];
  for (const key of Object.keys(matchLabels)) {
    const errs = requirementErrors(key, '=', [matchLabels[key]]);
    if (errs.length > 0) throw errors.badRequest(aggregate(errs));
    reqs.push({ key, operator: '=', values: [matchLabels[key]] });
  }
  for (const expr of expressions) {
    const operator = hasOwn(OBJECT_OPERATORS, String(expr.operator)) ? OBJECT_OPERATORS[expr.operator] : undefined;
    if (!operator) throw errors.badRequest(`${JSON.stringify(String(expr.operator))} is not a valid label selector operator`);
    const values = [...(expr.values ?? [])];
    const errs = requirementErrors(expr.key, operator, values);
    if (errs.length > 0) throw errors.badRequest(aggregate(errs));
    reqs.push({ key: expr.key, operator, values });
  }
  return selectorOf(reqs);
}

/**
 * metav1.FormatLabelSelector, as kubectl prints selectors (`kubectl get pdb`, describe):
 * "<none>" for a selector that is empty or null, "<error>" for an invalid one.
 */
export function labelSelectorToString(sel: LabelSelector | null | undefined): string {
  let text: string;
  try {
    text = labelSelectorFromObject(sel).toString();
  } catch {
    return '<error>';
  }
  return text === '' ? '<none>' : text;
}
