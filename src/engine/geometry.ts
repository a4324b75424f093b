// What the panel needs to know about a layer to link its cells, explain them
// and list the sums behind them: the conv's geometry, the pooling window's, or
// just the kind of layer. Plain data, so it crosses to the webview as is.

import type { ConvInfo } from './convInfo';
import type { PoolInfo } from './layers';
import type { LayerTrace } from './network';

export type LayerGeometry =
  | { kind: 'conv'; info: ConvInfo }
  | { kind: 'pool'; info: PoolInfo }
  | { kind: 'linear' }
  /** Activations and the loss: tensors of one shape, read cell by cell. */
  | { kind: 'elementwise' }
  | { kind: 'flatten' };

export function layerGeometry(layer: LayerTrace): LayerGeometry {
  if (layer.conv) return { kind: 'conv', info: layer.conv.info };
  if (layer.pool) return { kind: 'pool', info: layer.pool };
  if (layer.op === 'linear') return { kind: 'linear' };
  if (layer.op === 'flatten') return { kind: 'flatten' };
  return { kind: 'elementwise' };
}
