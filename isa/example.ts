// A small hand-written program (one padded 3x3 conv tile) shown in docs/isa.md and assembled by the tests.

/** Input 8x16x16 int8 at DRAM 0x1000; weights, bias and float requant table at DRAM 0; output to DRAM 0x2000. */
export const EXAMPLE_ASM = `# 3x3 conv, 8 -> 8 channels, 16x16 input, 'same' padding done by the DMA (zero point -3 = byte 0xfd)
# semaphores: 0 = input loaded, 1 = constants loaded, 2 = conv done, 3 = output stored
dma.cfg channel=0 dramStride1=16 dramStride2=256 dramStride3=0 sramStride1=18 sramStride2=324 sramStride3=0
dma.load channel=0 dramAddr=0x1000 sramAddr=0 size0=16 size1=16 size2=8 size3=1 fill=0xfd padLo0=1 padHi0=1 padLo1=1 padHi1=1 padLo2=0 padHi2=0 padLo3=0 padHi3=0 signal=0b0001
dma.load channel=0 dramAddr=0 sramAddr=0x2000 size0=640 size1=1 size2=1 size3=1 fill=0 padLo0=0 padHi0=0 padLo1=0 padHi1=0 padLo2=0 padHi2=0 padLo3=0 padHi3=0 signal=0b0010
mac.shape inC=8 inH=18 inW=18 outC=8 kH=3 kW=3 strideH=1 strideW=1 dilH=1 dilW=1 padT=0 padL=0 padB=0 padR=0 groups=1
mac.quant inType=int8 wType=int8 outType=int8 inZp=-3 wZp=0 outZp=5 useBias=1 biasAddr=0x2240 requantAddr=0x2260 act=relu clipLo=0 clipHi=0 lutAddr=0
conv inAddr=0 weightAddr=0x2000 outAddr=0x3000 inCStride=324 outCStride=256 wait=0b0011 signal=0b0100
dma.store channel=1 sramAddr=0x3000 dramAddr=0x2000 size0=2048 size1=1 size2=1 size3=1 wait=0b0100 signal=0b1000
halt wait=0b1000
`;
