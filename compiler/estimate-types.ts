// The per-layer performance estimate of the report.

export interface LayerEstimate {
  op: number;
  kind: string;
  nodes: string[];
  tileShape?: { channels: number; rows: number; cols: number };
  tiles: number;
  macs: number;
  dramBytes: number;
  computeCycles: number;
  memoryCycles: number;
  /** max(compute, memory) + min(compute, memory) / tiles: DMA overlaps compute except for the pipeline fill. */
  cycles: number;
  bound: 'compute' | 'memory' | 'free' | 'host';
}

export interface EstimateTotals {
  macs: number;
  dramBytes: number;
  cycles: number;
  /** macs / (cycles × MACs per cycle of the whole NPU). */
  macUtilisation: number;
  microseconds: number;
}
