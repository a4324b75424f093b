// A cell's receptive field through the whole network: the cells of every layer's
// output below it, and of the network's input, that it is computed from. Pure,
// from the planned geometry alone (no value is read): each kind's view states
// one step down (`receptive`), and this follows the graph's edges from the
// layer down to the input, adding up where paths meet. The recurrence on the
// same geometry gives each layer's receptive field size and stride (`field`).

import { inputOfName } from './graph';
import { LayerGeometry, Words, words } from './layerKinds/view';
import { viewOf } from './layerKinds/views';
import { Field, Region, batchItems, inputField } from './region';

/** A layer as its receptive field needs it: its geometry, its inputs by their names in the network, its output's shape. */
export interface FieldLayer {
  geometry: LayerGeometry;
  inputs: readonly { name: string; shape: readonly number[] }[];
  output: readonly number[];
}

/** The cells a region of one layer's output is computed from: in every layer's output below (undefined where none), and in the input. */
export interface ReceptiveRegions {
  layers: (Region | undefined)[];
  input: Region;
}

/** One step down through layer `l`: the region of each of its inputs. */
function stepDown(l: FieldLayer, out: Region): Region[] {
  const shapes = l.inputs.map(x => x.shape);
  const view = viewOf(l.geometry);
  return view?.receptive ? view.receptive(l.geometry.info, out, shapes) : shapes.map(s => batchItems(out, s));
}

/** What `out`, cells of layer `from`'s output, is computed from in each layer below and in the network input of shape `input`. */
export function receptiveRegions(input: readonly number[], layers: readonly FieldLayer[], from: number, out: Region): ReceptiveRegions {
  const regions: (Region | undefined)[] = layers.map(() => undefined);
  const inputRegion = new Region(input);
  regions[from] = out;
  // Layers only take earlier layers: going down the spec's order, a layer's region is whole once it is reached.
  for (let i = from; i >= 0; i--) {
    const here = regions[i];
    if (!here) continue;
    stepDown(layers[i], here).forEach((region, j) => {
      const source = inputOfName(layers[i].inputs[j].name);
      if (source === 'input') inputRegion.union(region);
      else if (source !== undefined) (regions[source] ??= new Region(layers[source].output)).union(region);
    });
  }
  return { layers: regions, input: inputRegion };
}

/** Each layer's receptive field in the network's input (size and stride per spatial axis), by the recurrence on the geometry. */
export function layerFields(input: readonly number[], layers: readonly FieldLayer[]): Field[] {
  const fields: Field[] = [];
  const own = inputField(input);
  for (const l of layers) {
    const below = l.inputs.map(x => {
      const source = inputOfName(x.name);
      return source === 'input' ? own : (source !== undefined && fields[source]) || 'whole';
    });
    const view = viewOf(l.geometry);
    fields.push(view?.field ? view.field(l.geometry.info, below) : 'whole');
  }
  return fields;
}

/** Numbers as the words show them: whole, or a fraction to three places (past a transposed conv). */
const dims = (values: readonly number[]) => values.map(v => String(Math.round(v * 1000) / 1000)).join('×');

/** One stride when every axis has it, else one per axis. */
const strideText = (jump: readonly number[]) => dims(jump.every(j => j === jump[0]) ? [jump[0]] : jump);

/** A layer's receptive field in words (for its hover): its size in the input and its stride; none for an input without spatial axes. */
export function fieldWords(field: Field): Words | undefined {
  if (field === 'whole') return words('receptiveWhole');
  if (!field.size.length) return undefined;
  return field.jump ? words('receptiveField', dims(field.size), strideText(field.jump)) : words('receptiveSize', dims(field.size));
}

/** Per spatial axis (after batch and channels), how many rows (columns) the region's cells span. */
export function regionExtent(r: Region): number[] {
  const lo = r.shape.slice(2).map(() => Infinity);
  const hi = r.shape.slice(2).map(() => -Infinity);
  r.forEach(index => {
    for (let d = 2; d < index.length; d++) { lo[d - 2] = Math.min(lo[d - 2], index[d]); hi[d - 2] = Math.max(hi[d - 2], index[d]); }
  });
  return lo.map((v, d) => Math.max(0, hi[d] - v + 1));
}

/** One cell's receptive field in words: the box its cells span in the input, with its layer's stride. */
export function cellFieldWords(input: Region, field: Field): Words {
  const extent = regionExtent(input);
  if (!extent.length || extent.includes(0)) return words('receptiveCells', input.count());
  return field !== 'whole' && field.jump ? words('receptiveField', dims(extent), strideText(field.jump)) : words('receptiveSize', dims(extent));
}
