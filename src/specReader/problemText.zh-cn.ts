// The engine's and the spec reader's problems in Chinese, one text per code (the
// compiler checks that none is missing). Numbers, shapes, JSON paths, keys, tensor
// names and quoted values are kept as the English has them.

import { ConvShapes, LayerAt, ProblemFrame, ProblemTable, thousands } from '../engine/problem';
import { formatShape, sizeOf } from '../engine/tensor';
import type { ValueDescription } from '../format/describe';
import type { JsonSyntax, ProblemArgs, SpecProblemArgs } from './problemCodes';
import { listed } from './problemText.en';
import { namedShapes, poolTaps } from '../engine/problemText.en';

/** What a layer's key means, after its name, where the name alone says little in Chinese. */
const KEY_GLOSS: Record<string, string> = { kernel: '（池化窗口）', slope: '（leaky_relu 激活函数的斜率）' };

/** What a value found in the spec is. */
function v(d: ValueDescription): string {
  switch (d.kind) {
    case 'null': return 'null';
    case 'array': return '数组';
    case 'empty array': return '空数组';
    case 'object': return '对象';
    case 'undefined': return '缺失（undefined）';
    case 'string': return `字符串 ${d.value}`;
    case 'number': return `数字 ${d.value}`;
    case 'boolean': return `布尔值 ${d.value}`;
    default: return `${d.kind} ${d.value}`;
  }
}

const SYNTAX: Record<JsonSyntax, string> = {
  InvalidSymbol: '意外的符号',
  InvalidNumberFormat: '无效的数字',
  PropertyNameExpected: '此处应为双引号括起的属性名',
  ValueExpected: '此处应为一个值',
  ColonExpected: '此处应为冒号',
  CommaExpected: '此处应为逗号',
  CommaOrBracketExpected: '此处应为逗号或右方括号 ]',
  CommaOrBraceExpected: '此处应为逗号或右花括号 }',
  CloseBraceExpected: '此处应为右花括号 }',
  CloseBracketExpected: '此处应为右方括号 ]',
  EndOfFileExpected: 'JSON 值结束后还有多余内容',
  InvalidCommentToken: '无效的注释',
  UnexpectedEndOfComment: '注释没有结束',
  UnexpectedEndOfString: '字符串没有结束',
  UnexpectedEndOfNumber: '数字没有结束',
  InvalidUnicode: '无效的 Unicode 转义',
  InvalidEscapeCharacter: '无效的转义字符',
  InvalidCharacter: '无效的字符',
};

/** .npy dtype kinds by their letter. */
const NPY_KINDS: Record<string, string> = {
  f: '浮点数', i: '有符号整数', u: '无符号整数', b: '布尔值', c: '复数', O: 'Python 对象', U: 'Unicode 字符串', S: '字节串', M: '日期时间', m: '时间间隔', V: 'void/原始字节',
};

const FILE_TYPES: Record<SpecProblemArgs['file.notRegular']['type'], string> = {
  fifo: '命名管道（FIFO）', device: '设备文件', directory: '目录', socket: '套接字', other: '命名管道、设备文件或套接字',
};

const pair = ([a, b]: readonly number[]) => `(${a}, ${b})`;
const convShapes = (a: ConvShapes) => `（输入 ${formatShape(a.input)}，权重 ${formatShape(a.weight)}，分组 ${a.groups}）`;

export const PROBLEMS_ZH_CN: ProblemTable<ProblemArgs> = {
  // src/engine
  'conv.notInteger': a => `${a.key} 必须是整数，实际为 ${a.value}`,
  'conv.belowOne': a => `${a.key} 至少为 1，实际为 ${a.value}`,
  'conv.notPair': a => `${a.key} 必须是数字或二元组 [h, w]`,
  'conv.paddingForm': () => 'padding（填充）必须是整数、[ph, pw]、[top, bottom, left, right]、"valid" 或 "same"',
  'conv.paddingNotInteger': a => `padding（填充）必须由整数组成，实际为 ${a.value}`,
  'conv.paddingNegative': a => `padding（填充）不能为负，实际为 ${a.value}`,
  'conv.rank': a => `${a.key} 必须是 ${a.rank} 维 ${a.axes}，实际为 ${a.shape.length} 维 ${formatShape(a.shape)}`,
  'conv.emptyDimension': a => `${a.key} ${formatShape(a.shape)} 有一维为空`,
  'conv.groupsInput': a => `分组数 groups ${a.groups} 不能整除输入的 ${a.channels} 个通道${convShapes(a)}`,
  'conv.groupsOutput': a => `分组数 groups ${a.groups} 不能整除卷积核的 ${a.channels} 个输出通道${convShapes(a)}`,
  'conv.channels': a => `输入有 ${a.has} 个通道，但卷积核需要 ${a.expects} 个${convShapes(a)}`,
  'conv.bias': a => `偏置 bias 的形状必须是 (${a.channels},)，与卷积核的 ${a.channels} 个输出通道一致，实际为 ${formatShape(a.shape)}`,
  'conv.sameStride': a => `padding "same" 要求步长 stride 为 1，实际步长为 ${pair(a.stride)}`,
  'conv.kernelTooLarge': a =>
    `${a.dilated ? '膨胀后的' : ''}卷积核 ${a.kernel.join('x')} 大于填充后的输入 ${a.padded.join('x')}` +
    `（输入 ${formatShape(a.input)}，权重 ${formatShape(a.weight)}，填充 [${a.padding.join(', ')}]，膨胀 ${pair(a.dilation)}）`,
  'conv1d.paddingForm': () => 'padding（填充）必须是不小于 0 的整数、"valid"、"same" 或 "causal"',
  'conv1d.sameStride': a => `padding "same" 要求步长 stride 为 1，实际步长为 ${a.stride}`,
  'conv1d.kernelTooLarge': a =>
    `卷积核跨越 ${a.extent} 个位置（膨胀 ${a.dilation}），超过填充后序列的 ${a.padded} 个位置` +
    `（输入 ${formatShape(a.input)}，权重 ${formatShape(a.weight)}，填充 [${a.padding.join(', ')}]）`,
  'grad.shape': a => `梯度 grad 的形状必须与输出相同：${formatShape(a.expected)}${a.axes ? ` ${a.axes}` : ''}，实际为 ${formatShape(a.shape)}`,
  'budget.limit': a => `maxElements（元素上限）必须是正整数，实际为 ${a.value}`,
  'budget.tensor': a => `${a.name} 将有 ${thousands(a.count)} 个元素 ${formatShape(a.shape)}，超过上限 ${thousands(a.limit)}`,
  'budget.total': a => `它的 ${a.tensors} 个张量合计将有 ${thousands(a.count)} 个元素，超过上限 ${thousands(a.limit)} 的 ${a.factor} 倍`,
  'layer.inputRank': a => `需要 ${a.rank} 维输入 ${a.axes}，实际为 ${formatShape(a.shape)}${a.flattenHint ? '：请在它之前加一个 flatten 层' : ''}`,
  'pool.notPositive': a => `${a.key} 必须是不小于 1 的整数，实际为 ${a.value}`,
  'pool.avgDilation': () => 'avgpool2d（平均池化）没有膨胀 dilation（与 PyTorch 相同）',
  'pool.paddingForm': () => 'padding（填充）必须是整数、[ph, pw] 或 [top, bottom, left, right]',
  'pool.paddingNegative': a => `padding（填充）必须是非负整数，实际为 (${a.padding.join(', ')})`,
  'pool.paddingHalf': a => `填充 ${pair(a.padding)} 不能超过池化窗口 ${pair(a.kernel)} 的一半（PyTorch 的要求）`,
  'pool.paddingKernel': a => `填充 (${a.padding.join(', ')})（上、下、左、右）每一边都必须小于池化窗口 ${pair(a.kernel)}（ONNX 的要求；计入填充的平均池化不受此限）`,
  'pool.windowTooLarge': a => `${a.kernel.join('x')} 的池化窗口（膨胀 ${a.dilation.join(', ')}）放不进填充 (${a.padding.join(', ')}) 后的输入 ${a.input.join('x')}`,
  'pool.windowOnPadding': a =>
    `输出第 ${a.window} ${a.axis === 'height' ? '行' : '列'}的池化窗口只落在填充上：它的抽头 ${poolTaps(a, '和')} 都不在输入的第 ` +
    `${a.input > 1 ? `0..${a.input - 1}` : '0'} ${a.axis === 'height' ? '行' : '列'}之内（池化窗口 ${a.kernel}，膨胀 ${a.dilation}，前填充 ${a.padding[0]}，后填充 ${a.padding[1]}），` +
    '因此没有值（空窗口的最大值会是 −∞，平均值是 0 / 0）：请减小填充或膨胀，或使用更大的输入',
  'linear.weightRank': a => `权重 weight 必须是 2 维 (out, in)，实际为 ${formatShape(a.shape)}`,
  'linear.features': a => `输入有 ${a.has} 个特征，但权重需要 ${a.expects} 个（输入 ${formatShape(a.input)}，权重 ${formatShape(a.weight)}）`,
  'linear.bias': a => `偏置 bias 的形状必须是 (${a.channels},)，实际为 ${formatShape(a.shape)}`,
  'mse.target': a => `target 的形状是 ${formatShape(a.target)}，但输出的形状是 ${formatShape(a.output)}`,
  'crossEntropy.logits': a => `需要 (B, classes) 形状的 logits，实际为 ${formatShape(a.shape)}：请用一个 linear 层结束网络`,
  'crossEntropy.batch': a => `target 有 ${a.count} 个类别下标，而批次大小为 ${a.batch}`,
  'crossEntropy.class': a => `target[${a.index}] = ${a.value} 不是 0..${a.last} 中的类别下标`,
  'upsample.nearestRule': a => `此处不读取 ${a.key} ${a.value}：其取值为 ${a.values.join('、')} 之一；nearest_mode 须与 mode "nearest" 及 coordinate_transformation_mode 同时给出，bilinear 取 coordinate_transformation_mode 或 align_corners，二者不能同时给出`,
  'flatten.rank': a => `需要至少 2 维的输入，实际为 ${formatShape(a.shape)}`,
  'reshape.size': a => (a.shape.length ? `形状 ${formatShape(a.shape)} 有 ${sizeOf(a.shape)} 个值，而 ${formatShape(a.input)} 的每个批次样本有 ${sizeOf(a.input.slice(1))} 个` : 'shape 必须是正整数列表'),
  'batchnorm.channels': a => `${a.key} 的形状必须是 (${a.channels},)，每个输入通道一个值，实际为 ${formatShape(a.shape)}`,
  'batchnorm.oneValue': a => `训练模式需要每个通道多于一个值（B·H·W ≥ 2），实际输入为 ${formatShape(a.shape)}`,
  'convT.negative': a => `${a.key} 不能为负，实际为 ${a.value}`,
  'convT.outputPadding': a => `输出填充 output_padding ${pair(a.outputPadding)} 在每个方向上都必须小于步长 stride ${pair(a.stride)} 或膨胀 dilation ${pair(a.dilation)}（PyTorch 的要求）`,
  'convT.paddingForm': () => 'padding（填充）必须是整数、[ph, pw] 或 [top, bottom, left, right]',
  'convT.outputEmpty': a =>
    `输出将是 ${a.output.join('x')}：窗口覆盖的 ${a.full.join('x')} 特征图减去填充 [${a.padding.join(', ')}]（上、下、左、右），再加上输出填充 ${pair(a.outputPadding)}，`
    + `至少应为 1x1（输入 ${formatShape(a.input)}，权重 ${formatShape(a.weight)}）`,
  'clip.range': a => `min ${a.min} 大于 max ${a.max}：取值范围为空`,
  'dropout.p': a => `p 必须在 [0, 1) 内，即丢弃一个值的概率，实际为 ${a.p}`,
  'adaptivePool.size': a => `不支持 output_size ${a.size.length === 1 ? a.size[0] : `[${a.size.join(', ')}]`}：只支持 1（或 [1, 1]），即全局平均池化，这是所导入模型使用的尺寸`,
  'upsample.which': () => 'scale_factor 与 size 必须且只能给出一个',
  'upsample.scale': a => `scale_factor [${a.scale.join(', ')}] 在每个轴上都必须是有限的正数`,
  'resample.output': a => `输出将是 ${formatShape(a.output)}：每个轴都必须是不小于 1 的整数`,
  'pad2d.padding': a => `padding 必须是整数，或由整数组成的 [left, right, top, bottom]，实际为 ${a.padding}`,
  'pad2d.reflect': a => `reflect 填充 [${a.padding.join(', ')}] 在每一侧都必须小于输入的高和宽（F.pad 的要求；输入 ${formatShape(a.input)}）`,
  'network.empty': () => '网络至少需要一层',
  'graph.inputSelf': a => `${a.name} 就是这一层本身：一层只能接收网络输入或前面各层的输出（规格中的顺序就是运行顺序）`,
  'graph.inputLater': a => `${a.name} 位于这一层（${a.layer}）之后，会形成环：一层只能接收网络输入或前面各层的输出（规格中的顺序就是运行顺序）`,
  'graph.inputMissing': a => `不存在 ${a.name}：网络共有 ${a.count} 层，即 layers[0] 到 layers[${a.count - 1}]`,
  'graph.oneInput': a => `${a.type} 层只接收一个输入，实际为 ${a.count} 个`,
  'graph.fewInputs': a => `${a.type} 层至少接收 ${a.min} 个输入，实际为 ${a.count} 个`,
  'graph.unused': a => `${a.name} 的输出没有被使用：后面没有任何层接收它，而只有最后一层是网络的输出`,
  'add.shapes': a => `相加的各输入形状必须相同：${namedShapes(a)}`,
  'concat.shapes': a => `沿通道（第 1 轴）拼接的各输入必须秩相同（至少为 2），且其余各轴一致：${namedShapes(a)}`,
  'mul.inputs': a => (a.by ? `带 "by" 的 mul 把一个输入乘以它，实际有 ${a.count} 个输入` : `不带 "by" 的 mul 把两个输入相乘，实际有 ${a.count} 个`),
  'mul.shapes': a => `mul 的两个因子必须能广播（从最后一轴对齐，每一轴大小相同或其中之一为 1${a.names.includes('by') ? '，且 "by" 广播到输入的形状' : ''}）：${namedShapes(a)}`,
  'layerSpec.inputs': a => `有 ${a.count} 个输入，而一个 spec 只有一个输入：不能单独保存为 spec`,
  'layerSpec.inputRank': a => `它的输入为 ${formatShape(a.shape)}，但以这一层开头的 spec 读取 ${a.rank} 维输入 ${a.axes}：不能单独保存为 spec`,
  'gradcheck.noTensor': a => `没有可检查的张量 ${a.name}`,
  'gradcheck.notGradient': a => `${a.name} 不是权重、偏置、输入或输出的梯度：其所在层没有为它声明可扰动的值`,
  'gradcheck.index': a => `单元格 [${a.index.join(', ')}] 不在 ${a.name} ${formatShape(a.shape)} 中`,
  'gradcheck.shape': a => `${a.name} 的形状为 ${formatShape(a.shape)}，而它所对应的值的形状为 ${formatShape(a.expected)}`,
  'gradcheck.tooBig': a => `检查 ${a.name} 的每个单元格要运行两次前向传播，共 ${thousands(a.work)} 次运算，超过上限 ${thousands(a.limit)}`,
  'compare.shape': a => `你的张量形状为 ${formatShape(a.yours)}（${a.yoursCount} 个值），而引擎的 ${a.name} 为 ${formatShape(a.engine)}（${a.engineCount} 个值）`,
  'compare.missing': a => `引擎的追踪结果中没有 ${a.name}`,
  'tensor.shape': a => `${a.key} 没有有效的形状（由非负整数组成的列表），实际为 ${a.shape}`,
  'tensor.dtype': a => `${a.key} 的 dtype 是 ${a.dtype}；引擎只用 float32 或 float64 计算`,
  'tensor.data': a => `${a.key} 是 ${a.dtype}，但它的数据不是 ${a.array}`,
  'tensor.size': a => `${a.key} 的形状 ${formatShape(a.shape)} 需要 ${a.needs} 个值，实际有 ${a.holds} 个`,

  // src/specReader
  'json.empty': () => '文件是空的',
  'json.syntax': a => `JSON 格式错误：${SYNTAX[a.error]}${
    a.nonFinite ? '（JSON 没有 NaN 和 Infinity，请写成字符串："NaN"、"Infinity"、"-Infinity"）' : a.near !== undefined ? `，位于 '${a.near}'` : ''}`,
  'json.tooDeep': a => `嵌套超过 ${a.limit} 层，对规格文件来说太深`,
  'spec.unreadable': a => `无法读取规格文件：${a.why}`,
  'spec.notConv': a => `应为卷积规格：含 "input" 和 "weight" 的对象，实际为 ${v(a.found)}`,
  'spec.unknownKey': a => `未知的键 "${a.key}"${a.hint ? `（是不是 "${a.hint}"？）` : ''}；${a.kind === 'conv' ? '卷积' : '网络'}规格的键有 ${a.keys.join(', ')}`,
  'spec.missingKey': a => `缺少键 "${a.key}" ${a.axes}`,
  'spec.dtype': a => `dtype 必须是 "float64" 或 "float32"，实际为 ${v(a.found)}`,
  'spec.npyPath': a => `"${a.format}" 必须是文件路径，实际为 ${v(a.found)}`,
  'spec.npyMissing': a => `找不到文件 "${a.file}"（路径相对于规格文件）`,
  'spec.npyRank': a => `${a.file} 存放的是 ${a.shape.length} 维数组 ${formatShape(a.shape)}，应为 ${a.expected} 维 ${a.axes}`,
  'spec.pair': a => `${a.key} 必须是整数或二元组 [h, w]，实际为 ${v(a.found)}`,
  'spec.padding': a => `padding（填充）必须是整数、[ph, pw]、[top, bottom, left, right]、"valid" 或 "same"，实际为 ${v(a.found)}`,
  'spec.groups': a => `groups（分组）必须是整数，实际为 ${v(a.found)}`,
  'network.layers': a => `"layers" 必须是非空的层列表，实际为 ${v(a.found)}`,
  'network.layer': a => `层是带 "type" 的对象，实际为 ${v(a.found)}`,
  'network.type': a => `"type" 必须是 ${a.types.join(', ')} 之一，实际为 ${v(a.found)}`,
  'network.layerKey': a => `${a.type} 层没有 "${a.key}"${a.keys.length ? `；它的键有 ${a.keys.join(', ')}` : '（它没有其他键）'}`,
  'network.required': a => `${a.type} 层需要 "${a.key}"${KEY_GLOSS[a.key] ?? ''}`,
  'network.boolean': a => `${a.key}${KEY_GLOSS[a.key] ?? ''} 必须是 true 或 false，实际为 ${v(a.found)}`,
  'network.number': a => `${a.key}${KEY_GLOSS[a.key] ?? ''} 必须是数字，实际为 ${v(a.found)}`,
  'network.loss': a => `"loss"（损失函数）应为 {"type": "mse", "target": [...]} 或 {"type": "cross_entropy", "target": [class, ...]}，实际为 ${v(a.found)}`,
  'network.lossKey': a => `${a.type} 损失没有 "${a.key}"；它的键有 ${a.keys.join(', ')}`,
  'network.classes': a => `cross_entropy 的 target 是类别下标的列表，批次中每项一个，实际为 ${v(a.found)}`,
  'network.lossAndGrad': () => '请给出 loss（损失函数）或 grad（梯度）之一，不要同时给出',
  'network.inputs': a => `"inputs" 是该层所接收输入的列表，例如 ["input", "layers[2]"]，实际为 ${v(a.found)}`,
  'network.model': a => `"model" 应指明一个 ONNX 文件：{"onnx": "model.onnx"}，实际为 ${v(a.found)}`,
  'network.modelAndLayers': () => '规格只能有 "model" 或 "layers" 之一，不能两者都有',
  'network.inputName': a => `输入应为 "input"（网络输入）或前面的某一层，如 "layers[2]"，实际为 ${v(a.found)}`,
  'nested.notArray': a => `应为 ${a.rank} 维数组 ${a.axes}，实际为 ${v(a.found)}`,
  'nested.rank': a => `应为 ${a.rank} 维数组 ${a.axes}，实际为形状 ${formatShape(a.shape)} 的 ${a.shape.length} 维数组`,
  'nested.empty': a => `空数组：${a.axes} 的各维都不能为空`,
  'nested.deeper': a => `此处应为数字，实际为数组：这里的数组比 ${a.first} ${formatShape(a.shape)} 处更深`,
  'nested.notNumber': a => `此处应为数字，实际为 ${v(a.found)}`,
  'ragged.notArray': a => `参差数组：应为与 ${a.first} 一样含 ${a.count} 个元素的数组，实际为 ${v(a.found)}`,
  'ragged.length': a => `参差数组：此处有 ${a.count} 个元素，而 ${a.first} 有 ${a.expected} 个`,
  'ragged.mixed': () => '参差数组：同一深度上混有数字和数组',
  'ragged.shape': a => `参差数组：此处形状为 ${formatShape(a.shape)}，而 ${a.first} 的形状为 ${formatShape(a.expected)}`,
  'npy.magic': () => '不是 .npy 文件（没有 \\x93NUMPY 魔数）',
  'npy.version': a => `不支持的 .npy 版本 ${a.major}.${a.minor}`,
  'npy.headerShort': () => '.npy 文件头不完整',
  'npy.headerLong': a => `.npy 文件头有 ${a.length} 字节，超过 numpy 的上限 ${a.limit}`,
  'npy.structured': () => '不支持结构化数组（记录 dtype）：请保存普通的数值数组',
  'npy.noDtype': a => `.npy 文件头没有 dtype：${a.header}`,
  'npy.header': a => `.npy 文件头格式错误：${a.header}`,
  'npy.shape': a => `.npy 文件头中的形状 (${a.shape}) 格式错误`,
  'npy.byteOrder': a => `dtype '${a.dtype}' 的字节序未知`,
  'npy.dtype': a => `不支持 dtype '${a.dtype}'（${NPY_KINDS[a.kind] ?? '未知类型'}${a.size ? `，${a.size} 字节` : ''}）：请使用 float16/32/64、整数或 bool`,
  'npy.dataShort': a => `.npy 数据不完整：形状 (${a.shape.join(', ')}) 需要 ${a.needed} 字节，文件只有 ${a.has} 字节`,
  'source.unknownKey': a => `{"${a.format}": …} 没有键 "${a.key}"；可用的键：${a.keys.join(', ')}`,
  'source.key': a => `${a.format} 文件可存放多个数组：请用 "${a.key}": "…" 指定其中一个，实际为 ${v(a.found)}`,
  'source.keyMissing': a => `文件中没有数组 "${a.key}"；文件中有：${a.keys.length ? listed(a.keys) : '（无）'}`,
  'image.format': () => '不是 PNG 或 JPEG 图像（文件开头不是这两种签名）',
  'image.truncated': a => `${a.format} 文件不完整`,
  'image.corrupt': a => `${a.format} 文件已损坏：${a.why}`,
  'image.jpegProcess': a => `不支持 JPEG 编码方式 ${a.marker}（无损、分层或算术编码）：请另存为基线或渐进式 JPEG，或 PNG`,
  'image.pngLowBitInterlaced': a => `不支持采样为 ${a.depth} 位的隔行扫描 PNG：请不用隔行扫描保存，或改用 8 位采样`,
  'image.tooMany': a => `图像为 ${a.width} × ${a.height}，${a.channels} 个通道：共 ${a.width * a.height * a.channels} 个值，超过元素上限 ${a.limit}`,
  'image.inflated': a => `PNG 图像数据解压后超过其尺寸所需的 ${a.expected} 字节（文件已损坏，或是压缩炸弹）`,
  'image.mode': a => `"mode" 必须是 "rgb" 或 "gray"，实际为 ${v(a.found)}`,
  'image.size': a => `"size" 必须是 [H, W]，即两个正整数，实际为 ${v(a.found)}`,
  'image.scale': a => `"scale" 必须是正数（255 把 8 位像素映射到 [0, 1]），实际为 ${v(a.found)}`,
  'image.normalize': a => `"normalize" 必须是 {"mean": [...], "std": [...]}，均为数字且 std 不为 0，实际为 ${v(a.found)}`,
  'image.normalizeLength': a => `"normalize" 的 ${a.key} 有 ${a.length} 个值，而图像有 ${a.channels} 个通道`,
  'npz.zip': a => `无法读取的 .npz（zip）文件：${a.why}`,
  'npz.entryTooBig': a => `数组 "${a.key}" 解压后有 ${a.size} 字节，超过元素上限所允许的 ${a.limit} 字节`,
  'npz.short': a => `数组 "${a.key}" 不完整：其数据需要 ${a.needed} 字节，文件只有 ${a.has} 字节`,
  'npz.method': a => `数组 "${a.key}" 使用 zip 压缩方法 ${a.method}：只能读取存储 (0) 和 deflate (8) 条目`,
  'npz.size': a => `数组 "${a.key}" 解压后${a.over ? '多于' : '少于'}其 zip 条目声明的 ${a.size} 字节（文件已损坏${a.over ? '，或是压缩炸弹' : ''}）`,
  'safetensors.header': a => `无法读取的 .safetensors 文件：${a.why}`,
  'safetensors.dtype': a => `张量 "${a.key}" 的 dtype 为 ${a.dtype}：只能读取 ${a.supported.join(', ')}`,
  'safetensors.offsets': a => `张量 "${a.key}" 的 data_offsets 为 [${a.begin}, ${a.end}]：其形状和 dtype 需要 ${a.needed} 字节，且应位于 ${a.has} 字节的数据之内`,
  'torch.archive': a => `无法读取的 PyTorch 检查点（zip）：${a.why}`,
  'torch.pickle': a => `无法读取检查点的 data.pkl：${a.why}`,
  'torch.opcode': a => `检查点的 pickle 使用了操作码 ${a.opcode}（第 ${a.at} 字节），state_dict 不会用到它：已拒绝，未执行任何代码`,
  'torch.global': a => `检查点的 pickle 引用了 ${a.global}，它不是重建张量的全局名：已拒绝，未导入或执行任何代码`,
  'torch.view': a => `张量 "${a.key}"（偏移 ${a.offset}，形状 [${a.size.join(', ')}]，步长 [${a.stride.join(', ')}]）读取超出了其 ${a.length} 个元素的存储`,
  'onnx.proto': a => `无法读取的 ONNX 模型：${a.why}`,
  'onnx.external': a => `初始化器 "${a.name}" 的数据保存在外部文件中：只读取 .onnx 文件内的数据`,
  'onnx.dtype': a => `初始化器 "${a.name}" 的 data_type 为 ${a.dataType}：只能读取 ${a.supported.join(', ')}`,
  'onnx.data': a => `初始化器 "${a.name}" 有 ${a.has} 个数据单位，而其 dims 和 data_type 需要 ${a.needed} 个`,
  'onnx.noGraph': () => '不是 ONNX 模型：其中没有计算图',
  'onnx.graphInputs': a => `计算图除初始化器外必须恰有一个输入；实际有 ${a.names.length ? listed(a.names) : '零个'}`,
  'onnx.graphOutputs': a => `计算图必须至少有一个输出；实际有 ${a.names.length ? listed(a.names) : '零个'}`,
  'onnx.inputUnknown': a => `模型的输入 "${a.name}" 没有声明形状：无法规划其节点的形状`,
  'onnx.inputShape': a => `模型的输入 "${a.name}" 声明为 (${a.declared.join(', ')})，而规格的输入为 ${formatShape(a.shape)}`,
  'onnx.twice': a => `张量 "${a.name}" 是两个节点的输出`,
  'onnx.missing': a => `节点 "${a.node}" 接收 "${a.name}"，但没有任何节点、初始化器或计算图输入产生它`,
  'onnx.cycle': a => `节点 "${a.node}" 处在一个环中：它经由其他节点等待自己的输出`,
  'onnx.op': a => `节点 "${a.node}" 是 ${a.op}，该算子不被读取；可读取的算子为 ${a.ops.join(', ')}`,
  'onnx.attribute': a => `节点 "${a.node}" (${a.op})：不读取 ${a.attribute} = ${a.found}；只读取 ${a.expected}`,
  'onnx.output': a => `节点 "${a.node}" (${a.op})：它的输出 "${a.output}" 被使用了，而 ${a.op} 只读取第一个输出`,
  'onnx.tensor': a => `节点 "${a.node}" (${a.op})："${a.name}" 必须是网络由其输入计算出的张量，而不是常量`,
  'onnx.weight': a => `节点 "${a.node}" (${a.op})："${a.name}" 必须是初始化器或常量，而不是网络计算出的张量`,
  'onnx.bias': a => `节点 "${a.node}" 加上一个常量：这只在它紧跟一个 MatMul、且该 MatMul 的输出不被其他节点使用时，作为其偏置读取`,
  'onnx.reshape': a => `节点 "${a.node}" 把 ${formatShape(a.input)} 变形为 [${a.shape.join(', ')}]：只读取展平为 (batch, 其余) 的变形`,
  'onnx.valueName': a => `模型没有值 ${a.names.map(n => `"${n}"`).join('、')}${!a.target && a.names.some(n => n.startsWith('grad:')) ? '（梯度 grad:NAME 需要目标类别）' : ''}；它有 ${a.known.join('、')}${a.more ? ` 等另外 ${a.more} 个` : ''}`,
  'onnx.empty': () => '模型的输出不是由任何层从其输入计算出来的',
  'onnx.divideByZero': a => `节点 "${a.node}"（Div）除以 "${a.name}"，其第 ${a.index} 个值为 0：除以零被拒绝，不会以无穷大运行`,
  'onnx.outputFirst': a => `计算图的第一个输出 "${a.output}" 是损失读取的输出，必须最后计算，但输出 "${a.later}" 在它之后、由它计算得到`,
  'file.notRegular': a => `不是普通文件（${FILE_TYPES[a.type]}）`,
  'file.outside': a => `文件位于工作区文件夹 "${a.folder}" 之外；规格文件只能读取其所在工作区文件夹中的文件`,
  'file.tooBig': a => `文件有 ${a.size} 字节，超过元素上限 ${a.limit} 所允许的大小`,
  'file.noRoom': a => `文件有 ${a.size} 字节，超过该规格引用的文件合计剩余的 ${a.room} 字节（元素上限 ${a.limit} 允许单个文件大小的 ${a.factor} 倍）`,
  'file.tooMany': a => `数组有 ${a.count} 个元素，超过元素上限 ${a.limit}`,
  'file.unreadable': a => `无法读取：${a.why}`,
  'values.nonFinite': a => `${a.name} 有 ${a.count} 个非有限值（NaN 或 ±Infinity），第一个：${a.at} = ${a.value}`,
};

/** The layer a problem arose in, and where its input came from. */
function layerText(layer: LayerAt, text: string): string {
  const source = layer.from ?? (layer.index === 0 ? 'input' : `layers[${layer.index - 1}]`);
  const from = layer.input && `——它的输入 ${formatShape(layer.input)} 来自${source === 'input' ? '网络输入' : ` ${source}`}`;
  return `layers[${layer.index}] (${layer.type}${layer.name ? ` "${layer.name}"` : ''})：${text}${from ?? ''}`;
}

export const FRAME_ZH_CN: ProblemFrame = {
  file: (file, text) => `${file}：${text}`,
  op: (op, text) => `${op}：${text}`,
  layer: layerText,
};
