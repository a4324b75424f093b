// The plain trace view: every stage in order with its formula, and each tensor
// the first time it appears, with its shape and (when small) its numbers.

import { formatShape } from '../../src/engine/tensor';
import type { TensorName } from '../../src/engine/trace';
import type { ShownTensor, WireTensor, WireTrace } from '../../src/protocol/messages';
import { fromWire } from '../../src/protocol/wire';
import { formatNumber } from '../../src/format/text';

/** Tensors up to this many elements print their numbers. */
const PRINT_LIMIT = 2048;
/** Cells reported back per tensor in `rendered`. */
const REPORTED_CELLS = 64;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderTensor(t: WireTensor): { node: HTMLElement; shown: ShownTensor } {
  const tensor = fromWire(t);
  const card = el('section', 'tensor');
  card.dataset.tensor = t.name;
  const head = el('div', 'tensor-head');
  head.append(el('span', 'tensor-name', t.name), el('span', 'tensor-shape', formatShape(t.shape)), el('span', 'tensor-axes', t.axes.join(' × ')));
  card.append(head, el('p', 'tensor-about', t.about));
  const cells: string[] = [];
  if (tensor.data.length <= PRINT_LIMIT) {
    const cols = t.shape.length ? t.shape[t.shape.length - 1] : 1;
    const rows = t.shape.length >= 2 ? t.shape[t.shape.length - 2] : 1;
    const blocks = tensor.data.length / (rows * cols);
    const lead = t.shape.slice(0, Math.max(0, t.shape.length - 2));
    const grid = el('div', 'blocks');
    for (let b = 0; b < blocks; b++) {
      const block = el('figure', 'block');
      const index: number[] = [];
      let rest = b;
      for (let d = lead.length - 1; d >= 0; d--) { index.unshift(rest % lead[d]); rest = Math.floor(rest / lead[d]); }
      if (lead.length) block.append(el('figcaption', undefined, `${t.name}[${index.join(', ')}]`));
      const table = el('table', 'matrix');
      for (let r = 0; r < rows; r++) {
        const tr = el('tr');
        for (let c = 0; c < cols; c++) {
          const text = formatNumber(tensor.data[(b * rows + r) * cols + c], 4);
          if (cells.length < REPORTED_CELLS) cells.push(text);
          tr.append(el('td', undefined, text));
        }
        table.append(tr);
      }
      block.append(table);
      grid.append(block);
    }
    card.append(grid);
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (const v of tensor.data) { if (v < min) min = v; if (v > max) max = v; }
    card.append(el('p', 'tensor-range', `${tensor.data.length.toLocaleString()} values, min ${formatNumber(min)}, max ${formatNumber(max)}`));
  }
  return { node: card, shown: { name: t.name, shape: t.shape, cells } };
}

export function renderTrace(root: HTMLElement, trace: WireTrace): ShownTensor[] {
  const byName = new Map<TensorName, WireTensor>(trace.tensors.map(t => [t.name, t]));
  const done = new Set<TensorName>();
  const shown: ShownTensor[] = [];
  const i = trace.info;
  const summary = el('p', 'geometry',
    `stride (${i.strideHeight}, ${i.strideWidth}) · padding [${i.padTop}, ${i.padBottom}, ${i.padLeft}, ${i.padRight}] · ` +
    `dilation (${i.dilationHeight}, ${i.dilationWidth}) · groups ${i.groups} · ${trace.dtype}`);
  const sections: HTMLElement[] = [summary];
  for (const stage of trace.stages) {
    const section = el('section', `stage ${stage.pass}`);
    section.dataset.stage = stage.id;
    section.append(el('h2', undefined, stage.title), el('code', 'formula', stage.formula));
    for (const name of [...stage.inputs, ...stage.outputs]) {
      const t = byName.get(name);
      if (!t || done.has(name)) continue;
      done.add(name);
      const r = renderTensor(t);
      section.append(r.node);
      shown.push(r.shown);
    }
    sections.push(section);
  }
  if (trace.rot180) {
    sections.push(el('p', trace.rot180.agrees ? 'check ok' : 'check bad',
      `col2im and rot180 ${trace.rot180.agrees ? 'agree' : 'disagree'} on ∂C/∂a (max |difference| ${formatNumber(trace.rot180.maxAbsDiff)})`));
  }
  root.replaceChildren(...sections);
  return shown;
}
