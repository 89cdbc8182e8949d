// The one catalog of user-facing diagnostics: every error a user can see has a stable code here.

export const DIAGNOSTICS = {
  // 1xxx: files and formats
  fileNotFound: { code: 1001, message: 'file not found' },
  fileUnreadable: { code: 1002, message: 'cannot read file: {0}' },
  notOnnx: { code: 1003, message: 'not a valid ONNX model: {0}' },
  modelTooLarge: { code: 1004, message: 'model is {0} bytes; the limit is {1}' },
  badNpy: { code: 1010, message: 'not a valid .npy file: {0}' },
  npyDtype: { code: 1011, message: 'unsupported .npy dtype {0} (supported: {1})' },
  writeFailed: { code: 1020, message: 'cannot write file: {0}' },
  // 2xxx: graph structure
  unknownOp: {
    code: 2001,
    message: "op '{0}' (domain '{1}') is not supported by the reference interpreter",
  },
  missingInput: {
    code: 2002,
    message: "input '{0}' is not produced by any node, graph input or initializer",
  },
  graphCycle: { code: 2003, message: 'the graph has a cycle through {0}' },
  badAttribute: { code: 2004, message: "attribute '{0}': {1}" },
  badInputCount: { code: 2005, message: 'expects {0} inputs, got {1}' },
  wrongDType: { code: 2006, message: "input '{0}' has dtype {1}; expected {2}" },
  shapeMismatch: { code: 2007, message: '{0}' },
  unsupportedTensorType: { code: 2008, message: "tensor '{0}' has unsupported data type {1}" },
  badTensorData: { code: 2009, message: "tensor '{0}': {1}" },
  missingGraphInput: { code: 2010, message: "graph input '{0}' was not provided" },
  unknownGraphInput: { code: 2011, message: "'{0}' is not an input of the model (inputs: {1})" },
  unsupported: { code: 2012, message: '{0}' },
  // 9xxx: CLI usage
  badArgument: { code: 9001, message: '{0}' },
  // 3xxx: hardware config, ISA and programs
  hwUnknown: {
    code: 3001,
    message: "'{0}' is neither a hardware preset ({1}) nor a readable JSON file",
  },
  hwInvalid: { code: 3002, message: 'invalid hardware config: {0}: {1}' },
  hwBadJson: { code: 3003, message: 'hardware config is not valid JSON: {0}' },
  isaIllegalOpcode: { code: 3010, message: 'illegal opcode {0}' },
  isaBadEncoding: { code: 3011, message: "bad encoding of '{0}': {1}" },
  isaFieldRange: { code: 3012, message: "'{0}': field '{1}' = {2} is out of range ({3})" },
  asmSyntax: { code: 3013, message: 'line {0}: {1}' },
  progBadMagic: { code: 3020, message: 'not a prog.bin (bad magic {0}; expected {1})' },
  progVersion: {
    code: 3021,
    message:
      'prog.bin format version {0} is not supported (this build reads version {1}); recompile it with this npuc',
  },
  progChecksum: {
    code: 3022,
    message: 'checksum mismatch (stored {0}, computed {1}): the file is corrupted',
  },
  progTruncated: {
    code: 3023,
    message: 'truncated {0}: needs {1} bytes at offset {2} but only {3} remain',
  },
  progFingerprint: {
    code: 3024,
    message:
      "compiled for hardware '{0}' (fingerprint {1}) but the given hardware is '{2}' (fingerprint {3}); run with --hw matching '{0}' or recompile with --hw {2}",
  },
  progBadSection: { code: 3025, message: 'bad section {0}: {1}' },
  // 4xxx: simulator faults (pc, mnemonic and ONNX node are in the message / location)
  simIllegalInstruction: { code: 4001, message: 'pc {0}: illegal instruction: {1}' },
  simSramRange: { code: 4002, message: 'pc {0} ({1}): {2}' },
  simDramRange: { code: 4003, message: 'pc {0} ({1}): {2}' },
  simMisaligned: { code: 4004, message: 'pc {0} ({1}): misaligned {2}' },
  simBadOperand: { code: 4005, message: 'pc {0} ({1}): {2}' },
  simDeadlock: {
    code: 4006,
    message:
      'pc {0} ({1}): deadlock: waits on semaphores {2} that no running or queued instruction can signal ({3})',
  },
  simNoHalt: { code: 4007, message: 'the program ends at pc {0} without a halt instruction' },
  simInput: { code: 4008, message: "input '{0}': {1}" },
  simBadParams: { code: 4009, message: 'pc {0} ({1}): bad parameter block: {2}' },
  // 5xxx: compiler
  npuUnsupportedNodes: {
    code: 5001,
    message:
      '{0} node(s) cannot run on the NPU: {1}; rerun with --cpu-fallback to run them on the host',
  },
  dynamicShape: {
    code: 5002,
    message:
      "tensor '{0}' has a dynamic shape [{1}]; the NPU needs static shapes: fix the symbolic dims, e.g. --fix-dims {2}",
  },
  tileTooLarge: {
    code: 5003,
    message: 'the smallest tile of {0} needs {1} bytes of SRAM but the hardware has {2}',
  },
  dramTooSmall: {
    code: 5004,
    message: 'the program needs {0} bytes of DRAM but the hardware has {1}',
  },
  npuDynamicQuantization: {
    code: 5005,
    message:
      "the model is dynamically quantized ({0} DynamicQuantizeLinear node(s), first '{1}'): their scale and zero point are float values computed from each tensor's run-time min/max, but NPU instructions take scales and zero points from compile-time constants and write 8-bit outputs; quantize statically for the NPU (npuq --calib), or rerun with --cpu-fallback to see the host/NPU partition",
  },
  // 9xxx: CLI usage (sweeps)
  sweepSet: { code: 9010, message: '--set {0}: {1}' },
} as const satisfies Record<string, { code: number; message: string }>;

export type DiagnosticId = keyof typeof DIAGNOSTICS;

/** Where an error happened: the file, and the node or instruction inside it. */
export interface ErrorLocation {
  file?: string;
  node?: string;
  opType?: string;
}

/** A user-facing error: printed as one line by the CLIs, never as a stack trace (unless --verbose). */
export class NpuError extends Error {
  readonly code: number;
  readonly id: DiagnosticId;
  location: ErrorLocation;

  constructor(
    id: DiagnosticId,
    args: readonly (string | number)[] = [],
    location: ErrorLocation = {},
  ) {
    const d = DIAGNOSTICS[id];
    const text = d.message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
    super(text);
    this.name = 'NpuError';
    this.code = d.code;
    this.id = id;
    this.location = { ...location };
  }

  /** Adds context (file, node) as the error travels outwards; inner context wins. */
  at(location: ErrorLocation): this {
    this.location = { ...location, ...this.location };
    return this;
  }

  /** One line: `error NPU2001: model.onnx: node 'conv1' (Conv): message`. */
  format(): string {
    const where: string[] = [];
    if (this.location.file !== undefined) where.push(this.location.file);
    if (this.location.node !== undefined) {
      const op = this.location.opType !== undefined ? ` (${this.location.opType})` : '';
      where.push(`node '${this.location.node}'${op}`);
    }
    return `error NPU${this.code}: ${[...where, this.message].join(': ')}`;
  }
}

export function fail(
  id: DiagnosticId,
  args: readonly (string | number)[] = [],
  location: ErrorLocation = {},
): never {
  throw new NpuError(id, args, location);
}
