;; MAC-array kernels of the simulator: int8/uint8 operands widened to int16 (minus their zero points), dot products
;; with i32x4.dot_i16x8_s. Exact: a code minus a 9-bit zero point fits int16, dot_i16x8_s sums two products
;; exactly, and every i32 add wraps modulo 2^32 like the hardware's accumulator (addition mod 2^32 is associative,
;; so lane-wise partial sums give the same int32 as the sequential loop of the reference).
;; Generated into mac-kernels.wasm.ts by `npm run gen:wasm` (scripts/gen-wasm.ts); the memory is the host's.
(module
  (import "env" "memory" (memory 1))

  ;; rows x k codes at src (row stride srcStride bytes) -> int16 rows of kp lanes at dst, code - zp, zero tail.
  (func (export "packRows")
    (param $src i32) (param $dst i32) (param $rows i32) (param $k i32) (param $kp i32)
    (param $srcStride i32) (param $signed i32) (param $zp i32)
    (local $r i32) (local $t i32) (local $s i32) (local $d i32)
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $srcStride))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r) (local.get $kp)) (i32.const 1))))
        (local.set $t (i32.const 0))
        (if (local.get $signed)
          (then
            (block $done (loop $l
              (br_if $done (i32.ge_u (local.get $t) (local.get $k)))
              (i32.store16
                (i32.add (local.get $d) (i32.shl (local.get $t) (i32.const 1)))
                (i32.sub (i32.load8_s (i32.add (local.get $s) (local.get $t))) (local.get $zp)))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $l))))
          (else
            (block $done (loop $l
              (br_if $done (i32.ge_u (local.get $t) (local.get $k)))
              (i32.store16
                (i32.add (local.get $d) (i32.shl (local.get $t) (i32.const 1)))
                (i32.sub (i32.load8_u (i32.add (local.get $s) (local.get $t))) (local.get $zp)))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $l)))))
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $t) (local.get $kp)))
          (i32.store16 (i32.add (local.get $d) (i32.shl (local.get $t) (i32.const 1))) (i32.const 0))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $l)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; im2col of output pixels [p0, p0 + n) of one group: row j holds (ic, ky, kx) taps as int16, kp lanes.
  ;; `in` is the group's first input plane; planes are cStride bytes apart. Taps in the implicit padding are 0
  ;; ((inZp - inZp) * w adds 0); negative iy/ix wrap to large unsigned values, so one unsigned compare per axis
  ;; finds the padding.
  (func (export "im2col")
    (param $in i32) (param $dst i32) (param $kp i32) (param $cg i32) (param $cStride i32)
    (param $inH i32) (param $inW i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $dH i32) (param $dW i32) (param $padT i32) (param $padL i32)
    (param $outW i32) (param $p0 i32) (param $n i32) (param $signed i32) (param $zp i32)
    (local $j i32) (local $p i32) (local $iy0 i32) (local $ix0 i32) (local $d i32)
    (local $ic i32) (local $ky i32) (local $kx i32) (local $plane i32) (local $iy i32) (local $ix i32) (local $row i32)
    (local.set $j (i32.const 0))
    (block $pixDone
      (loop $pix
        (br_if $pixDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $p (i32.add (local.get $p0) (local.get $j)))
        (local.set $iy0 (i32.sub (i32.mul (i32.div_u (local.get $p) (local.get $outW)) (local.get $sH)) (local.get $padT)))
        (local.set $ix0 (i32.sub (i32.mul (i32.rem_u (local.get $p) (local.get $outW)) (local.get $sW)) (local.get $padL)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $j) (local.get $kp)) (i32.const 1))))
        (local.set $ic (i32.const 0))
        (block $icDone
          (loop $icLoop
            (br_if $icDone (i32.ge_u (local.get $ic) (local.get $cg)))
            (local.set $plane (i32.add (local.get $in) (i32.mul (local.get $ic) (local.get $cStride))))
            (local.set $ky (i32.const 0))
            (block $kyDone
              (loop $kyLoop
                (br_if $kyDone (i32.ge_u (local.get $ky) (local.get $kH)))
                (local.set $iy (i32.add (local.get $iy0) (i32.mul (local.get $ky) (local.get $dH))))
                (local.set $kx (i32.const 0))
                (if (i32.ge_u (local.get $iy) (local.get $inH))
                  (then
                    ;; the whole kernel row is in the padding
                    (block $zDone (loop $z
                      (br_if $zDone (i32.ge_u (local.get $kx) (local.get $kW)))
                      (i32.store16 (local.get $d) (i32.const 0))
                      (local.set $d (i32.add (local.get $d) (i32.const 2)))
                      (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                      (br $z))))
                  (else
                    (local.set $row (i32.add (local.get $plane) (i32.mul (local.get $iy) (local.get $inW))))
                    (local.set $ix (local.get $ix0))
                    (block $kxDone
                      (loop $kxLoop
                        (br_if $kxDone (i32.ge_u (local.get $kx) (local.get $kW)))
                        (i32.store16 (local.get $d)
                          (if (result i32) (i32.ge_u (local.get $ix) (local.get $inW))
                            (then (i32.const 0))
                            (else
                              (if (result i32) (local.get $signed)
                                (then (i32.sub (i32.load8_s (i32.add (local.get $row) (local.get $ix))) (local.get $zp)))
                                (else (i32.sub (i32.load8_u (i32.add (local.get $row) (local.get $ix))) (local.get $zp)))))))
                        (local.set $d (i32.add (local.get $d) (i32.const 2)))
                        (local.set $ix (i32.add (local.get $ix) (local.get $dW)))
                        (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                        (br $kxLoop)))))
                (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                (br $kyLoop)))
            (local.set $ic (i32.add (local.get $ic) (i32.const 1)))
            (br $icLoop)))
        ;; zero tail up to kp lanes
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $d)
              (i32.add (local.get $dst) (i32.shl (i32.mul (i32.add (local.get $j) (i32.const 1)) (local.get $kp)) (i32.const 1)))))
            (i32.store16 (local.get $d) (i32.const 0))
            (local.set $d (i32.add (local.get $d) (i32.const 2)))
            (br $tail)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $pix))))

  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

;; acc[oc * accStride + j] = sum_t patch[j][t] * w[oc][t] for j < n, oc < kg; rows are kp int16 lanes
  ;; (kp a multiple of 8, both 16-byte aligned). Output channels go four at a time in the outer loop (their
  ;; weight rows stay in the host's L1 cache while the patch rows stream), and each patch load serves all four.
  (func (export "dot")
    (param $patch i32) (param $w i32) (param $acc i32) (param $n i32) (param $kg i32) (param $kp i32)
    (param $accStride i32)
    (local $j i32) (local $oc i32) (local $t i32) (local $pr i32) (local $rowBytes i32) (local $step i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $pv v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $out i32)
    (local.set $rowBytes (i32.shl (local.get $kp) (i32.const 1)))
    (local.set $step (i32.shl (local.get $accStride) (i32.const 2)))
    (local.set $oc (i32.const 0))
    ;; blocks of four output channels
    (block $quadDone
      (loop $quad
        (br_if $quadDone (i32.gt_u (i32.add (local.get $oc) (i32.const 4)) (local.get $kg)))
        (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $oc) (local.get $rowBytes))))
        (local.set $w1 (i32.add (local.get $w0) (local.get $rowBytes)))
        (local.set $w2 (i32.add (local.get $w1) (local.get $rowBytes)))
        (local.set $w3 (i32.add (local.get $w2) (local.get $rowBytes)))
        (local.set $j (i32.const 0))
        (block $pixDone
          (loop $pix
            (br_if $pixDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $pr (i32.add (local.get $patch) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $s1 (v128.const i32x4 0 0 0 0))
            (local.set $s2 (v128.const i32x4 0 0 0 0))
            (local.set $s3 (v128.const i32x4 0 0 0 0))
            (local.set $t (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $t) (local.get $rowBytes)))
                (local.set $pv (v128.load (i32.add (local.get $pr) (local.get $t))))
                (local.set $s0 (i32x4.add (local.get $s0)
                  (i32x4.dot_i16x8_s (local.get $pv) (v128.load (i32.add (local.get $w0) (local.get $t))))))
                (local.set $s1 (i32x4.add (local.get $s1)
                  (i32x4.dot_i16x8_s (local.get $pv) (v128.load (i32.add (local.get $w1) (local.get $t))))))
                (local.set $s2 (i32x4.add (local.get $s2)
                  (i32x4.dot_i16x8_s (local.get $pv) (v128.load (i32.add (local.get $w2) (local.get $t))))))
                (local.set $s3 (i32x4.add (local.get $s3)
                  (i32x4.dot_i16x8_s (local.get $pv) (v128.load (i32.add (local.get $w3) (local.get $t))))))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $kLoop)))
            (local.set $out (i32.add (local.get $acc)
              (i32.shl (i32.add (i32.mul (local.get $oc) (local.get $accStride)) (local.get $j)) (i32.const 2))))
            (i32.store (local.get $out) (call $hsum (local.get $s0)))
            (local.set $out (i32.add (local.get $out) (local.get $step)))
            (i32.store (local.get $out) (call $hsum (local.get $s1)))
            (local.set $out (i32.add (local.get $out) (local.get $step)))
            (i32.store (local.get $out) (call $hsum (local.get $s2)))
            (local.set $out (i32.add (local.get $out) (local.get $step)))
            (i32.store (local.get $out) (call $hsum (local.get $s3)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $pix)))
        (local.set $oc (i32.add (local.get $oc) (i32.const 4)))
        (br $quad)))
    ;; the remaining output channels one at a time
    (block $ocDone
      (loop $ocLoop
        (br_if $ocDone (i32.ge_u (local.get $oc) (local.get $kg)))
        (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $oc) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (block $pixDone
          (loop $pix
            (br_if $pixDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $pr (i32.add (local.get $patch) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $t (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $t) (local.get $rowBytes)))
                (local.set $s0 (i32x4.add (local.get $s0)
                  (i32x4.dot_i16x8_s
                    (v128.load (i32.add (local.get $pr) (local.get $t)))
                    (v128.load (i32.add (local.get $w0) (local.get $t))))))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $kLoop)))
            (i32.store
              (i32.add (local.get $acc)
                (i32.shl (i32.add (i32.mul (local.get $oc) (local.get $accStride)) (local.get $j)) (i32.const 2)))
              (call $hsum (local.get $s0)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $pix)))
        (local.set $oc (i32.add (local.get $oc) (i32.const 1)))
        (br $ocLoop))))
;; The requantization unit over acc[c][count] int32 -> out[c][count] bytes, per channel c: bias[c] (int32),
  ;; then float mode RHE(fround(fround(acc) * multF[c])) or fixed mode MultiplyByQuantizedMultiplier(acc,
  ;; multI[c], shift[c]); + outZp, saturate to [lo, hi] (NaN to lo), activation (0 none, 1 relu, 2 clip, 3 lut
  ;; at `lut`), low byte. The same operations as simulator/execute/mac.ts requantizeScalar, in the same order:
  ;; f32.convert_i32_s, f32.mul and f32.nearest round like fround and rhe; the caller keeps fixed-mode shifts
  ;; below -31 (which the reference refuses) out of here.
  (func $srdhm (param $a i32) (param $b i32) (result i32)
    (if (i32.and (i32.eq (local.get $a) (i32.const 0x80000000)) (i32.eq (local.get $b) (i32.const 0x80000000)))
      (then (return (i32.const 0x7fffffff))))
    (i32.wrap_i64
      (i64.shr_s
        (i64.add (i64.mul (i64.extend_i32_s (local.get $a)) (i64.extend_i32_s (local.get $b))) (i64.const 0x40000000))
        (i64.const 31))))

  (func $rdbpot (param $x i32) (param $e i32) (result i32)
    (local $mask i32) (local $threshold i32)
    (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $e)) (i32.const 1)))
    (local.set $threshold (i32.add (i32.shr_s (local.get $mask) (i32.const 1)) (i32.lt_s (local.get $x) (i32.const 0))))
    (i32.add (i32.shr_s (local.get $x) (local.get $e))
      (i32.gt_s (i32.and (local.get $x) (local.get $mask)) (local.get $threshold))))

  (func $mbqm (param $x i32) (param $m i32) (param $shift i32) (result i32)
    (local $scaled i32)
    (local.set $scaled
      (if (result i32) (i32.gt_s (local.get $shift) (i32.const 0))
        (then
          (if (result i32) (i32.ge_s (local.get $shift) (i32.const 32))
            (then (i32.const 0))
            (else (i32.mul (local.get $x) (i32.shl (i32.const 1) (local.get $shift))))))
        (else (local.get $x))))
    (call $rdbpot (call $srdhm (local.get $scaled) (local.get $m))
      (if (result i32) (i32.gt_s (local.get $shift) (i32.const 0)) (then (i32.const 0)) (else (i32.sub (i32.const 0) (local.get $shift))))))

  (func $requant (export "requant")
    (param $acc i32) (param $out i32) (param $channels i32) (param $count i32)
    (param $bias i32) (param $multF i32) (param $multI i32) (param $shifts i32) (param $fixed i32)
    (param $outZp i32) (param $lo i32) (param $hi i32) (param $act i32) (param $clipLo i32) (param $clipHi i32)
    (param $lut i32)
    (local $c i32) (local $p i32) (local $end i32) (local $b i32) (local $mf f32) (local $mi i32) (local $sh i32)
    (local $a i32) (local $r f32) (local $v i32) (local $v64 i64)
    (local.set $c (i32.const 0))
    (block $chDone
      (loop $ch
        (br_if $chDone (i32.ge_u (local.get $c) (local.get $channels)))
        (local.set $b (i32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $mf (f32.load (i32.add (local.get $multF) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $mi (i32.load (i32.add (local.get $multI) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $sh (i32.load (i32.add (local.get $shifts) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $p (i32.mul (local.get $c) (local.get $count)))
        (local.set $end (i32.add (local.get $p) (local.get $count)))
        (block $pDone
          (loop $px
            (br_if $pDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $a (i32.add (i32.load (i32.add (local.get $acc) (i32.shl (local.get $p) (i32.const 2)))) (local.get $b)))
            (if (local.get $fixed)
              (then
                (local.set $v64 (i64.add (i64.extend_i32_s (call $mbqm (local.get $a) (local.get $mi) (local.get $sh)))
                  (i64.extend_i32_s (local.get $outZp))))
                (local.set $v
                  (if (result i32) (i64.lt_s (local.get $v64) (i64.extend_i32_s (local.get $lo)))
                    (then (local.get $lo))
                    (else
                      (if (result i32) (i64.gt_s (local.get $v64) (i64.extend_i32_s (local.get $hi)))
                        (then (local.get $hi))
                        (else (i32.wrap_i64 (local.get $v64))))))))
              (else
                (local.set $r (f32.nearest (f32.mul (f32.convert_i32_s (local.get $a)) (local.get $mf))))
                (local.set $v
                  (if (result i32) (f32.ne (local.get $r) (local.get $r))
                    (then (local.get $lo))
                    (else
                      (i32.trunc_f32_s
                        (f32.min
                          (f32.max (f32.add (local.get $r) (f32.convert_i32_s (local.get $outZp)))
                            (f32.convert_i32_s (local.get $lo)))
                          (f32.convert_i32_s (local.get $hi)))))))))
            (if (i32.eq (local.get $act) (i32.const 1))
              (then (if (i32.lt_s (local.get $v) (local.get $outZp)) (then (local.set $v (local.get $outZp))))))
            (if (i32.eq (local.get $act) (i32.const 2))
              (then
                (if (i32.lt_s (local.get $v) (local.get $clipLo)) (then (local.set $v (local.get $clipLo))))
                (if (i32.gt_s (local.get $v) (local.get $clipHi)) (then (local.set $v (local.get $clipHi))))))
            (if (i32.eq (local.get $act) (i32.const 3))
              (then (local.set $v (i32.load8_u (i32.add (local.get $lut) (i32.sub (local.get $v) (local.get $lo)))))))
            (i32.store8 (i32.add (local.get $out) (local.get $p)) (local.get $v))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $px)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $ch))))
;; Depthwise convolution (one input and one output channel per group): acc[c][oy][ox] = sum over taps of
  ;; (x - zp) * w[c][tap], w as packed int16 rows of kp lanes (packRows). Rows of 8 output pixels whose taps are all
  ;; inside the plane (stride and dilation 1 along x) go 8 at a time: i16x8.load8x8 widens 8 codes, and extmul
  ;; makes exact int32 products; the other pixels go one by one, skipping taps in the implicit padding.
  (func (export "depthwise")
    (param $in i32) (param $w i32) (param $acc i32) (param $channels i32) (param $cStride i32)
    (param $inH i32) (param $inW i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32)
    (param $dH i32) (param $dW i32) (param $padT i32) (param $padL i32) (param $outH i32) (param $outW i32)
    (param $kp i32) (param $signed i32) (param $zp i32)
    (local $c i32) (local $plane i32) (local $wrow i32) (local $out i32) (local $oy i32) (local $ox i32)
    (local $iy0 i32) (local $ix0 i32) (local $ky i32) (local $kx i32) (local $iy i32) (local $ix i32)
    (local $sum i32) (local $a0 v128) (local $a1 v128) (local $v v128) (local $wv v128) (local $zv v128)
    (local $row i32) (local $wt i32) (local $vec i32)
    (local.set $zv (i16x8.splat (local.get $zp)))
    (local.set $vec (i32.and (i32.eq (local.get $sW) (i32.const 1)) (i32.eq (local.get $dW) (i32.const 1))))
    (local.set $c (i32.const 0))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $channels)))
      (local.set $plane (i32.add (local.get $in) (i32.mul (local.get $c) (local.get $cStride))))
      (local.set $wrow (i32.add (local.get $w) (i32.shl (i32.mul (local.get $c) (local.get $kp)) (i32.const 1))))
      (local.set $out (i32.add (local.get $acc)
        (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $outH) (local.get $outW))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $yDone (loop $yLoop
        (br_if $yDone (i32.ge_u (local.get $oy) (local.get $outH)))
        (local.set $iy0 (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $padT)))
        (local.set $ox (i32.const 0))
        (block $xDone (loop $xLoop
          (br_if $xDone (i32.ge_u (local.get $ox) (local.get $outW)))
          (local.set $ix0 (i32.sub (i32.mul (local.get $ox) (local.get $sW)) (local.get $padL)))
          (if (i32.and (local.get $vec)
                (i32.and (i32.le_u (i32.add (local.get $ox) (i32.const 8)) (local.get $outW))
                  (i32.and (i32.ge_s (local.get $ix0) (i32.const 0))
                    (i32.le_s (i32.add (local.get $ix0) (i32.add (local.get $kW) (i32.const 7))) (local.get $inW)))))
            (then
              ;; eight output pixels at once
              (local.set $a0 (v128.const i32x4 0 0 0 0))
              (local.set $a1 (v128.const i32x4 0 0 0 0))
              (local.set $ky (i32.const 0))
              (block $kyDone (loop $kyLoop
                (br_if $kyDone (i32.ge_u (local.get $ky) (local.get $kH)))
                (local.set $iy (i32.add (local.get $iy0) (i32.mul (local.get $ky) (local.get $dH))))
                (if (i32.lt_u (local.get $iy) (local.get $inH))
                  (then
                    (local.set $row (i32.add (i32.add (local.get $plane) (i32.mul (local.get $iy) (local.get $inW))) (local.get $ix0)))
                    (local.set $kx (i32.const 0))
                    (block $kxDone (loop $kxLoop
                      (br_if $kxDone (i32.ge_u (local.get $kx) (local.get $kW)))
                      (local.set $v (v128.load64_zero (i32.add (local.get $row) (local.get $kx))))
                      (local.set $v
                        (i16x8.sub
                          (if (result v128) (local.get $signed)
                            (then (i16x8.extend_low_i8x16_s (local.get $v)))
                            (else (i16x8.extend_low_i8x16_u (local.get $v))))
                          (local.get $zv)))
                      (local.set $wv (i16x8.splat (i32.load16_s (i32.add (local.get $wrow)
                        (i32.shl (i32.add (i32.mul (local.get $ky) (local.get $kW)) (local.get $kx)) (i32.const 1))))))
                      (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_s (local.get $v) (local.get $wv))))
                      (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_s (local.get $v) (local.get $wv))))
                      (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                      (br $kxLoop)))))
                (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                (br $kyLoop)))
              (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $outW)) (local.get $ox)) (i32.const 2)))
                (local.get $a0))
              (v128.store offset=16 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $outW)) (local.get $ox)) (i32.const 2)))
                (local.get $a1))
              (local.set $ox (i32.add (local.get $ox) (i32.const 8))))
            (else
              ;; one output pixel, taps in the padding skipped
              (local.set $sum (i32.const 0))
              (local.set $ky (i32.const 0))
              (block $kyDone (loop $kyLoop
                (br_if $kyDone (i32.ge_u (local.get $ky) (local.get $kH)))
                (local.set $iy (i32.add (local.get $iy0) (i32.mul (local.get $ky) (local.get $dH))))
                (if (i32.lt_u (local.get $iy) (local.get $inH))
                  (then
                    (local.set $row (i32.add (local.get $plane) (i32.mul (local.get $iy) (local.get $inW))))
                    (local.set $kx (i32.const 0))
                    (block $kxDone (loop $kxLoop
                      (br_if $kxDone (i32.ge_u (local.get $kx) (local.get $kW)))
                      (local.set $ix (i32.add (local.get $ix0) (i32.mul (local.get $kx) (local.get $dW))))
                      (if (i32.lt_u (local.get $ix) (local.get $inW))
                        (then
                          (local.set $wt (i32.load16_s (i32.add (local.get $wrow)
                            (i32.shl (i32.add (i32.mul (local.get $ky) (local.get $kW)) (local.get $kx)) (i32.const 1)))))
                          (local.set $sum (i32.add (local.get $sum)
                            (i32.mul (local.get $wt)
                              (i32.sub
                                (if (result i32) (local.get $signed)
                                  (then (i32.load8_s (i32.add (local.get $row) (local.get $ix))))
                                  (else (i32.load8_u (i32.add (local.get $row) (local.get $ix)))))
                                (local.get $zp)))))))
                      (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                      (br $kxLoop)))))
                (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                (br $kyLoop)))
              (i32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $outW)) (local.get $ox)) (i32.const 2)))
                (local.get $sum))
              (local.set $ox (i32.add (local.get $ox) (i32.const 1)))))
          (br $xLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yLoop)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cLoop))))
;; requant for float mode without a table, four elements at a time: the same operations lane-wise
  ;; (f32x4.convert_i32x4_s, f32x4.mul and f32x4.nearest round like their scalar forms). pmax(lo, x) takes lo for
  ;; a NaN x (its comparison is false), which is the scalar unit's NaN -> lo; act 0 none, 1 relu, 2 clip. The last
  ;; count % 4 elements of a channel go through the scalar unit.
  (func (export "requantFloat4")
    (param $acc i32) (param $out i32) (param $channels i32) (param $count i32)
    (param $bias i32) (param $multF i32) (param $outZp i32) (param $lo i32) (param $hi i32) (param $act i32)
    (param $clipLo i32) (param $clipHi i32)
    (local $c i32) (local $p i32) (local $end i32) (local $quadEnd i32)
    (local $b v128) (local $m v128) (local $zpf v128) (local $lof v128) (local $hif v128)
    (local $actLo v128) (local $actHi v128) (local $v v128) (local $f v128)
    (local.set $zpf (f32x4.splat (f32.convert_i32_s (local.get $outZp))))
    (local.set $lof (f32x4.splat (f32.convert_i32_s (local.get $lo))))
    (local.set $hif (f32x4.splat (f32.convert_i32_s (local.get $hi))))
    ;; the activation as one clamp on int32 lanes: none = no-op bounds, relu = [outZp, max], clip = [clipLo, clipHi]
    (local.set $actLo (i32x4.splat
      (if (result i32) (i32.eq (local.get $act) (i32.const 1)) (then (local.get $outZp))
        (else (if (result i32) (i32.eq (local.get $act) (i32.const 2)) (then (local.get $clipLo))
          (else (i32.const 0x80000000)))))))
    (local.set $actHi (i32x4.splat
      (if (result i32) (i32.eq (local.get $act) (i32.const 2)) (then (local.get $clipHi))
        (else (i32.const 0x7fffffff)))))
    (local.set $c (i32.const 0))
    (block $chDone
      (loop $ch
        (br_if $chDone (i32.ge_u (local.get $c) (local.get $channels)))
        (local.set $b (i32x4.splat (i32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $m (f32x4.splat (f32.load (i32.add (local.get $multF) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $p (i32.mul (local.get $c) (local.get $count)))
        (local.set $end (i32.add (local.get $p) (local.get $count)))
        (local.set $quadEnd (i32.add (local.get $p) (i32.and (local.get $count) (i32.const -4))))
        (block $qDone
          (loop $q
            (br_if $qDone (i32.ge_u (local.get $p) (local.get $quadEnd)))
            (local.set $v (i32x4.add
              (v128.load (i32.add (local.get $acc) (i32.shl (local.get $p) (i32.const 2)))) (local.get $b)))
            (local.set $f (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (local.get $v)) (local.get $m))))
            (local.set $f (f32x4.pmin (local.get $hif)
              (f32x4.pmax (local.get $lof) (f32x4.add (local.get $f) (local.get $zpf)))))
            (local.set $v (i32x4.min_s (i32x4.max_s (i32x4.trunc_sat_f32x4_s (local.get $f)) (local.get $actLo))
              (local.get $actHi)))
            (v128.store32_lane 0 (i32.add (local.get $out) (local.get $p))
              (i8x16.shuffle 0 4 8 12 0 0 0 0 0 0 0 0 0 0 0 0 (local.get $v) (local.get $v)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $q)))
        (if (i32.lt_u (local.get $p) (local.get $end))
          (then
            (call $requant
              (i32.add (local.get $acc) (i32.shl (local.get $p) (i32.const 2)))
              (i32.add (local.get $out) (local.get $p))
              (i32.const 1) (i32.sub (local.get $end) (local.get $p))
              (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2)))
              (i32.add (local.get $multF) (i32.shl (local.get $c) (i32.const 2)))
              (i32.const 0) (i32.const 0) (i32.const 0)
              (local.get $outZp) (local.get $lo) (local.get $hi) (local.get $act)
              (local.get $clipLo) (local.get $clipHi) (i32.const 0))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $ch))))
)
