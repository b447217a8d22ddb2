import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { table, tabwrite, tabwriteLines } from './table.js';

describe('the table printer (text/tabwriter)', () => {
  it('pads every column but the last to its widest cell plus three, as kubectl get', () => {
    assert.equal(
      table(['name', 'status', 'roles'], [['controlplane', 'Ready', 'control-plane'], ['node01', 'Ready,SchedulingDisabled', '<none>']]),
      'NAME           STATUS                     ROLES\n' + 'controlplane   Ready                      control-plane\n' + 'node01         Ready,SchedulingDisabled   <none>\n',
    );
  });
  it("kubeadm's minimum width of 10", () => {
    assert.equal(
      tabwrite([['COMPONENT', 'NODE', 'CURRENT', 'TARGET'], ['kubelet', 'cp', 'v1.31.4', 'v1.32.9']], { minWidth: 10 }),
      'COMPONENT   NODE      CURRENT   TARGET\n' + 'kubelet     cp        v1.31.4   v1.32.9\n',
    );
  });
  it('indents, trims trailing blanks and takes numbers', () => {
    assert.deepEqual(tabwriteLines([['a', 1, ''], ['bbb', 22, '']], { indent: '  ' }), ['  a     1', '  bbb   22']);
  });
  it("a line's last cell widens no column (rows of different lengths)", () => {
    assert.equal(tabwrite([['x', 'y', 'z'], ['long cell']]), 'x   y   z\nlong cell\n');
  });
});
