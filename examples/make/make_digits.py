#!/usr/bin/python3
"""Trains a small CNN on real handwriting and writes it to examples/, offline:
    /usr/bin/python3 examples/make/make_digits.py
Needs Debian's python3-sklearn (the data), python3-torch (training, the checkpoint, the ONNX export) and numpy.

The data: scikit-learn's 8 × 8 handwritten digits (sklearn.datasets.load_digits: the UCI "Optical Recognition of
Handwritten Digits" test set, 1,797 images of 43 writers; CC BY 4.0, Alpaydin & Kaynak), scaled from 0..16 to 0..1.
Three quarters train the model (Adam, 60 epochs, seed 0), the other quarter (450 images) is held out to measure it.

The model (2,314 parameters): conv 8@3×3 p1 → relu → maxpool 2 → conv 16@3×3 p1 → relu → maxpool 2 → flatten →
linear 10, on (1, 1, 8, 8).
- digits.safetensors and digits.pt: its state_dict (torch.save's zip format for the .pt), keys conv1.weight,
  conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias.
- digits.onnx: torch.onnx.export, opset 13, input "x" (1, 1, 8, 8), output "logits" (1, 10).
- digits.npz: held-out digits: "x" (1, 1, 8, 8) the one the model is least sure of among those it gets right (so
  its loss is not ~0 and the gradients show something), "batch" the first eight (8, 1, 8, 8) and their "labels".
- digits.conv.json: the network as a spec, every weight read from digits.safetensors, on the held-out digit "x",
  cross-entropy against its label.
- test/fixtures/examples/digits.ref.json: PyTorch's own logits, loss and gradients of that spec (float64), and the
  held-out accuracy, for the tests.
"""
import json
import os

import numpy as np
import torch
from sklearn.datasets import load_digits

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(os.path.dirname(HERE), 'test', 'fixtures', 'examples')
torch.manual_seed(0)


class Digits(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.fc = torch.nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def split():
    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    test, train = order[:450], order[450:]
    return x[train], y[train], x[test], y[test]


def train(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(60):
        for batch in torch.randperm(len(y)).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    return model.eval()


def source(key):
    return {'safetensors': 'digits.safetensors', 'key': key}


def spec(label, accuracy):
    return {
        'name': 'digits: a trained CNN on real handwriting',
        'description': f'A small CNN trained on scikit-learn\'s 8 x 8 handwritten digits (CC BY 4.0), {accuracy:.1%} right on '
                       f'450 held-out digits; its weights are read from digits.safetensors (also in digits.pt and digits.onnx). '
                       f'The input is a held-out {label} from digits.npz; the loss is cross-entropy against {label}. '
                       'Made by examples/make/make_digits.py.',
        'input': {'npz': 'digits.npz', 'key': 'x'},
        'layers': [
            {'type': 'conv2d', 'weight': source('conv1.weight'), 'bias': source('conv1.bias'), 'padding': 1},
            {'type': 'relu'},
            {'type': 'maxpool2d', 'kernel': 2},
            {'type': 'conv2d', 'weight': source('conv2.weight'), 'bias': source('conv2.bias'), 'padding': 1},
            {'type': 'relu'},
            {'type': 'maxpool2d', 'kernel': 2},
            {'type': 'flatten'},
            {'type': 'linear', 'weight': source('fc.weight'), 'bias': source('fc.bias')},
        ],
        'loss': {'type': 'cross_entropy', 'target': [label]},
    }


def reference(model, x, label, accuracy):
    """PyTorch's values for the spec, in float64 from the float32 weights the files hold."""
    m = Digits().double()
    m.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    x = x.double().requires_grad_()
    logits = m(x)
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([label]))
    loss.backward()
    flat = lambda t: t.detach().reshape(-1).tolist()
    return {'accuracy': accuracy, 'label': label, 'logits': flat(logits), 'loss': loss.item(), 'input_grad': flat(x.grad),
            'grads': {k: flat(p.grad) for k, p in m.named_parameters()}}


def main():
    x_train, y_train, x_test, y_test = split()
    model = train(Digits(), x_train, y_train)
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f'held-out accuracy: {accuracy:.4f} on {len(y_test)} digits')
    state = model.state_dict()
    write_safetensors(os.path.join(HERE, 'digits.safetensors'), {k: v.numpy() for k, v in state.items()})
    torch.save(state, os.path.join(HERE, 'digits.pt'))
    torch.onnx.export(model, x_test[:1], os.path.join(HERE, 'digits.onnx'), opset_version=13,
                      input_names=['x'], output_names=['logits'], do_constant_folding=False)
    with torch.no_grad():
        logits = model(x_test)
        losses = torch.nn.functional.cross_entropy(logits, y_test, reduction='none')
    right = (logits.argmax(1) == y_test).nonzero().flatten()
    pick = int(right[losses[right].argmax()])
    x, label = x_test[pick:pick + 1], int(y_test[pick])
    np.savez_compressed(os.path.join(HERE, 'digits.npz'), x=x.numpy(), batch=x_test[:8].numpy(), labels=y_test[:8].numpy())
    with open(os.path.join(HERE, 'digits.conv.json'), 'w') as f:
        json.dump(spec(label, accuracy), f, indent=2, ensure_ascii=False)
        f.write('\n')
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, 'digits.ref.json'), 'w') as f:
        json.dump(reference(model, x, label, accuracy), f)
        f.write('\n')


if __name__ == '__main__':
    main()
