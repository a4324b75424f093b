#!/usr/bin/env python3
"""The numpy side of the conv benchmark (test/bench/convBench.ts runs it): im2col + one float32 BLAS matmul.

  numpy_conv.py conv DIR CONFIG_JSON   reads DIR/{x,w,b,grad}.npy (NCHW, OIHW, float32), times the passes
                                       named in CONFIG_JSON, writes DIR/<pass>.<output>.npy
  numpy_conv.py sgemm CONFIG_JSON      times a 1024x1024x1024 float32 matmul (the BLAS ceiling)

Prints one JSON object on stdout. The caller sets OPENBLAS/OMP/MKL_NUM_THREADS=1 so BLAS runs on one core.
"""

import json
import os
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided


def im2col(x, kh, kw, stride, pad, hout, wout):
    """(B, C, H, W) -> (B*Hout*Wout, C*kh*kw), rows (b, y, x), columns (c, i, j) like the engine's a_t."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    b, c = xp.shape[:2]
    sb, sc, sh, sw = xp.strides
    windows = as_strided(xp, (b, hout, wout, c, kh, kw), (sb, sh * stride, sw * stride, sc, sh, sw), writeable=False)
    return windows.reshape(b * hout * wout, c * kh * kw)  # the one copy


def make_passes(x, w, bias, grad, stride, pad):
    bsz, cin, h, wd = x.shape
    cout, _, kh, kw = w.shape
    hout, wout = grad.shape[2:]
    wmat = w.reshape(cout, cin * kh * kw)

    def grad_t():
        return grad.transpose(0, 2, 3, 1).reshape(-1, cout)  # (B*Hout*Wout, Cout), a copy

    def forward():
        z = im2col(x, kh, kw, stride, pad, hout, wout) @ wmat.T
        z += bias
        return {'z': np.ascontiguousarray(z.reshape(bsz, hout, wout, cout).transpose(0, 3, 1, 2))}

    def backward_input():
        dcols = (grad_t() @ wmat).reshape(bsz, hout, wout, cin, kh, kw)
        dxp = np.zeros((bsz, cin, h + 2 * pad, wd + 2 * pad), dtype=np.float32)
        # col2im one kernel tap at a time: each tap is one strided, vectorized add (no np.add.at).
        for i in range(kh):
            for j in range(kw):
                dxp[:, :, i:i + stride * (hout - 1) + 1:stride, j:j + stride * (wout - 1) + 1:stride] += \
                    dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return {'dInput': np.ascontiguousarray(dxp[:, :, pad:pad + h, pad:pad + wd])}

    def backward_weight():
        g = grad_t()
        dw = (g.T @ im2col(x, kh, kw, stride, pad, hout, wout)).reshape(cout, cin, kh, kw)
        return {'dWeight': dw, 'dBias': g.sum(axis=0)}

    def step():
        return {**forward(), **backward_input(), **backward_weight()}

    return {'forward': forward, 'backward-input': backward_input, 'backward-weight': backward_weight,
            'forward+backward': step}


def measure(run, cfg):
    """The same loop as measure() in convCases.ts: warm up, batch fast runs into samples, median."""
    t0 = time.perf_counter()
    out = run()
    first = (time.perf_counter() - t0) * 1e3
    if first > cfg['capMs']:
        return {'firstRunMs': first, 'inner': 1, 'samplesMs': [], 'medianMs': None}, out
    per_run = first
    if first < cfg['warmupMs']:
        n = 0
        t0 = time.perf_counter()
        while (time.perf_counter() - t0) * 1e3 < cfg['warmupMs']:
            out = run()
            n += 1
        per_run = (time.perf_counter() - t0) * 1e3 / n
    inner = max(1, int(np.ceil(cfg['sampleMs'] / max(per_run, 1e-3))))
    runs = min(cfg['maxRuns'], max(cfg['minRuns'], int(np.ceil(cfg['targetMs'] / (inner * per_run)))))
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(inner):
            out = run()
        samples.append((time.perf_counter() - t0) * 1e3 / inner)
    return {'firstRunMs': first, 'inner': inner, 'samplesMs': samples, 'medianMs': float(np.median(samples))}, out


def blas_library():
    """The BLAS shared object numpy actually loaded (Debian may point libblas.so.3 at reference BLAS or OpenBLAS)."""
    try:
        with open('/proc/self/maps') as maps:
            paths = sorted({os.path.realpath(line.split()[-1]) for line in maps if 'blas' in line.lower() and '/' in line})
    except OSError:
        return 'unknown'
    kinds = [('openblas', 'OpenBLAS'), ('mkl', 'MKL'), ('blis', 'BLIS'), ('atlas', 'ATLAS'), ('/blas/libblas', 'reference BLAS (netlib)')]
    kind = next((name for key, name in kinds if any(key in p.lower() for p in paths)), None)
    return (f'{kind}: ' if kind else '') + (', '.join(paths) or 'unknown')


def conv(directory, cfg):
    load = lambda name: np.load(os.path.join(directory, name + '.npy'))  # noqa: E731
    x, w, bias, grad = load('x'), load('w'), load('b'), load('grad')
    assert all(a.dtype == np.float32 for a in (x, w, bias, grad))
    passes = make_passes(x, w, bias, grad, cfg['stride'], cfg['padding'])
    result = {}
    for name in cfg['passes']:
        m, out = measure(passes[name], cfg['timing'])
        for key, value in out.items():
            np.save(os.path.join(directory, f'{name}.{key}.npy'), np.ascontiguousarray(value, dtype=np.float32))
        m['outputs'] = sorted(out)
        result[name] = m
    return {'passes': result, 'numpy': np.__version__, 'blas': blas_library()}


def sgemm(cfg):
    n = 1024
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32) - 0.5
    b = rng.random((n, n), dtype=np.float32) - 0.5
    m, _ = measure(lambda: a @ b, cfg)
    return {'n': n, **m, 'gflops': 2 * n ** 3 / (m['medianMs'] * 1e6) if m['medianMs'] else None,
            'numpy': np.__version__, 'blas': blas_library()}


if __name__ == '__main__':
    if sys.argv[1] == 'conv':
        print(json.dumps(conv(sys.argv[2], json.loads(sys.argv[3]))))
    elif sys.argv[1] == 'sgemm':
        print(json.dumps(sgemm(json.loads(sys.argv[2]))))
    else:
        sys.exit(f'usage: {sys.argv[0]} conv DIR CONFIG_JSON | sgemm CONFIG_JSON')
