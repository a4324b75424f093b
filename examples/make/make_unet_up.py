#!/usr/bin/python3
"""Writes examples/unet-up.conv.json, a U-Net's up path small enough to read, and PyTorch's values for it, offline:
    /usr/bin/python3 examples/make/make_unet_up.py
Needs Debian's python3-torch.

The network, on a (1, 1, 6, 6) picture of a square: conv 3x3 p1 (1 -> 2) -> relu (the skip, 6x6) -> maxpool 2 (3x3)
-> conv 3x3 p1 (2 -> 4) -> relu -> conv_transpose2d 2x2 s2 (4 -> 2, back to 6x6) -> concat with the skip (4 channels)
-> conv 1x1 (4 -> 1) -> sigmoid, mse against the square's outline. The weights are small multiples of 1/4 drawn with
a fixed seed, so the numbers stay readable.
- test/fixtures/examples/unet-up.ref.json: PyTorch's float64 output of every layer, the loss and the gradient of
  every weight and of the input, for the tests.
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(os.path.dirname(HERE), 'test', 'fixtures', 'examples')
gen = torch.Generator().manual_seed(16)


def quarters(*shape):
    """Values in {-1, -0.75, ..., 1}: readable, and exact in float32 and float64."""
    return (torch.randint(-4, 5, shape, generator=gen) / 4).double()


def main():
    x = torch.zeros(1, 1, 6, 6, dtype=torch.float64)
    x[0, 0, 1:5, 1:5] = 1
    target = torch.zeros(1, 1, 6, 6, dtype=torch.float64)
    target[0, 0, 1:5, 1:5] = 1
    target[0, 0, 2:4, 2:4] = 0
    p = {
        'down.weight': quarters(2, 1, 3, 3), 'down.bias': quarters(2),
        'mid.weight': quarters(4, 2, 3, 3), 'mid.bias': quarters(4),
        'up.weight': quarters(4, 2, 2, 2), 'up.bias': quarters(2),
        'out.weight': quarters(1, 4, 1, 1), 'out.bias': quarters(1),
    }
    for t in p.values():
        t.requires_grad_()
    x.requires_grad_()
    F = torch.nn.functional
    outs = []
    outs.append(F.conv2d(x, p['down.weight'], p['down.bias'], padding=1))
    outs.append(F.relu(outs[-1]))
    outs.append(F.max_pool2d(outs[-1], 2))
    outs.append(F.conv2d(outs[-1], p['mid.weight'], p['mid.bias'], padding=1))
    outs.append(F.relu(outs[-1]))
    outs.append(F.conv_transpose2d(outs[-1], p['up.weight'], p['up.bias'], stride=2))
    outs.append(torch.cat([outs[1], outs[5]], dim=1))
    outs.append(F.conv2d(outs[-1], p['out.weight'], p['out.bias']))
    outs.append(torch.sigmoid(outs[-1]))
    loss = F.mse_loss(outs[-1], target)
    loss.backward()

    tolist = lambda t: t.detach().tolist()
    spec = {
        'name': 'unet-up: a U-Net\'s up path',
        'description': 'The up path of a U-Net, small enough to read, on a 6x6 picture of a square: conv 3x3 -> relu (the skip, '
                       'kept at 6x6) -> maxpool 2 -> conv 3x3 -> relu -> conv_transpose2d 2x2 stride 2 (back to 6x6) -> concat with '
                       'the skip ("inputs": ["layers[1]", "layers[5]"], 2 + 2 channels) -> conv 1x1 -> sigmoid, mse against the '
                       'square\'s outline. Backward, the skip\'s δ is the sum of what comes down the two paths: through the '
                       'concat, and back up through the transposed conv, the pooling and the convs. Made by examples/make/make_unet_up.py.',
        'input': tolist(x),
        'layers': [
            {'type': 'conv2d', 'weight': tolist(p['down.weight']), 'bias': tolist(p['down.bias']), 'padding': 1},
            {'type': 'relu'},
            {'type': 'maxpool2d', 'kernel': 2},
            {'type': 'conv2d', 'weight': tolist(p['mid.weight']), 'bias': tolist(p['mid.bias']), 'padding': 1},
            {'type': 'relu'},
            {'type': 'conv_transpose2d', 'weight': tolist(p['up.weight']), 'bias': tolist(p['up.bias']), 'stride': 2},
            {'type': 'concat', 'inputs': ['layers[1]', 'layers[5]']},
            {'type': 'conv2d', 'weight': tolist(p['out.weight']), 'bias': tolist(p['out.bias'])},
            {'type': 'sigmoid'},
        ],
        'loss': {'type': 'mse', 'target': tolist(target)},
    }
    with open(os.path.join(HERE, 'unet-up.conv.json'), 'w') as f:
        f.write(compact(spec))
    flat = lambda t: t.detach().reshape(-1).tolist()
    ref = {'outputs': [flat(o) for o in outs], 'loss': loss.item(), 'input_grad': flat(x.grad),
           'grads': {k: flat(t.grad) for k, t in p.items()}}
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, 'unet-up.ref.json'), 'w') as f:
        json.dump(ref, f)
        f.write('\n')


def compact(spec):
    """JSON with one layer per line and each picture row on its own line, as the other examples read."""
    def value(v):
        return json.dumps(v, separators=(', ', ': ')).replace('.0,', ',').replace('.0]', ']')
    lines = ['{', f'  "name": {json.dumps(spec["name"])},', f'  "description": {json.dumps(spec["description"], ensure_ascii=False)},',
             f'  "input": {value(spec["input"])},', '  "layers": [']
    lines += [f'    {value(l)}' + (',' if i < len(spec['layers']) - 1 else '') for i, l in enumerate(spec['layers'])]
    lines += ['  ],', f'  "loss": {value(spec["loss"])}', '}']
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
