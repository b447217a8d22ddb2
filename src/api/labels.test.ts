import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from './status.js';
import { labelKeyErrors, labelSelectorFromObject, labelSelectorToString, labelValueErrors, parseLabelSelector } from './labels.js';

const web = { app: 'web', tier: 'frontend', 'app.kubernetes.io/version': '3' };
const db = { app: 'db', tier: 'backend' };
const bare = {};

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail('expected a 400 BadRequest');
}

describe('parseLabelSelector matches pods as kubectl -l does', () => {
  const cases: { selector: string; selects: string[]; canonical: string }[] = [
    { selector: 'app=web', selects: ['web'], canonical: 'app=web' },
    { selector: 'app==web', selects: ['web'], canonical: 'app==web' },
    { selector: 'app!=web', selects: ['db', 'bare'], canonical: 'app!=web' },
    { selector: 'app in (web, db)', selects: ['web', 'db'], canonical: 'app in (db,web)' },
    { selector: 'app notin (web)', selects: ['db', 'bare'], canonical: 'app notin (web)' },
    { selector: 'tier', selects: ['web', 'db'], canonical: 'tier' },
    { selector: '!tier', selects: ['bare'], canonical: '!tier' },
    { selector: 'tier,app!=db', selects: ['web'], canonical: 'app!=db,tier' },
    { selector: ' app = web , tier = frontend ', selects: ['web'], canonical: 'app=web,tier=frontend' },
    { selector: 'app.kubernetes.io/version>2', selects: ['web'], canonical: 'app.kubernetes.io/version>2' },
    { selector: 'app.kubernetes.io/version<3', selects: [], canonical: 'app.kubernetes.io/version<3' },
    { selector: 'app in (in, notin)', selects: [], canonical: 'app in (in,notin)' },
    { selector: 'app=', selects: [], canonical: 'app=' },
    { selector: '', selects: ['web', 'db', 'bare'], canonical: '' },
  ];
  const pods: Record<string, Record<string, string>> = { web, db, bare };
  for (const c of cases) {
    it(`${JSON.stringify(c.selector)} selects [${c.selects.join(', ')}]`, () => {
      const sel = parseLabelSelector(c.selector);
      assert.deepEqual(
        Object.keys(pods).filter((name) => sel.matches(pods[name])),
        c.selects,
      );
      assert.equal(sel.toString(), c.canonical);
      assert.equal(sel.empty, c.selector === '');
    });
  }
  it('treats a pod without labels as having none', () => {
    assert.equal(parseLabelSelector('!app').matches(undefined), true);
    assert.equal(parseLabelSelector('app').matches(undefined), false);
  });
  it('does not mistake Object.prototype members for labels', () => {
    assert.equal(parseLabelSelector('constructor').matches({}), false);
    assert.equal(parseLabelSelector('toString!=x').matches({}), true);
  });
});

describe('parseLabelSelector rejects bad selectors with the apiserver messages', () => {
  const nameRule =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: [string, string][] = [
    ['app:web', `unable to parse requirement: <nil>: Invalid value: "app:web": ${nameRule}`],
    [
      'app.kubernetes_io/name=x',
      "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
    [
      'app=demo-{nginx}',
      "unable to parse requirement: values[0][app]: Invalid value: \"demo-{nginx}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
    ['app web', "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"],
    ['!app=web', "found '=', expected: ',' or 'end of string'"],
    ['app in web', "unable to parse requirement: found 'web' expected: '('"],
    ['app in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['app=web,', "found '', expected: identifier after ','"],
    [',app', "found ',', expected: !, identifier, or 'end of string'"],
    ['app>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
  ];
  for (const [selector, message] of cases) {
    it(JSON.stringify(selector), () => assert.equal(badRequest(() => parseLabelSelector(selector)), message));
  }
});

describe('labelSelectorFromObject (metav1.LabelSelectorAsSelector)', () => {
  it('selects nothing for a null selector and everything for an empty one', () => {
    assert.equal(labelSelectorFromObject(null).matches(web), false);
    assert.equal(labelSelectorFromObject(undefined).matches(bare), false);
    const all = labelSelectorFromObject({});
    assert.equal(all.matches(web), true);
    assert.equal(all.matches(undefined), true);
    assert.equal(all.empty, true);
    assert.equal(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }).matches(db), true);
  });

  const cases: { name: string; sel: Parameters<typeof labelSelectorFromObject>[0]; selects: string[] }[] = [
    { name: 'matchLabels', sel: { matchLabels: { app: 'web' } }, selects: ['web'] },
    { name: 'matchExpressions In', sel: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web'] }] }, selects: ['web', 'db'] },
    { name: 'matchExpressions NotIn', sel: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] }, selects: ['web', 'bare'] },
    { name: 'matchExpressions Exists', sel: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, selects: ['web', 'db'] },
    { name: 'matchExpressions DoesNotExist', sel: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, selects: ['bare'] },
    {
      name: 'both, ANDed',
      sel: { matchLabels: { tier: 'backend' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] },
      selects: ['db'],
    },
  ];
  const pods: Record<string, Record<string, string>> = { web, db, bare };
  for (const c of cases) {
    it(c.name, () => {
      const sel = labelSelectorFromObject(c.sel);
      assert.deepEqual(
        Object.keys(pods).filter((n) => sel.matches(pods[n])),
        c.selects,
      );
    });
  }

  it('rejects an unknown operator', () => {
    const sel = { matchExpressions: [{ key: 'app', operator: 'Equals' as 'In', values: ['x'] }] };
    assert.equal(badRequest(() => labelSelectorFromObject(sel)), '"Equals" is not a valid label selector operator');
  });
  it('rejects In without values and an invalid key', () => {
    assert.equal(
      badRequest(() => labelSelectorFromObject({ matchExpressions: [{ key: 'app', operator: 'In', values: [] }] })),
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    );
    assert.match(badRequest(() => labelSelectorFromObject({ matchLabels: { 'bad key': 'x' } })), /^key: Invalid value: "bad key": name part must consist/);
  });
});

describe('labelSelectorToString (metav1.FormatLabelSelector)', () => {
  const cases: [Parameters<typeof labelSelectorToString>[0], string][] = [
    [{ matchLabels: { tier: 'fe', app: 'web' } }, 'app=web,tier=fe'],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'dev'] }, { key: 'gpu', operator: 'DoesNotExist' }] }, 'env notin (dev,prod),!gpu'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'app', operator: 'Exists' }] }, 'app=web,app'],
    [{}, '<none>'],
    [null, '<none>'],
    [{ matchExpressions: [{ key: 'x', operator: 'Bogus' as 'In' }] }, '<error>'],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} -> ${want}`, () => assert.equal(labelSelectorToString(sel), want));
  }
});

describe('label key and value rules', () => {
  it('accepts qualified names and label values', () => {
    assert.deepEqual(labelKeyErrors('node-role.kubernetes.io/control-plane'), []);
    assert.deepEqual(labelValueErrors(''), []);
    assert.deepEqual(labelValueErrors('v1.2_3-x'), []);
  });
  it('limits names and values to 63 characters', () => {
    assert.deepEqual(labelKeyErrors('a'.repeat(64)), ['name part must be no more than 63 characters']);
    assert.deepEqual(labelValueErrors('a'.repeat(64)), ['must be no more than 63 characters']);
    assert.equal(labelKeyErrors('/x')[0], 'prefix part must be non-empty');
    assert.equal(labelKeyErrors('a/b/c').length, 1);
  });
});
