"""Prints CONTRIBUTING.md's benchmark table (Benchmarks) from test-results/bench/conv.json (the latest `npm run bench`).

    python3 test/bench/readmeTable.py
"""
import json, os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
d = json.load(open(os.path.join(ROOT, 'test-results', 'bench', 'conv.json')))
cols = [('engine (float32)', 'engine f32'), ('engine (float32, all cores)', 'engine f32, 2 cores'), ('engine (float64)', 'engine f64'),
        ('tfjs-backend-wasm', 'tfjs-wasm'), ('tfjs-backend-cpu', 'tfjs-cpu'), ('numpy im2col + BLAS', 'numpy + OpenBLAS')]


def cell(r, pass_, case):
    if not r or pass_ not in r:
        return '—'
    p = r[pass_]
    if p.get('status') == 'not run':
        return '—'
    if p.get('status') != 'measured':
        return 'skipped'
    ms = p['measurement']['medianMs']
    if case['id'] == 1:
        return f"{ms * 1000:.1f} µs"
    return f"{p['gflops']:.1f}"


print('| shape | pass | ' + ' | '.join(c[1] for c in cols) + ' |')
print('|---|---|' + '---|' * len(cols))
for case in d['cases']:
    passes = ['forward', 'backward-input', 'backward-weight'] + (['forward+backward'] if case['id'] == 1 else [])
    for i, p in enumerate(passes):
        shape = f"{case['label']}<br>{case['title']}" if i == 0 else ''
        print(f"| {shape} | {p} | " + ' | '.join(cell(case['methods'].get(c[0]), p, case) for c in cols) + ' |')
print()
print(f"_{d['machine'].get('cpu', '')}, {d['machine'].get('cores', '')} cores, Node {d['machine'].get('node', '')}, {d['date'][:10]}; GFLOP/s (µs for the worked example), median; commit {d.get('commit', '')[:7]}_")
