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
)
