// The float half of the model zoo: ResNet-18/50, MobileNetV2 and a tiny CNN as opset-13 Model IR with seeded weights.

import seedrandom from 'seedrandom';
import type { Tensor } from '../../common/tensor.js';
import { sizeOf } from '../../common/tensor.js';
import { attrInt, type Model } from '../../onnx/graph.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { A, ModelBuilder } from '../../test/helpers/model-builder.js';

export interface FloatModelOptions {
  /** Input height and width: the input is 'input' float32 [1, 3, R, R]. */
  resolution: number;
  /** Weights depend on the model and this seed only. */
  seed: number;
  /** Channel multiplier (default 1). */
  widthMult?: number;
  /** Width of the 'logits' output [1, classes] (default 1000; 10 for tinyCnn). */
  classes?: number;
}

export interface MobileNetV2Options extends FloatModelOptions {
  /**
   * Hard-swish instead of Relu6 after the stem conv and the last 1x1 conv (as in MobileNetV3): 'pattern' (or true)
   * is x * HardSigmoid(x) and keeps opset 13; 'op' is the HardSwish op and makes the model opset 14.
   */
  hardswish?: boolean | 'pattern' | 'op';
}

type Act = 'none' | 'relu' | 'relu6' | 'hardswish';

/** A value of the graph being built and its channel count. */
interface V {
  name: string;
  c: number;
}

/** torchvision's _make_divisible: channels rounded to a multiple of 8, never down by more than 10%. */
export function makeDivisible(v: number, divisor = 8): number {
  const r = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return r < 0.9 * v ? r + divisor : r;
}

/** Builds one network: every weight comes from one seeded stream, drawn in construction order. */
class Net {
  private readonly b: ModelBuilder;
  private readonly rng: () => number;
  private readonly hardswish: 'pattern' | 'op';
  private count = 0;
  private spare: number | undefined;
  private clipBounds = false;

  constructor(name: string, opts: FloatModelOptions, hardswish: 'pattern' | 'op' = 'pattern') {
    this.hardswish = hardswish;
    this.b = new ModelBuilder({ opset: hardswish === 'op' ? 14 : 13, msOpset: null, name });
    // Alea: a fast seeded generator (ResNet-50 draws 25M weights)
    this.rng = seedrandom.alea(`zoo:${name}:${opts.seed}`);
    this.b.input('input', 'float32', [1, 3, opts.resolution, opts.resolution]);
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  /** Standard normal (Box-Muller, both values used; 1 - u keeps the log finite). */
  private normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rng()));
    const t = 2 * Math.PI * this.rng();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  private init(name: string, shape: number[], gen: () => number): string {
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = gen();
    const t: Tensor<'float32'> = { dtype: 'float32', shape, data };
    this.b.initializer(name, t);
    return name;
  }

  private uniform(lo: number, hi: number): () => number {
    return () => lo + (hi - lo) * this.rng();
  }

  /** Conv with He-normal weights (std sqrt(2 / fan_in)) and a small bias; 'same' padding. */
  conv(x: V, cout: number, k: number, stride = 1, group = 1): V {
    const y = this.fresh('conv');
    const fanIn = (x.c / group) * k * k;
    const std = Math.sqrt(2 / fanIn);
    const w = this.init(`${y}_w`, [cout, x.c / group, k, k], () => std * this.normal());
    const b = this.init(`${y}_b`, [cout], () => 0.01 * this.normal());
    const p = Math.floor(k / 2);
    this.b.node('Conv', [x.name, w, b], [y], {
      kernel_shape: A.ints([k, k]),
      strides: A.ints([stride, stride]),
      pads: A.ints([p, p, p, p]),
      group: A.int(group),
    });
    return { name: y, c: cout };
  }

  /** Inference BN with sane random statistics; `gamma` scales the multiplier (small on residual branches). */
  bn(x: V, gamma = 1): V {
    const y = this.fresh('bn');
    const ins = [
      this.init(`${y}_gamma`, [x.c], this.uniform(0.8 * gamma, 1.2 * gamma)),
      this.init(`${y}_beta`, [x.c], () => 0.1 * this.normal()),
      this.init(`${y}_mean`, [x.c], () => 0.1 * this.normal()),
      this.init(`${y}_var`, [x.c], this.uniform(0.8, 1.25)),
    ];
    this.b.node('BatchNormalization', [x.name, ...ins], [y], { epsilon: A.float(1e-5) });
    return { name: y, c: x.c };
  }

  act(x: V, kind: Act): V {
    if (kind === 'none') return x;
    const y = this.fresh(kind);
    if (kind === 'relu') this.b.node('Relu', [x.name], [y]);
    else if (kind === 'relu6') {
      if (!this.clipBounds) {
        this.b.initializer('relu6_min', { dtype: 'float32', shape: [], data: Float32Array.of(0) });
        this.b.initializer('relu6_max', { dtype: 'float32', shape: [], data: Float32Array.of(6) });
        this.clipBounds = true;
      }
      this.b.node('Clip', [x.name, 'relu6_min', 'relu6_max'], [y]);
    } else if (this.hardswish === 'op') this.b.node('HardSwish', [x.name], [y]);
    else {
      const gate = this.fresh('hardsigmoid');
      this.b.node('HardSigmoid', [x.name], [gate], { alpha: A.float(1 / 6), beta: A.float(0.5) });
      this.b.node('Mul', [x.name, gate], [y]);
    }
    return { name: y, c: x.c };
  }

  /** Conv + BN + activation, the unit of every model here. */
  convBn(
    x: V,
    cout: number,
    k: number,
    act: Act,
    o: { stride?: number; group?: number; gamma?: number } = {},
  ): V {
    return this.act(this.bn(this.conv(x, cout, k, o.stride ?? 1, o.group ?? 1), o.gamma ?? 1), act);
  }

  add(a: V, b: V): V {
    const y = this.fresh('add');
    this.b.node('Add', [a.name, b.name], [y]);
    return { name: y, c: a.c };
  }

  maxPool(x: V, k: number, stride: number, pad: number): V {
    const y = this.fresh('maxpool');
    this.b.node('MaxPool', [x.name], [y], {
      kernel_shape: A.ints([k, k]),
      strides: A.ints([stride, stride]),
      pads: A.ints([pad, pad, pad, pad]),
    });
    return { name: y, c: x.c };
  }

  /** GlobalAveragePool, Flatten and Gemm (PyTorch Linear: transB) to 'logits' [1, classes]; builds the model. */
  head(x: V, classes: number): Model {
    const gap = this.fresh('gap');
    const flat = this.fresh('flatten');
    const std = 1 / Math.sqrt(x.c);
    const w = this.init('fc_w', [classes, x.c], () => std * this.normal());
    const b = this.init('fc_b', [classes], () => 0.01 * this.normal());
    this.b
      .node('GlobalAveragePool', [x.name], [gap])
      .node('Flatten', [gap], [flat], { axis: A.int(1) })
      .node('Gemm', [flat, w, b], ['logits'], { transB: A.int(1) })
      .output('logits', 'float32', [1, classes]);
    return { ...this.b.build(), producerName: 'npu-toolchain-zoo' };
  }
}

const input: V = { name: 'input', c: 3 };
/** Residual branches end in a BN with gamma ~0.3, so the variance grows slowly over the blocks. */
const BRANCH_GAMMA = 0.3;

/** The shortcut of a residual block: identity, or 1x1 conv + BN when the shape changes. */
function shortcut(n: Net, x: V, cout: number, stride: number): V {
  return stride === 1 && x.c === cout ? x : n.convBn(x, cout, 1, 'none', { stride });
}

function resnetStem(n: Net, width: number): V {
  const x = n.convBn(input, width, 7, 'relu', { stride: 2 });
  return n.maxPool(x, 3, 2, 1);
}

/** ResNet-18: 7x7/2 stem, max pool, 4 stages of 2 BasicBlocks (64..512 channels), GAP, Gemm. */
export function resnet18Like(opts: FloatModelOptions): Model {
  const n = new Net('resnet18Like', opts);
  const wm = opts.widthMult ?? 1;
  let x = resnetStem(n, makeDivisible(64 * wm));
  [64, 128, 256, 512].forEach((c, stage) => {
    const cout = makeDivisible(c * wm);
    for (let i = 0; i < 2; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const y = n.convBn(x, cout, 3, 'relu', { stride });
      const z = n.convBn(y, cout, 3, 'none', { gamma: BRANCH_GAMMA });
      x = n.act(n.add(z, shortcut(n, x, cout, stride)), 'relu');
    }
  });
  return n.head(x, opts.classes ?? 1000);
}

/** ResNet-50 (v1.5: stride in the 3x3): bottleneck blocks [3, 4, 6, 3], 64..512 inner, 256..2048 out channels. */
export function resnet50Like(opts: FloatModelOptions): Model {
  const n = new Net('resnet50Like', opts);
  const wm = opts.widthMult ?? 1;
  let x = resnetStem(n, makeDivisible(64 * wm));
  [3, 4, 6, 3].forEach((blocks, stage) => {
    const inner = makeDivisible(64 * 2 ** stage * wm);
    const cout = 4 * inner;
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const a = n.convBn(x, inner, 1, 'relu');
      const b = n.convBn(a, inner, 3, 'relu', { stride });
      const c = n.convBn(b, cout, 1, 'none', { gamma: BRANCH_GAMMA });
      x = n.act(n.add(c, shortcut(n, x, cout, stride)), 'relu');
    }
  });
  return n.head(x, opts.classes ?? 1000);
}

/** torchvision's MobileNetV2 inverted-residual settings: expansion t, channels c, repeats n, first stride s. */
const MOBILENET_V2_SETTINGS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** MobileNetV2: 3x3/2 stem, 17 inverted residual blocks, 1x1 conv to 1280 (more when widthMult > 1), GAP, Gemm. */
export function mobilenetV2Like(opts: MobileNetV2Options): Model {
  const hs = opts.hardswish ?? false;
  const n = new Net('mobilenetV2Like', opts, hs === 'op' ? 'op' : 'pattern');
  const edge: Act = hs === false ? 'relu6' : 'hardswish';
  const wm = opts.widthMult ?? 1;
  let x = n.convBn(input, makeDivisible(32 * wm), 3, edge, { stride: 2 });
  for (const [t, c, reps, s] of MOBILENET_V2_SETTINGS) {
    const cout = makeDivisible(c * wm);
    for (let i = 0; i < reps; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = Math.round(x.c * t);
      const e = t === 1 ? x : n.convBn(x, hidden, 1, 'relu6');
      const d = n.convBn(e, hidden, 3, 'relu6', { stride, group: hidden });
      const p = n.convBn(d, cout, 1, 'none', {
        gamma: stride === 1 && x.c === cout ? BRANCH_GAMMA : 1,
      });
      x = stride === 1 && x.c === cout ? n.add(p, x) : p;
    }
  }
  x = n.convBn(x, makeDivisible(1280 * Math.max(1, wm)), 1, edge);
  return n.head(x, opts.classes ?? 1000);
}

/** A few-layer CNN for fast tests (resolution 8-16): conv, max pool, depthwise + pointwise with a residual Add. */
export function tinyCnn(opts: FloatModelOptions): Model {
  const n = new Net('tinyCnn', opts);
  const wm = opts.widthMult ?? 1;
  const c = makeDivisible(8 * wm);
  let x = n.maxPool(n.convBn(input, c, 3, 'relu'), 2, 2, 0);
  const d = n.convBn(x, c, 3, 'relu6', { group: c });
  const p = n.convBn(d, c, 1, 'none', { gamma: 0.5 });
  x = n.act(n.add(p, x), 'relu');
  x = n.convBn(x, 2 * c, 3, 'relu', { stride: 2 });
  return n.head(x, opts.classes ?? 10);
}

/** Multiply-accumulates of the Conv, Gemm and MatMul nodes (from inferred shapes); other ops are not counted. */
export function estimateMacs(model: Model): number {
  const shapes = inferShapes(model);
  const dims = (name: string): number[] =>
    (shapes.get(name)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
  let macs = 0;
  for (const node of model.graph.nodes) {
    const out = sizeOf(dims(node.outputs[0] ?? ''));
    if (node.opType === 'Conv') {
      const w = dims(node.inputs[1] ?? '');
      macs += out * sizeOf(w.slice(1));
    } else if (node.opType === 'Gemm' || node.opType === 'MatMul') {
      const a = dims(node.inputs[0] ?? '');
      const transA = node.opType === 'Gemm' && attrInt(node, 'transA', 0) !== 0;
      macs += out * (transA ? (a[0] ?? 1) : (a[a.length - 1] ?? 1));
    }
  }
  return macs;
}
