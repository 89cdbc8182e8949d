// Renders docs/isa.md from the ISA table (scripts/gen-isa-doc.ts writes it; test/isa/docs.test.ts checks it is current).
import { hex } from './bits.js';
import { reservedMask, SYNC_FIELDS, type PlacedField, type ResolvedInstruction } from './format.js';
import { EXAMPLE_ASM } from './example.js';
import { ISA } from './table.js';
import {
  DIM_BITS,
  DMA_CHANNEL_BITS,
  DRAM_ADDR_BITS,
  OPCODE_BITS,
  SRAM_ADDR_BITS,
  STRIDE_BITS,
  SYNC_MASK_BITS,
  WORD_BITS,
  WORD_BYTES,
} from './word.js';

const KIND_TEXT = { u: 'unsigned', s: 'signed', f32: 'float32', enum: 'enum' } as const;

const range = (lsb: number, bits: number): string =>
  bits === 1 ? `${lsb}` : `${lsb + bits - 1}:${lsb}`;

function kindText(f: PlacedField): string {
  return f.kind === 'enum'
    ? `enum: ${f.values!.map((v, k) => `${k}=${v}`).join(', ')}`
    : KIND_TEXT[f.kind];
}

/** Maximal runs of set bits of a mask, as [lsb, bits]. */
function runs(mask: bigint): [number, number][] {
  const out: [number, number][] = [];
  for (let b = 0; b < WORD_BITS; b++) {
    if (((mask >> BigInt(b)) & 1n) === 0n) continue;
    const last = out.at(-1);
    if (last !== undefined && last[0] + last[1] === b) last[1]++;
    else out.push([b, 1]);
  }
  return out;
}

const escape = (s: string): string => s.replace(/\|/g, '\\|');

function renderInstruction(i: ResolvedInstruction): string {
  const rows: [number, string][] = [
    [0, `| ${range(0, OPCODE_BITS)} | opcode | = ${hex(i.opcode, 2)} | |`],
  ];
  for (const f of i.layout)
    rows.push([
      f.lsb,
      `| ${range(f.lsb, f.bits)} | ${f.name} | ${kindText(f)} | ${escape(f.doc)} |`,
    ]);
  for (const [lsb, bits] of runs(reservedMask(i)))
    rows.push([lsb, `| ${range(lsb, bits)} | reserved | must be 0 | |`]);
  rows.sort((a, b) => b[0] - a[0]);
  const used = i.layout.reduce((n, f) => n + f.bits, OPCODE_BITS);
  return [
    `### \`${i.mnemonic}\` (opcode ${hex(i.opcode, 2)}, engine ${i.engine})`,
    '',
    i.doc,
    '',
    `Encoding (${used} of ${WORD_BITS} bits used):`,
    '',
    '| bits | field | kind | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => r[1]),
    '',
    'Semantics:',
    '',
    '```',
    i.semantics,
    '```',
    '',
  ].join('\n');
}

const OVERVIEW = `# The NPU instruction set

<!-- Generated from isa/instructions.ts by \`npx tsx scripts/gen-isa-doc.ts\`; do not edit (test/isa/docs.test.ts checks it). -->

This is the instruction set of our Warboy-like NPU. The table in \`isa/instructions.ts\` is the only place an
encoding is written down: the encoder, decoder, disassembler, assembler and this document are derived from it.
Sizes, widths and latencies of the hardware come from the hardware config (\`isa/hw-config.ts\`,
docs/hardware-model.md), never from this table.

## Instruction words

Every instruction is one ${WORD_BITS}-bit word, stored little-endian as ${WORD_BYTES} bytes (bit 0 is bit 0 of byte 0).
Bits ${range(0, OPCODE_BITS)} hold the opcode; bits ${range(OPCODE_BITS, SYNC_MASK_BITS)} the \`wait\` mask and bits
${range(OPCODE_BITS + SYNC_MASK_BITS, SYNC_MASK_BITS)} the \`signal\` mask (synchronization, below); the instruction's own fields follow.
Unused bits are reserved and must be zero: the decoder rejects a word with a reserved bit set, an unknown opcode
(opcode 0x00 is illegal, so zeroed memory never executes) or an enum field without a named value.

Field kinds: *unsigned* and *signed* (two's complement) integers, *float32* (IEEE-754 bits) and *enum* (an index
into named values). Operand widths are chosen so that the compiler never runs out: SRAM addresses ${SRAM_ADDR_BITS} bits,
DRAM addresses ${DRAM_ADDR_BITS} bits, tensor dimensions ${DIM_BITS} bits, byte strides ${STRIDE_BITS} bits, element counts 32 bits;
zero points and clamp bounds are 9-bit signed so they cover both int8 and uint8 values.

Assembly syntax (\`isa/asm.ts\`): one instruction per line, \`mnemonic field=value ...\` in any order; integers in
decimal, \`0x\` hex or \`0b\` binary; enums by name; \`#\` or \`;\` starts a comment. \`wait\` and \`signal\` may be
omitted (0); every other field is required. The disassembler prints every field in table order.

## Memory and addressing

* **DRAM** is a flat byte space \`[0, dram.sizeBytes)\`. The program's constant image (weights, biases,
  requantization tables, LUTs) and its input and output tensors live there (prog.bin records their addresses).
* **SRAM** is one flat byte space of \`slices x sram.bytesPerSlice\` bytes: slice \`k\` owns addresses
  \`[k*bytesPerSlice, (k+1)*bytesPerSlice)\` (dense; Warboy reserves a 1 MiB window per slice of which 256 KiB is
  populated, we do not model the holes). Compute instructions read and write only SRAM; only DMA touches DRAM.
* Tensors are byte-addressed: int8/uint8 elements take 1 byte, int32 and float32 4 bytes (little-endian, 4-byte
  aligned). Activation tiles are CHW (rows contiguous, channels a stride apart); conv weights are
  \`[outC][inC/groups][kH][kW]\`; gemm's B is stored transposed (\`[n][k]\`).
* The simulator faults on an address outside its space or a misaligned int32/float32 access.

## Engines and configuration state

Instructions belong to an engine: \`dma\` (${2 ** DMA_CHANNEL_BITS} channel field values, \`dma.engines\` channels exist),
\`mac\` (the MAC arrays of all slices, working as one), \`vector\` (the vector lanes of all slices) and \`ctrl\` (the
dispatcher). Operands too long for one word are set by configuration instructions (\`dma.cfg\`, \`mac.shape\`,
\`mac.quant\`, \`vec.scale\`, \`vec.zp\`, \`vec.movecfg\`), like Gemmini's \`config_*\`: they write registers of
their engine (or DMA channel) that later instructions of the same engine read. Because each engine executes its
queue in order, a configuration applies exactly to the instructions of that engine that follow it in the program.
Registers start at zero.

## Synchronization

The dispatcher reads the program in order and appends each instruction to the in-order queue of its engine
(each DMA channel has its own queue). Engines run concurrently; the only ordering between engines is given by
${SYNC_MASK_BITS} counting semaphores (\`semaphores\` of them exist; all start at 0), used like VTA's dependency tokens:

* before executing, an instruction acquires every semaphore of its \`wait\` mask: it waits until all of them are
  positive, then decrements each by one;
* after completing (its results are in memory), it increments every semaphore of its \`signal\` mask.

A producer signals, a consumer waits (read-after-write); a consumer that frees a buffer signals and the next
producer into that buffer waits (write-after-read), which gives double buffering. \`sync\` applies masks in the
dispatcher itself (a barrier), and \`halt\` ends the program when every queue has drained. A wait that can never
be satisfied (every engine blocked or idle) is a deadlock fault naming the pc, the instruction and its ONNX node.

## Requantization modes

The hardware config's \`requant\` selects the arithmetic of every requantizing instruction (\`conv\`, \`gemm\`,
\`vec.add\`, \`vec.mul\`, \`vec.pool\`, and the output requantization of \`vec.softmax\`, \`vec.layernorm\` and
\`vec.gelu\`): \`float\` follows ONNX Runtime (float32 multiplier, \`fround\` after each float
operation, round half to even), \`fixed\` follows TFLite (int32 multiplier and shift, \`MBQM\` =
MultiplyByQuantizedMultiplier, round half away from zero). The reference interpreter implements the same two
modes, and the formulas come from the same sources (quantization-semantics.md: TFLite section 1, ONNX Runtime section 2).
The parameter block of \`vec.softmax\`, \`vec.layernorm\` and \`vec.gelu\` (\`isa/ibert-params.ts\`) stores both
forms for every output channel (a negate flag, the float32 multiplier, the int32 multiplier and the shift), so
one block serves either mode and \`requant\` picks the form (\`rq\` in their semantics); their integer kernels
before that step are the same in both modes. \`saturate(q, t)\` clamps
to the range of type \`t\` (int8: -128..127, uint8: 0..255); \`wrap32\` is two's-complement int32 wrap-around.
`;

/** The full text of docs/isa.md. */
export function renderIsaDoc(): string {
  const summary = [
    '## Instructions',
    '',
    '| mnemonic | opcode | engine | summary |',
    '| --- | --- | --- | --- |',
    ...ISA.map(
      (i) =>
        `| [\`${i.mnemonic}\`](#${i.mnemonic.replace('.', '')}-opcode-${hex(i.opcode, 2)}-engine-${i.engine}) | ${hex(i.opcode, 2)} | ${i.engine} | ${escape(i.doc.split('. ')[0].replace(/\.$/, ''))} |`,
    ),
    '',
    'Every instruction also has the fields ' +
      SYNC_FIELDS.map((f) => `\`${f.name}\` (${escape(f.doc)})`).join(' and ') +
      '.',
    '',
  ].join('\n');
  const example = [
    '## Example',
    '',
    'One 3x3 convolution tile on the `edge` preset (the tests assemble it): two DMA loads signal semaphores 0 and 1,',
    'the conv waits for both and signals 2, the store on the second DMA channel waits for 2 and signals 3, and halt',
    'waits for 3. Configuration instructions need no semaphores: their engine runs its queue in order.',
    '',
    '```',
    EXAMPLE_ASM.trimEnd(),
    '```',
    '',
  ].join('\n');
  return [OVERVIEW, example, summary, ...ISA.map(renderInstruction)]
    .join('\n')
    .replace(/\n+$/, '\n');
}
