// A layer of a run as a spec file and its tensors' file (engine/layerSpec.ts says what goes in): a network spec of
// that one layer, its input, its tensor keys and its "grad" named by path relative to the spec, in one .npy when
// there is one tensor, in one .safetensors (a key per tensor) when there are several.

import type { LayerAsSpec } from '../engine/layerSpec';
import type { Tensor } from '../engine/tensor';
import { encodeNpy } from './npy';
import { encodeSafetensors } from './safetensors';
import { sourceObject } from './tensorSource';

export interface LayerSpecFiles {
  /** The spec's JSON text. */
  json: string;
  /** The tensors' file, beside the spec: its name (the spec names it so) and its bytes. */
  tensors: { name: string; bytes: Uint8Array };
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && ArrayBuffer.isView((v as Tensor).data) && Array.isArray((v as Tensor).shape);
}

/** The spec name, without its folder and `.conv.json` or `.json`: what the tensors' file is named after. */
export function specStem(specName: string): string {
  const base = specName.split(/[\\/]/).pop() ?? specName;
  return base.replace(/(\.conv)?\.json$/i, '') || 'layer';
}

/**
 * The spec `specName` (a file name; its folder is the tensors' too) of `s`, and its tensors' file. `about` becomes the
 * spec's "description".
 */
export function layerSpecFiles(s: LayerAsSpec, specName: string, about: string): LayerSpecFiles {
  const tensors: [string, Tensor][] = [['input', s.input]];
  const layer: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(s.layer)) {
    if (isTensor(v)) tensors.push([key, v]);
    layer[key] = v;
  }
  if (s.grad) tensors.push(['grad', s.grad]);
  const stem = specStem(specName);
  const one = tensors.length === 1;
  const name = `${stem}.${one ? 'npy' : 'safetensors'}`;
  const ref = (key: string) => (one ? sourceObject('npy', name) : sourceObject('safetensors', name, key));
  for (const [key] of tensors) if (key in layer) layer[key] = ref(key);
  const spec = {
    description: about,
    input: ref('input'),
    layers: [layer],
    ...(s.grad ? { grad: ref('grad') } : {}),
    dtype: s.dtype,
  };
  // Lists of numbers (a padding, a shape) on one line, as people write them.
  return {
    json: `${JSON.stringify(spec, null, 2).replace(/\[\s*([-\d.e+,\s]*?)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`)}\n`,
    tensors: { name, bytes: one ? encodeNpy(s.input) : encodeSafetensors(tensors) },
  };
}
