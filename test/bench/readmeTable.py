"""Prints the README's speed tables from the latest `npm run bench`: the passes (test-results/bench/conv.json), the
ResNet-18-shaped model against onnxruntime-node (test-results/bench/model.json) and, when measured, the time a person
waits (test-results/bench/timing.json).

    python3 test/bench/readmeTable.py
"""
import json, os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
conv = os.path.join(ROOT, 'test-results', 'bench', 'conv.json')
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


def conv_table(d):
    print('| shape | pass | ' + ' | '.join(c[1] for c in cols) + ' |')
    print('|---|---|' + '---|' * len(cols))
    for case in d['cases']:
        passes = ['forward', 'backward-input', 'backward-weight'] + (['forward+backward'] if case['id'] == 1 else [])
        for i, p in enumerate(passes):
            shape = f"{case['label']}<br>{case['title']}" if i == 0 else ''
            print(f"| {shape} | {p} | " + ' | '.join(cell(case['methods'].get(c[0]), p, case) for c in cols) + ' |')
    print()
    print(f"_{d['machine'].get('cpu', '')}, {d['machine'].get('cores', '')} cores, Node {d['machine'].get('node', '')}, {d['date'][:10]}; GFLOP/s (µs for the worked example), median; commit {d.get('commit', '')[:7]}_")


if os.path.exists(conv):
    conv_table(json.load(open(conv)))

timing = os.path.join(ROOT, 'test-results', 'bench', 'timing.json')
if os.path.exists(timing):
    t = json.load(open(timing))
    print()
    print('| what a person waits for | median of later runs | first run of the window | target |')
    print('|---|---|---|---|')
    for row in t['timings']:
        met = 'met' if row['againMs'] <= row['targetMs'] else 'not met'
        print(f"| {row['what']} | {row['againMs']} ms | {row['firstMs']} ms | < {row['targetMs']} ms ({met}) |")
    print()
    m = t.get('machine', {})
    print(f"_code-server + headless Chromium, Node extension host; {m.get('cpu', '')}, {m.get('cores', '')} cores, {t['date'][:10]}; commit {t.get('commit', '')[:7]}_")

model = os.path.join(ROOT, 'test-results', 'bench', 'model.json')
if os.path.exists(model):
    r = json.load(open(model))
    print()
    print('| ResNet-18-shaped, 224×224, float32, one thread | figures | goal |')
    print('|---|---|---|')
    for row in r['rows']:
        print(f"| {row['what']} | {row['text']} | {'met' if row['met'] else 'not met'} |")
    print()
    m = r.get('machine', {})
    print(f"_onnxruntime-node {r['model']['onnxruntime']}; {m.get('cpu', '')}, {m.get('cores', '')} cores, Node {m.get('node', '')}, load average {m.get('loadAverageAtStart', 0):.1f}, {r['date'][:10]}; commit {(r.get('commit') or '')[:7]}_")
