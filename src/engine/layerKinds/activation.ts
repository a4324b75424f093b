// The activations (relu, leaky_relu, sigmoid, tanh, relu6, clip, hardswish, hardsigmoid) as
// layers: h = act(z) and h'(z) forward, δ ⊙ h'(z) backward. Each is one
// elementwise op, counted 1 FLOP per output value; nothing is learned.

import type { About } from '../about';
import { EngineError } from '../errors';
import { activationBackward, activationFormula, activationOutput, activationSlope } from '../layers';
import { sizeOf } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { fieldsAsKeys, LayerKind, LayerParam, passes, planned, shapeAxes, stage } from './kind';
import { words } from './view';
import type { LayerGeometry } from './view';
import type { ActivationInfo } from './activationView';

export type ActivationLayer =
  | { type: 'relu' | 'sigmoid' | 'tanh' | 'relu6' | 'hardswish' }
  | { type: 'leaky_relu'; slope: number }
  | { type: 'clip'; min: number; max: number }
  | { type: 'hardsigmoid'; alpha: number; beta: number };

const activation = (l: ActivationLayer) => ({
  kind: l.type, slope: l.type === 'leaky_relu' ? l.slope : undefined, ...(l.type === 'clip' ? { min: l.min, max: l.max } : {}),
  ...(l.type === 'hardsigmoid' ? { alpha: l.alpha, beta: l.beta } : {}),
});

/** torch.nn.Hardsigmoid's: relu6(z + 3)/6. */
const HARDSIGMOID = { alpha: 1 / 6, beta: 0.5 };

/** What the view reads (the plan's and the record's): the activation, and clip's bounds. */
function geometry(l: ActivationLayer): LayerGeometry<'activation', ActivationInfo> {
  const bounds = l.type === 'clip' ? { min: l.min, max: l.max } : l.type === 'hardsigmoid' ? { alpha: l.alpha, beta: l.beta } : {};
  return { kind: 'activation', info: { activation: l.type, ...bounds } };
}

const ACTIVATION_SUMMARY: Record<ActivationLayer['type'], string> = {
  relu: 'max(0, z)', leaky_relu: 'z for z > 0, slope·z otherwise', sigmoid: '1 / (1 + e^−z)', tanh: 'tanh(z)',
  relu6: 'min(max(z, 0), 6), as torch.nn.ReLU6',
  clip: 'min(max(z, min), max), as torch.nn.Hardtanh (the gradient at exactly min or max is 0, as Hardtanh\'s; torch.clamp\'s is 1)',
  hardswish: 'z·relu6(z + 3)/6, as torch.nn.Hardswish',
  hardsigmoid: 'min(max(alpha·z + beta, 0), 1); alpha 1/6 and beta 1/2 by default, as torch.nn.Hardsigmoid (ONNX\'s HardSigmoid with its attributes)',
};

const ACTIVATION_PARAMS: Partial<Record<ActivationLayer['type'], Record<string, LayerParam>>> = {
  leaky_relu: { slope: { read: 'number', doc: 'The slope for negative inputs. Default 0.01.' } },
  clip: {
    min: { read: 'number', required: true, doc: 'The lower bound: smaller values become min (Hardtanh\'s min_val).' },
    max: { read: 'number', required: true, doc: 'The upper bound, at least min: larger values become max (Hardtanh\'s max_val).' },
  },
  hardsigmoid: {
    alpha: { read: 'number', doc: 'The slope: h = min(max(alpha·z + beta, 0), 1). Default 1/6, as torch.nn.Hardsigmoid (ONNX\'s default is 0.2).' },
    beta: { read: 'number', doc: 'The offset. Default 0.5.' },
  },
};

function build(type: ActivationLayer['type'], values: Record<string, unknown>): ActivationLayer {
  switch (type) {
    // leaky_relu's slope defaults to PyTorch's 0.01.
    case 'leaky_relu': return { type, slope: (values.slope as number | undefined) ?? 0.01 };
    case 'clip': return { type, min: values.min as number, max: values.max as number };
    case 'hardsigmoid': return { type, alpha: (values.alpha as number | undefined) ?? HARDSIGMOID.alpha, beta: (values.beta as number | undefined) ?? HARDSIGMOID.beta };
    default: return { type };
  }
}

function hPrimeAbout(l: ActivationLayer): About {
  switch (l.type) {
    case 'leaky_relu': return { key: 'activation.h_prime.leaky_relu', args: { slope: l.slope } };
    case 'clip': return { key: 'activation.h_prime.clip', args: { min: l.min, max: l.max } };
    case 'hardsigmoid': return { key: 'activation.h_prime.hardsigmoid', args: { alpha: l.alpha, beta: l.beta } };
    default: return { key: `activation.h_prime.${l.type}` } as About;
  }
}

function title(l: ActivationLayer): string {
  switch (l.type) {
    case 'leaky_relu': return `leaky_relu (${l.slope})`;
    case 'clip': return `clip (${l.min}, ${l.max})`;
    case 'hardsigmoid': return l.alpha === HARDSIGMOID.alpha && l.beta === HARDSIGMOID.beta ? l.type : `hardsigmoid (${Number(l.alpha.toPrecision(6))}, ${l.beta})`;
    default: return l.type;
  }
}

export const activationKind: LayerKind<ActivationLayer> = {
  summary: type => ACTIVATION_SUMMARY[type],
  params: type => ACTIVATION_PARAMS[type] ?? {},
  build,
  specKeys: l => fieldsAsKeys(l, Object.keys(ACTIVATION_PARAMS[l.type] ?? {})),
  title,
  plan(l, x, backward) {
    // As nn.Hardtanh: an empty range is refused (min = max is a constant layer, allowed).
    if (l.type === 'clip' && l.min > l.max) throw new EngineError('clip', { code: 'clip.range', args: { min: l.min, max: l.max } }, 'min');
    // One elementwise op: 1 FLOP per output value, whatever the function (torch.utils.flop_counter counts none).
    const cost = elementCost(sizeOf(x), 1, words('costElementwise'));
    return { output: [...x], tensors: [planned('h', x), planned('h_prime', x), ...(backward ? [planned('dZ', x)] : [])], geometry: geometry(l), cost };
  },
  forward: (l, x) => ({ output: activationOutput(x, activation(l)), cache: {} }),
  backward: ({ spec: l, input: x, output }, delta, _needsDeltaIn, overwrite) => ({ deltaIn: activationBackward(delta, x, output, activation(l), overwrite ? delta : undefined), params: {} }),
  record({ spec: l, input: x, output }, delta) {
    const hPrime = activationSlope(x, output, activation(l));
    const axes = shapeAxes(x.shape);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      z: recorded('z', x, axes, { key: 'activation.z' }),
      h: recorded('h', output, axes, { key: 'activation.h', args: { activation: l.type } }),
      h_prime: recorded('h_prime', hPrime, axes, hPrimeAbout(l)),
    };
    const dZ = delta && activationBackward(delta, x, output, activation(l));
    if (delta && dZ) {
      tensors.delta = recorded('delta', delta, axes, { key: 'activation.delta' });
      tensors.dZ = recorded('dZ', dZ, axes, { key: 'activation.dZ' });
    }
    const stages = [
      stage('activate', 'forward', `Activation: ${l.type}`, activationFormula(activation(l)), ['z'], ['h', 'h_prime']),
      stage('activation_grad', 'backward', 'Through the activation', "∂C/∂z = δ ⊙ h'(z)", ['delta', 'h_prime'], ['dZ']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l), deltaIn: dZ };
  },
};
