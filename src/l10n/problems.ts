// The spec reader's and the engine's problems in the display language. They stay
// English at the source (the CLI and tests read them); the extension host turns
// them into Chinese here, by matching each English template. Numbers, shapes,
// JSON paths, keys, tensor names and quoted values are kept verbatim; a message
// no pattern knows comes back in English rather than half-translated.

import { printable } from '../format/safeText';
import type { Locale } from './locale';

type Captures = string[];
interface ProblemPattern {
  english: RegExp;
  chinese: (...captures: Captures) => string;
}

/** What describeJson (src/spec/nested.ts) says a value is. */
function describedValue(description: string): string {
  if (description === 'an array') return '数组';
  if (description === 'an empty array') return '空数组';
  if (description === 'an object') return '对象';
  if (description === 'the undefined undefined') return '缺失（undefined）';
  const m = /^the (string|number|boolean|bigint|symbol|function) ([^]*)$/.exec(description);
  if (m) return `${{ string: '字符串', number: '数字', boolean: '布尔值' }[m[1]] ?? m[1]} ${m[2]}`;
  return description; // null
}

/** `(input (1, 3, 4, 4), weight (2, 3, 2, 2), groups 1)` of conv2d's channel messages. */
function convShapesNote(note: string): string {
  const m = /^\(input (\(.*?\)), weight (\(.*?\)), groups (\d+)\)$/.exec(note);
  return m ? `（输入 ${m[1]}，权重 ${m[2]}，分组 ${m[3]}）` : note;
}

/** jsonc's syntax errors as source.ts words them. */
const JSON_SYNTAX: Record<string, string> = {
  'unexpected symbol': '意外的符号',
  'invalid number': '无效的数字',
  'expected a property name in double quotes': '此处应为双引号括起的属性名',
  'expected a value': '此处应为一个值',
  'expected a colon': '此处应为冒号',
  'expected a comma': '此处应为逗号',
  'expected a comma or a closing bracket ]': '此处应为逗号或右方括号 ]',
  'expected a comma or a closing brace }': '此处应为逗号或右花括号 }',
  'expected a closing brace }': '此处应为右花括号 }',
  'expected a closing bracket ]': '此处应为右方括号 ]',
  'unexpected content after the end of the JSON value': 'JSON 值结束后还有多余内容',
  'invalid comment': '无效的注释',
  'unterminated comment': '注释没有结束',
  'unterminated string': '字符串没有结束',
  'unterminated number': '数字没有结束',
  'invalid unicode escape': '无效的 Unicode 转义',
  'invalid escape character': '无效的转义字符',
  'invalid character': '无效的字符',
};

/** What specFiles.ts says a file that is not regular is. */
const FILE_TYPES: Record<string, string> = {
  'a FIFO': '命名管道（FIFO）', 'a device': '设备文件', 'a directory': '目录', 'a socket': '套接字', 'a FIFO, device or socket': '命名管道、设备文件或套接字',
};

/** .npy dtype kinds as npy.ts names them. */
const NPY_KINDS: Record<string, string> = {
  float: '浮点数', 'signed integer': '有符号整数', 'unsigned integer': '无符号整数', bool: '布尔值', complex: '复数',
  'Python object': 'Python 对象', 'unicode string': 'Unicode 字符串', 'byte string': '字节串', datetime: '日期时间',
  timedelta: '时间间隔', 'void/raw': 'void/原始字节', 'unknown kind': '未知类型',
};

/** Ordered: the more specific of two overlapping templates comes first. */
export const PROBLEM_PATTERNS: readonly ProblemPattern[] = [
  // src/spec/source.ts
  { english: /^the file is empty$/, chinese: () => '文件是空的' },
  {
    english: /^malformed JSON: (.+?)( \(JSON has no NaN or Infinity; write them as strings: "NaN", "Infinity", "-Infinity"\)| at '[^]*')?$/,
    chinese: (what, tail = '') => `JSON 格式错误：${JSON_SYNTAX[what] ?? what}${
      tail.startsWith(' (') ? '（JSON 没有 NaN 和 Infinity，请写成字符串："NaN"、"Infinity"、"-Infinity"）' : tail ? `，位于 ${tail.slice(4)}` : ''}`,
  },

  // src/spec/convSpec.ts and src/spec/networkSpec.ts
  { english: /^expected a conv spec: an object with "input" and "weight", found ([^]*)$/, chinese: v => `应为卷积规格：含 "input" 和 "weight" 的对象，实际为 ${describedValue(v)}` },
  {
    english: /^unknown key "([^]*?)"(?: \(did you mean "([^]*?)"\?\))?; a (conv|network) spec has ([^]*)$/,
    chinese: (key, hint, kind, keys) => `未知的键 "${key}"${hint ? `（是不是 "${hint}"？）` : ''}；${kind === 'conv' ? '卷积' : '网络'}规格的键有 ${keys}`,
  },
  { english: /^missing key "([^]*?)" (\(.*\))$/, chinese: (key, axes) => `缺少键 "${key}" ${axes}` },
  { english: /^dtype must be "float64" or "float32", found ([^]*)$/, chinese: v => `dtype 必须是 "float64" 或 "float32"，实际为 ${describedValue(v)}` },
  { english: /^"npy" must be a file path, found ([^]*)$/, chinese: v => `"npy" 必须是文件路径，实际为 ${describedValue(v)}` },
  { english: /^missing \.npy file "([^]*)" \(paths are relative to the spec\)$/, chinese: file => `找不到 .npy 文件 "${file}"（路径相对于规格文件）` },
  {
    english: /^([^]+) holds a (\d+)-D array(?: (\(.*?\)))?, expected (\d+)-D (\(.*\))$/,
    chinese: (file, rank, shape, wanted, axes) => `${file} 存放的是 ${rank} 维数组${shape ? ` ${shape}` : ''}，应为 ${wanted} 维 ${axes}`,
  },
  { english: /^(\w+) must be an integer or a pair \[h, w\], found ([^]*)$/, chinese: (key, v) => `${key} 必须是整数或二元组 [h, w]，实际为 ${describedValue(v)}` },
  {
    english: /^padding must be an integer, \[ph, pw\], \[top, bottom, left, right\], "valid" or "same"(?:, found ([^]*))?$/,
    chinese: v => `padding（填充）必须是整数、[ph, pw]、[top, bottom, left, right]、"valid" 或 "same"${v ? `，实际为 ${describedValue(v)}` : ''}`,
  },
  { english: /^groups must be an integer, found ([^]*)$/, chinese: v => `groups（分组）必须是整数，实际为 ${describedValue(v)}` },
  { english: /^"layers" must be a non-empty list of layers, found ([^]*)$/, chinese: v => `"layers" 必须是非空的层列表，实际为 ${describedValue(v)}` },
  { english: /^a layer is an object with a "type", found ([^]*)$/, chinese: v => `层是带 "type" 的对象，实际为 ${describedValue(v)}` },
  { english: /^"type" must be one of ([^]*?), found ([^]*)$/, chinese: (types, v) => `"type" 必须是 ${types} 之一，实际为 ${describedValue(v)}` },
  { english: /^a (\w+) layer has no "([^]*?)"(?:; its keys: ([^]*))?$/, chinese: (type, key, keys) => `${type} 层没有 "${key}"${keys ? `；它的键有 ${keys}` : '（它没有其他键）'}` },
  { english: /^a (\w+) layer needs a "kernel"$/, chinese: type => `${type} 层需要 "kernel"（池化窗口）` },
  { english: /^ceil_mode must be true or false, found ([^]*)$/, chinese: v => `ceil_mode 必须是 true 或 false，实际为 ${describedValue(v)}` },
  { english: /^slope must be a number, found ([^]*)$/, chinese: v => `slope（leaky_relu 激活函数的斜率）必须是数字，实际为 ${describedValue(v)}` },
  {
    english: /^"loss" is (\{[^]*?\}) or (\{[^]*\}), found ([^]*)$/,
    chinese: (mse, crossEntropy, v) => `"loss"（损失函数）应为 ${mse} 或 ${crossEntropy}，实际为 ${describedValue(v)}`,
  },
  { english: /^cross_entropy's target is a list of class indices, one per batch item, found ([^]*)$/, chinese: v => `cross_entropy 的 target 是类别下标的列表，批次中每项一个，实际为 ${describedValue(v)}` },
  { english: /^give a loss or a grad, not both$/, chinese: () => '请给出 loss（损失函数）或 grad（梯度）之一，不要同时给出' },

  // src/spec/nested.ts and the ragged arrays of src/spec/locator.ts
  { english: /^expected a (\d+)-D array (\(.*?\)), found a (\d+)-D array of shape (\(.*\))$/, chinese: (rank, axes, found, shape) => `应为 ${rank} 维数组 ${axes}，实际为形状 ${shape} 的 ${found} 维数组` },
  { english: /^expected a (\d+)-D array (\(.*?\)), found ([^]*)$/, chinese: (rank, axes, v) => `应为 ${rank} 维数组 ${axes}，实际为 ${describedValue(v)}` },
  { english: /^empty array: (\(.*\)) has no empty dimensions$/, chinese: axes => `空数组：${axes} 的各维都不能为空` },
  {
    english: /^expected a number, found an array: the array is deeper here than at (\S+) (\(.*\))$/,
    chinese: (first, shape) => `此处应为数字，实际为数组：这里的数组比 ${first} ${shape} 处更深`,
  },
  { english: /^expected a number, found ([^]*)$/, chinese: v => `此处应为数字，实际为 ${describedValue(v)}` },
  { english: /^ragged array: expected an array of (\d+) like (\S+), found ([^]*)$/, chinese: (n, first, v) => `参差数组：应为与 ${first} 一样含 ${n} 个元素的数组，实际为 ${describedValue(v)}` },
  { english: /^ragged array: (\d+) elements where (\S+) has (\d+)$/, chinese: (n, first, m) => `参差数组：此处有 ${n} 个元素，而 ${first} 有 ${m} 个` },
  { english: /^ragged array: numbers and arrays mixed at the same depth$/, chinese: () => '参差数组：同一深度上混有数字和数组' },
  { english: /^ragged array: shape (\(.*?\)) where (\S+) has (\(.*\))$/, chinese: (shape, first, other) => `参差数组：此处形状为 ${shape}，而 ${first} 的形状为 ${other}` },

  // src/spec/npy.ts (after "file.npy: ")
  { english: /^not a \.npy file \(no \\x93NUMPY magic\)$/, chinese: () => '不是 .npy 文件（没有 \\x93NUMPY 魔数）' },
  { english: /^unsupported \.npy version (\d+)\.(\d+)$/, chinese: (major, minor) => `不支持的 .npy 版本 ${major}.${minor}` },
  { english: /^the \.npy header is cut short$/, chinese: () => '.npy 文件头不完整' },
  { english: /^structured arrays \(record dtypes\) are not supported: save a plain numeric array$/, chinese: () => '不支持结构化数组（记录 dtype）：请保存普通的数值数组' },
  { english: /^the \.npy header has no dtype: ([^]*)$/, chinese: header => `.npy 文件头没有 dtype：${header}` },
  { english: /^malformed \.npy header: ([^]*)$/, chinese: header => `.npy 文件头格式错误：${header}` },
  { english: /^malformed shape (\([^]*\)) in the \.npy header$/, chinese: shape => `.npy 文件头中的形状 ${shape} 格式错误` },
  { english: /^unknown byte order in dtype ('[^]*')$/, chinese: dtype => `dtype ${dtype} 的字节序未知` },
  {
    english: /^dtype ('[^]*?') \(([^,)]+)(?:, (\d+) bytes)?\) is not supported: use float16\/32\/64, integers or bool$/,
    chinese: (dtype, kind, size) => `不支持 dtype ${dtype}（${NPY_KINDS[kind] ?? kind}${size ? `，${size} 字节` : ''}）：请使用 float16/32/64、整数或 bool`,
  },
  {
    english: /^the \.npy data is cut short: shape (\(.*?\)) needs (\d+) bytes, the file has (-?\d+)$/,
    chinese: (shape, needed, has) => `.npy 数据不完整：形状 ${shape} 需要 ${needed} 字节，文件只有 ${has} 字节`,
  },

  { english: /^the \.npy header is (\d+) bytes, more than numpy's limit of (\d+)$/, chinese: (n, limit) => `.npy 文件头有 ${n} 字节，超过 numpy 的上限 ${limit}` },

  // src/spec/specFiles.ts (after "file.npy: ")
  { english: /^not a regular file \((a FIFO|a device|a directory|a socket|a FIFO, device or socket)\)$/, chinese: type => `不是普通文件（${FILE_TYPES[type] ?? type}）` },
  {
    english: /^the file is outside the workspace folder ("[^]*"); a spec reads \.npy files from its own workspace folder only$/,
    chinese: folder => `文件位于工作区文件夹 ${folder} 之外；规格文件只能读取其所在工作区文件夹中的 .npy 文件`,
  },
  { english: /^the file is (\d+) bytes, more than the element limit of (\d+) allows$/, chinese: (n, limit) => `文件有 ${n} 字节，超过元素上限 ${limit} 所允许的大小` },
  {
    english: /^the file is (\d+) bytes, more than the (\d+) bytes left for the spec's \.npy files together \((\d+) × what the element limit of (\d+) allows one file\)$/,
    chinese: (n, left, factor, limit) => `文件有 ${n} 字节，超过该规格的 .npy 文件合计剩余的 ${left} 字节（元素上限 ${limit} 允许单个文件大小的 ${factor} 倍）`,
  },
  { english: /^the \.npy array has (\d+) elements, more than the element limit of (\d+)$/, chinese: (n, limit) => `.npy 数组有 ${n} 个元素，超过元素上限 ${limit}` },
  { english: /^cannot be read: ([^]*)$/, chinese: why => `无法读取：${why}` },

  // src/spec/source.ts: nesting
  { english: /^nested more than (\d+) levels deep, too deep for a spec$/, chinese: n => `嵌套超过 ${n} 层，对规格文件来说太深` },

  // src/engine/convInfo.ts
  { english: /^(\w+) must be an integer, got ([^]*)$/, chinese: (key, v) => `${key} 必须是整数，实际为 ${v}` },
  { english: /^(\w+) must be at least 1, got ([^]*)$/, chinese: (key, v) => `${key} 至少为 1，实际为 ${v}` },
  { english: /^(\w+) must be a number or a pair \[h, w\]$/, chinese: key => `${key} 必须是数字或二元组 [h, w]` },
  { english: /^padding must be made of integers, got ([^]*)$/, chinese: v => `padding（填充）必须由整数组成，实际为 ${v}` },
  { english: /^padding must not be negative, got ([^]*)$/, chinese: v => `padding（填充）不能为负，实际为 ${v}` },
  { english: /^(\w+) must be (\d+)-D (\(.*?\)), got (\d+)-D (\(.*\))$/, chinese: (key, rank, axes, got, shape) => `${key} 必须是 ${rank} 维 ${axes}，实际为 ${got} 维 ${shape}` },
  { english: /^(\w+) (\(.*?\)) has an empty dimension$/, chinese: (key, shape) => `${key} ${shape} 有一维为空` },
  {
    english: /^groups (\d+) does not divide the input's (\d+) channels (\(.*\))$/,
    chinese: (groups, channels, note) => `分组数 groups ${groups} 不能整除输入的 ${channels} 个通道${convShapesNote(note)}`,
  },
  {
    english: /^groups (\d+) does not divide the weight's (\d+) output channels (\(.*\))$/,
    chinese: (groups, channels, note) => `分组数 groups ${groups} 不能整除卷积核的 ${channels} 个输出通道${convShapesNote(note)}`,
  },
  {
    english: /^input has (\d+) channels but weight expects (\d+) (\(.*\))$/,
    chinese: (has, expects, note) => `输入有 ${has} 个通道，但卷积核需要 ${expects} 个${convShapesNote(note)}`,
  },
  {
    english: /^bias must have shape (\(\d+,\)) to match the weight's (\d+) output channels, got (\(.*\))$/,
    chinese: (shape, channels, got) => `偏置 bias 的形状必须是 ${shape}，与卷积核的 ${channels} 个输出通道一致，实际为 ${got}`,
  },
  { english: /^padding "same" needs stride 1, got stride (\(.*\))$/, chinese: stride => `padding "same" 要求步长 stride 为 1，实际步长为 ${stride}` },
  {
    english: /^(dilated )?kernel (\d+x\d+) is larger than the padded input (\d+x\d+) \(input (\(.*?\)), weight (\(.*?\)), padding (\[.*?\]), dilation (\(.*?\))\)$/,
    chinese: (dilated, kernel, padded, input, weight, padding, dilation) =>
      `${dilated ? '膨胀后的' : ''}卷积核 ${kernel} 大于填充后的输入 ${padded}（输入 ${input}，权重 ${weight}，填充 ${padding}，膨胀 ${dilation}）`,
  },
  {
    english: /^grad must have the output's shape (\(.*?\))( \(B, Cout, Hout, Wout\))?, got (\(.*\))$/,
    chinese: (shape, axes = '', got) => `梯度 grad 的形状必须与输出相同：${shape}${axes}，实际为 ${got}`,
  },
  // src/engine/budget.ts
  {
    english: /^(\S+) would hold ([\d,]+) elements (\(.*?\)), over the limit of ([\d,]+)$/,
    chinese: (name, n, shape, limit) => `${name} 将有 ${n} 个元素 ${shape}，超过上限 ${limit}`,
  },
  {
    english: /^its (\d+) tensors would hold ([\d,]+) elements in all, over (\d+) × the limit of ([\d,]+)$/,
    chinese: (count, n, factor, limit) => `它的 ${count} 个张量合计将有 ${n} 个元素，超过上限 ${limit} 的 ${factor} 倍`,
  },

  // src/engine/layers.ts
  {
    english: /^expects a (\d+)-D input (\(.*?\)), got (\(.*?\))(: put a flatten before it)?$/,
    chinese: (rank, axes, got, flattenHint) => `需要 ${rank} 维输入 ${axes}，实际为 ${got}${flattenHint ? '：请在它之前加一个 flatten 层' : ''}`,
  },
  { english: /^(\w+) must be an integer of at least 1, got ([^]*)$/, chinese: (key, v) => `${key} 必须是不小于 1 的整数，实际为 ${v}` },
  { english: /^avgpool2d has no dilation \(as PyTorch\)$/, chinese: () => 'avgpool2d（平均池化）没有膨胀 dilation（与 PyTorch 相同）' },
  { english: /^padding must be non-negative integers, got (\(.*\))$/, chinese: v => `padding（填充）必须是非负整数，实际为 ${v}` },
  {
    english: /^padding (\(.*?\)) must be at most half the kernel (\(.*?\)), as PyTorch requires$/,
    chinese: (padding, kernel) => `填充 ${padding} 不能超过池化窗口 ${kernel} 的一半（PyTorch 的要求）`,
  },
  {
    english: /^a (\d+x\d+) window \(dilation (\d+), (\d+)\) does not fit the input (\d+x\d+) with padding (\(.*?\))$/,
    chinese: (window, dh, dw, input, padding) => `${window} 的池化窗口（膨胀 ${dh}, ${dw}）放不进填充 ${padding} 后的输入 ${input}`,
  },
  { english: /^weight must be 2-D \(out, in\), got (\(.*\))$/, chinese: shape => `权重 weight 必须是 2 维 (out, in)，实际为 ${shape}` },
  {
    english: /^input has (\d+) features but weight expects (\d+) \(input (\(.*?\)), weight (\(.*?\))\)$/,
    chinese: (has, expects, input, weight) => `输入有 ${has} 个特征，但权重需要 ${expects} 个（输入 ${input}，权重 ${weight}）`,
  },
  { english: /^bias must have shape (\(\d+,\)), got (\(.*\))$/, chinese: (shape, got) => `偏置 bias 的形状必须是 ${shape}，实际为 ${got}` },
  { english: /^target has shape (\(.*?\)) but the output is (\(.*\))$/, chinese: (target, output) => `target 的形状是 ${target}，但输出的形状是 ${output}` },
  {
    english: /^expects \(B, classes\) logits, got (\(.*?\)): end the network with a linear layer$/,
    chinese: shape => `需要 (B, classes) 形状的 logits，实际为 ${shape}：请用一个 linear 层结束网络`,
  },
  { english: /^target has (\d+) class indices for a batch of (\d+)$/, chinese: (n, batch) => `target 有 ${n} 个类别下标，而批次大小为 ${batch}` },
  { english: /^(target\[\d+\]) = ([^]*?) is not a class index in (0\.\.\d+)$/, chinese: (at, v, range) => `${at} = ${v} 不是 ${range} 中的类别下标` },

  // src/engine/network.ts
  { english: /^expects at least a 2-D input, got (\(.*\))$/, chinese: shape => `需要至少 2 维的输入，实际为 ${shape}` },
  { english: /^a network needs at least one layer$/, chinese: () => '网络至少需要一层' },

  // src/engine/compare.ts
  {
    english: /^yours has shape (\(.*?\)) \((\d+) values\) but the engine's (\S+) is (\(.*?\)) \((\d+) values\)$/,
    chinese: (yours, n, name, engine, m) => `你的张量形状为 ${yours}（${n} 个值），而引擎的 ${name} 为 ${engine}（${m} 个值）`,
  },
  { english: /^the engine's trace has no (\S+)$/, chinese: name => `引擎的追踪结果中没有 ${name}` },

  // nonFiniteWarnings (src/spec/convSpec.ts): NaN and ±Infinity in tensors
  {
    english: /^(\S+) has (\d+) non-finite values? \(first: ([^]*?) = ([^]*)\)$/,
    chinese: (name, n, at, v) => `${name} 有 ${n} 个非有限值（NaN 或 ±Infinity），第一个：${at} = ${v}`,
  },
];

/** The op an EngineError message starts with, e.g. `conv2d: ` or `layers[2] (maxpool2d): `. */
const ENGINE_OP = /^(conv2d|maxpool2d|avgpool2d|linear|flatten|mse|cross_entropy|network|compare|layers\[\d+\] \(\w+\)): ([^]*)$/;
/** What network.ts appends to a layer's problem. */
const LAYER_INPUT = /^([^]*) — its input (\(.*?\)) comes from (the input|layers\[\d+\])$/;

function translateDetail(detail: string): string | undefined {
  const chained = LAYER_INPUT.exec(detail);
  if (chained) {
    const inner = translateDetail(chained[1]);
    return inner && `${inner}——它的输入 ${chained[2]} 来自${chained[3] === 'the input' ? '网络输入' : ` ${chained[3]}`}`;
  }
  for (const { english, chinese } of PROBLEM_PATTERNS) {
    const m = english.exec(detail);
    if (m) return chinese(...m.slice(1));
  }
  return undefined;
}

/** A problem in the user's language; unknown messages come back as they are (English). */
export function translateProblem(problem: string, locale: Locale): string {
  if (locale !== 'zh-cn') return problem;
  const op = ENGINE_OP.exec(problem);
  if (op) {
    const detail = translateDetail(op[2]);
    return detail === undefined ? problem : `${op[1]}：${detail}`;
  }
  const whole = translateDetail(problem);
  if (whole !== undefined) return whole;
  // "weights.npy: not a .npy file …": a file name, then the .npy reader's problem.
  for (let at = problem.indexOf(': '); at > 0; at = problem.indexOf(': ', at + 1)) {
    const detail = translateDetail(problem.slice(at + 2));
    if (detail !== undefined) return `${problem.slice(0, at)}：${detail}`;
  }
  return problem;
}

/**
 * A problem as a plain-text face shows it (the Problems panel, a notification, the
 * panel's status line): in the user's language, on one printable line, since it
 * quotes the spec's keys, strings and file names.
 */
export function shownProblem(problem: string, locale: Locale): string {
  return printable(translateProblem(problem, locale));
}
