// The activations (relu, leaky_relu, sigmoid, tanh) as layers: h = act(z) and
// h'(z) forward, δ ⊙ h'(z) backward.

import { activationForward, activationFormula, hadamard } from '../layers';
import { Tensor } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { LayerKind, LayerParam, passes, planned, shapeAxes, stage } from './kind';
import type { LayerGeometry } from './view';

export type ActivationLayer = { type: 'relu' | 'sigmoid' | 'tanh' } | { type: 'leaky_relu'; slope: number };

const activation = (l: ActivationLayer) => ({ kind: l.type, slope: l.type === 'leaky_relu' ? l.slope : undefined });

const geometry = (l: ActivationLayer): LayerGeometry => ({ kind: 'activation', info: { activation: l.type } });

const ACTIVATION_SUMMARY: Record<ActivationLayer['type'], string> = {
  relu: 'max(0, z)', leaky_relu: 'z for z > 0, slope·z otherwise', sigmoid: '1 / (1 + e^−z)', tanh: 'tanh(z)',
};

export const activationKind: LayerKind<ActivationLayer> = {
  summary: type => ACTIVATION_SUMMARY[type],
  params: (type): Record<string, LayerParam> => (type === 'leaky_relu' ? { slope: { read: 'number', doc: 'The slope for negative inputs. Default 0.01.' } } : {}),
  // leaky_relu's slope defaults to PyTorch's 0.01.
  build: (type, { slope }) => (type === 'leaky_relu' ? { type, slope: (slope as number | undefined) ?? 0.01 } : { type }),
  title: l => (l.type === 'leaky_relu' ? `leaky_relu (${l.slope})` : l.type),
  plan: (l, x, backward) => ({ output: [...x], tensors: [planned('h', x), planned('h_prime', x), ...(backward ? [planned('dZ', x)] : [])], geometry: geometry(l) }),
  forward(l, x) {
    const { h, hPrime } = activationForward(x, activation(l));
    return { output: h, cache: { hPrime } };
  },
  record({ spec: l, input: x, output, cache }, delta) {
    const hPrime = cache.hPrime as Tensor;
    const axes = shapeAxes(x.shape);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      z: recorded('z', x, axes, { key: 'activation.z' }),
      h: recorded('h', output, axes, { key: 'activation.h', args: { activation: l.type } }),
      h_prime: recorded('h_prime', hPrime, axes, l.type === 'leaky_relu' ? { key: 'activation.h_prime.leaky_relu', args: { slope: l.slope } } : { key: `activation.h_prime.${l.type}` }),
    };
    const dZ = delta && hadamard(delta, hPrime);
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
