;; The host path's kernels, on float32 with 128-bit SIMD: rows of `bias + x Wᵀ`, and σ or
;; tanh in place. Pointers are byte offsets into the exported memory; arrays are row-major.
(module
  (memory (export "memory") 1)

  ;; Rows of `bias + x Wᵀ`:
  ;;
  ;;   out[r, j] = bias[r, j] + Σ_k x[r, k] · Wᵀ[k, j]     r < count, j < width, k < columns
  ;;
  ;; Each sum starts at its bias and adds the products in the order of k, one float32 multiply
  ;; and one float32 add each (no fused multiply-add): the same bits as that plain loop in
  ;; float32, whatever `count` (a row gets the same bits alone and in a batch), on every
  ;; machine. Rows four at a time, so that each pass over Wᵀ serves four rows: eight lanes of
  ;; j per pass, then four, then the last `width mod 4` alone; the last `count mod 4` rows one
  ;; by one, four lanes of j at a time, sixteen where they fit, the last `width mod 4` alone.
  ;; Wᵀ is `[columns, width]`, x `[count, columns]`, out `[count, width]`; bias rows are
  ;; `biasStride` bytes apart (0: one bias for every row).
  (func (export "biasPlusProducts")
    (param $out i32) (param $bias i32) (param $biasStride i32) (param $x i32) (param $weightsT i32)
    (param $count i32) (param $width i32) (param $columns i32)
    (local $stride i32) (local $xRow i32) (local $xEnd i32) (local $xk i32)
    (local $outRow i32) (local $biasRow i32) (local $rowsLeft i32) (local $j i32) (local $w i32)
    (local $lane v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $sum f32)
    (local $xBytes i32) (local $biasRow1 i32) (local $biasRow2 i32) (local $biasRow3 i32)
    (local $outRow1 i32) (local $outRow2 i32) (local $outRow3 i32)
    (local $wLow v128) (local $wHigh v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $sum1 f32) (local $sum2 f32) (local $sum3 f32)
    ;; bytes in a row of Wᵀ, bias and out
    (local.set $stride (i32.shl (local.get $width) (i32.const 2)))
    (local.set $xRow (local.get $x))
    (local.set $outRow (local.get $out))
    (local.set $biasRow (local.get $bias))
    (local.set $rowsLeft (local.get $count))
    ;; bytes in a row of x
    (local.set $xBytes (i32.shl (local.get $columns) (i32.const 2)))
    ;; four rows at a time: rows r … r + 3 of x at xk, xk + xBytes, …; their sums $aN (lanes
    ;; j … j + 3) and $bN (lanes j + 4 … j + 7), N the row
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.lt_u (local.get $rowsLeft) (i32.const 4)))
        (local.set $xEnd (i32.add (local.get $xRow) (local.get $xBytes)))
        (local.set $biasRow1 (i32.add (local.get $biasRow) (local.get $biasStride)))
        (local.set $biasRow2 (i32.add (local.get $biasRow1) (local.get $biasStride)))
        (local.set $biasRow3 (i32.add (local.get $biasRow2) (local.get $biasStride)))
        (local.set $outRow1 (i32.add (local.get $outRow) (local.get $stride)))
        (local.set $outRow2 (i32.add (local.get $outRow1) (local.get $stride)))
        (local.set $outRow3 (i32.add (local.get $outRow2) (local.get $stride)))
        (local.set $j (i32.const 0))
        ;; eight sums of each row at a time
        (block $blockWideDone
          (loop $blockWide
            (br_if $blockWideDone (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $stride)))
            (local.set $a0 (v128.load offset=0 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $b0 (v128.load offset=16 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a1 (v128.load offset=0 align=4 (i32.add (local.get $biasRow1) (local.get $j))))
            (local.set $b1 (v128.load offset=16 align=4 (i32.add (local.get $biasRow1) (local.get $j))))
            (local.set $a2 (v128.load offset=0 align=4 (i32.add (local.get $biasRow2) (local.get $j))))
            (local.set $b2 (v128.load offset=16 align=4 (i32.add (local.get $biasRow2) (local.get $j))))
            (local.set $a3 (v128.load offset=0 align=4 (i32.add (local.get $biasRow3) (local.get $j))))
            (local.set $b3 (v128.load offset=16 align=4 (i32.add (local.get $biasRow3) (local.get $j))))
            (local.set $w (i32.add (local.get $weightsT) (local.get $j)))
            (local.set $xk (local.get $xRow))
            (block $kDone
              (loop $k
                (br_if $kDone (i32.ge_u (local.get $xk) (local.get $xEnd)))
                ;; Wᵀ[k, j … j + 7] in $wLow and $wHigh, x[r, k] of each row in turn in $lane
                (local.set $wLow (v128.load offset=0 align=4 (local.get $w)))
                (local.set $wHigh (v128.load offset=16 align=4 (local.get $w)))
                (local.set $lane (v128.load32_splat align=4 (local.get $xk)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $lane) (local.get $wLow))))
                (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $lane) (local.get $wHigh))))
                (local.set $lane (v128.load32_splat align=4 (i32.add (local.get $xk) (local.get $xBytes))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $lane) (local.get $wLow))))
                (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $lane) (local.get $wHigh))))
                (local.set $lane (v128.load32_splat align=4 (i32.add (local.get $xk) (i32.shl (local.get $xBytes) (i32.const 1)))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $lane) (local.get $wLow))))
                (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $lane) (local.get $wHigh))))
                (local.set $lane (v128.load32_splat align=4 (i32.add (i32.add (local.get $xk) (local.get $xBytes)) (i32.shl (local.get $xBytes) (i32.const 1)))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $lane) (local.get $wLow))))
                (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $lane) (local.get $wHigh))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (v128.store offset=0 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a0))
            (v128.store offset=16 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $b0))
            (v128.store offset=0 align=4 (i32.add (local.get $outRow1) (local.get $j)) (local.get $a1))
            (v128.store offset=16 align=4 (i32.add (local.get $outRow1) (local.get $j)) (local.get $b1))
            (v128.store offset=0 align=4 (i32.add (local.get $outRow2) (local.get $j)) (local.get $a2))
            (v128.store offset=16 align=4 (i32.add (local.get $outRow2) (local.get $j)) (local.get $b2))
            (v128.store offset=0 align=4 (i32.add (local.get $outRow3) (local.get $j)) (local.get $a3))
            (v128.store offset=16 align=4 (i32.add (local.get $outRow3) (local.get $j)) (local.get $b3))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br $blockWide)))
        ;; four sums of each row at a time
        (block $blockNarrowDone
          (loop $blockNarrow
            (br_if $blockNarrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $stride)))
            (local.set $a0 (v128.load align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a1 (v128.load align=4 (i32.add (local.get $biasRow1) (local.get $j))))
            (local.set $a2 (v128.load align=4 (i32.add (local.get $biasRow2) (local.get $j))))
            (local.set $a3 (v128.load align=4 (i32.add (local.get $biasRow3) (local.get $j))))
            (local.set $w (i32.add (local.get $weightsT) (local.get $j)))
            (local.set $xk (local.get $xRow))
            (block $kDone
              (loop $k
                (br_if $kDone (i32.ge_u (local.get $xk) (local.get $xEnd)))
                (local.set $wLow (v128.load align=4 (local.get $w)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat align=4 (local.get $xk)) (local.get $wLow))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $xk) (local.get $xBytes))) (local.get $wLow))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $xk) (i32.shl (local.get $xBytes) (i32.const 1)))) (local.get $wLow))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load32_splat align=4 (i32.add (i32.add (local.get $xk) (local.get $xBytes)) (i32.shl (local.get $xBytes) (i32.const 1)))) (local.get $wLow))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (v128.store align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a0))
            (v128.store align=4 (i32.add (local.get $outRow1) (local.get $j)) (local.get $a1))
            (v128.store align=4 (i32.add (local.get $outRow2) (local.get $j)) (local.get $a2))
            (v128.store align=4 (i32.add (local.get $outRow3) (local.get $j)) (local.get $a3))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $blockNarrow)))
        ;; the last width mod 4 sums of each row, one at a time
        (block $blockSingleDone
          (loop $blockSingle
            (br_if $blockSingleDone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $sum (f32.load (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $sum1 (f32.load (i32.add (local.get $biasRow1) (local.get $j))))
            (local.set $sum2 (f32.load (i32.add (local.get $biasRow2) (local.get $j))))
            (local.set $sum3 (f32.load (i32.add (local.get $biasRow3) (local.get $j))))
            (local.set $w (i32.add (local.get $weightsT) (local.get $j)))
            (local.set $xk (local.get $xRow))
            (block $kDone
              (loop $k
                (br_if $kDone (i32.ge_u (local.get $xk) (local.get $xEnd)))
                (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $xk)) (f32.load (local.get $w)))))
                (local.set $sum1 (f32.add (local.get $sum1) (f32.mul (f32.load (i32.add (local.get $xk) (local.get $xBytes))) (f32.load (local.get $w)))))
                (local.set $sum2 (f32.add (local.get $sum2) (f32.mul (f32.load (i32.add (local.get $xk) (i32.shl (local.get $xBytes) (i32.const 1)))) (f32.load (local.get $w)))))
                (local.set $sum3 (f32.add (local.get $sum3) (f32.mul (f32.load (i32.add (i32.add (local.get $xk) (local.get $xBytes)) (i32.shl (local.get $xBytes) (i32.const 1)))) (f32.load (local.get $w)))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (f32.store (i32.add (local.get $outRow) (local.get $j)) (local.get $sum))
            (f32.store (i32.add (local.get $outRow1) (local.get $j)) (local.get $sum1))
            (f32.store (i32.add (local.get $outRow2) (local.get $j)) (local.get $sum2))
            (f32.store (i32.add (local.get $outRow3) (local.get $j)) (local.get $sum3))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $blockSingle)))
        (local.set $xRow (i32.add (local.get $xRow) (i32.shl (local.get $xBytes) (i32.const 2))))
        (local.set $outRow (i32.add (local.get $outRow3) (local.get $stride)))
        (local.set $biasRow (i32.add (local.get $biasRow3) (local.get $biasStride)))
        (local.set $rowsLeft (i32.sub (local.get $rowsLeft) (i32.const 4)))
        (br $blocks)))
    ;; the last count mod 4 rows, one at a time
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.eqz (local.get $rowsLeft)))
        (local.set $xEnd (i32.add (local.get $xRow) (i32.shl (local.get $columns) (i32.const 2))))
        (local.set $j (i32.const 0))
        ;; sixteen sums at a time
        (block $wideDone
          (loop $wide
            (br_if $wideDone (i32.gt_u (i32.add (local.get $j) (i32.const 64)) (local.get $stride)))
            (local.set $a0 (v128.load offset=0 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a1 (v128.load offset=16 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a2 (v128.load offset=32 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a3 (v128.load offset=48 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $w (i32.add (local.get $weightsT) (local.get $j)))
            (local.set $xk (local.get $xRow))
            (block $kDone
              (loop $k
                (br_if $kDone (i32.ge_u (local.get $xk) (local.get $xEnd)))
                (local.set $lane (v128.load32_splat align=4 (local.get $xk)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $lane) (v128.load offset=0 align=4 (local.get $w)))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $lane) (v128.load offset=16 align=4 (local.get $w)))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $lane) (v128.load offset=32 align=4 (local.get $w)))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $lane) (v128.load offset=48 align=4 (local.get $w)))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (v128.store offset=0 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a0))
            (v128.store offset=16 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a1))
            (v128.store offset=32 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a2))
            (v128.store offset=48 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a3))
            (local.set $j (i32.add (local.get $j) (i32.const 64)))
            (br $wide)))
        ;; four sums at a time
        (block $narrowDone
          (loop $narrow
            (br_if $narrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $stride)))
            (local.set $a0 (v128.load align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $w (i32.add (local.get $weightsT) (local.get $j)))
            (local.set $xk (local.get $xRow))
            (block $kDone
              (loop $k
                (br_if $kDone (i32.ge_u (local.get $xk) (local.get $xEnd)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat align=4 (local.get $xk)) (v128.load align=4 (local.get $w)))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (v128.store align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a0))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $narrow)))
        ;; the last width mod 4 sums, one at a time
        (block $singleDone
          (loop $single
            (br_if $singleDone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $sum (f32.load (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $w (i32.add (local.get $weightsT) (local.get $j)))
            (local.set $xk (local.get $xRow))
            (block $kDone
              (loop $k
                (br_if $kDone (i32.ge_u (local.get $xk) (local.get $xEnd)))
                (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $xk)) (f32.load (local.get $w)))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (f32.store (i32.add (local.get $outRow) (local.get $j)) (local.get $sum))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $single)))
        (local.set $xRow (local.get $xEnd))
        (local.set $outRow (i32.add (local.get $outRow) (local.get $stride)))
        (local.set $biasRow (i32.add (local.get $biasRow) (local.get $biasStride)))
        (local.set $rowsLeft (i32.sub (local.get $rowsLeft) (i32.const 1)))
        (br $rows))))

  ;; eˣ for four lanes, after Cephes's expf: x clamped to [−87, 88] (so 2ⁿ stays a normal
  ;; float32; NaN stays NaN), n = nearest(x·log₂e), r = x − n·ln2 in two parts,
  ;; eʳ = 1 + r + r²·P(r) with P of degree 5, times 2ⁿ built from its exponent bits. About
  ;; one ulp.
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88 88 88 88)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; σ(x) = 1 / (1 + e^{−x}) for four lanes.
  (func $sigmoid (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp (f32x4.neg (local.get $x))))))

  ;; tanh x for four lanes, after Cephes's tanhf, on a = |x| with x's sign put back:
  ;; a + a·a²·P(a²) below 0.625 (P of degree 4), else 1 − 2/(e^{2a} + 1). About two ulps.
  (func $tanh (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $p v128) (local $large v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $z (f32x4.mul (local.get $a) (local.get $a)))
    (local.set $p (v128.const f32x4 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1)))
    (local.set $p (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $z)) (local.get $a)) (local.get $a)))
    (local.set $large (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2) (f32x4.add (call $exp (f32x4.add (local.get $a) (local.get $a))) (v128.const f32x4 1 1 1 1)))))
    (v128.or
      (v128.bitselect (local.get $p) (local.get $large) (f32x4.lt (local.get $a) (v128.const f32x4 0.625 0.625 0.625 0.625)))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; In place, in each of `rows` rows `rowStride` bytes apart, `gates` blocks of `width` floats
  ;; from `start`, one after another: σ on block g where bit g of `kinds` is 0, tanh where it
  ;; is 1. Four lanes at a time, a block's last `width mod 4` one by one through lane 0 (the
  ;; same bits as in a full vector).
  (func (export "activate") (param $start i32) (param $width i32) (param $gates i32) (param $kinds i32) (param $rows i32) (param $rowStride i32)
    (local $block i32) (local $gate i32) (local $kind i32) (local $at i32) (local $end i32) (local $vectorsEnd i32)
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $block (local.get $start))
        (local.set $gate (i32.const 0))
        (block $gatesDone
          (loop $gateLoop
            (br_if $gatesDone (i32.ge_u (local.get $gate) (local.get $gates)))
            (local.set $kind (i32.and (i32.shr_u (local.get $kinds) (local.get $gate)) (i32.const 1)))
            (local.set $at (local.get $block))
            (local.set $end (i32.add (local.get $block) (i32.shl (local.get $width) (i32.const 2))))
            (local.set $vectorsEnd (i32.add (local.get $block) (i32.shl (i32.and (local.get $width) (i32.const -4)) (i32.const 2))))
            (block $vectorsDone
              (loop $vectors
                (br_if $vectorsDone (i32.ge_u (local.get $at) (local.get $vectorsEnd)))
                (v128.store align=4 (local.get $at) (call $activation (v128.load align=4 (local.get $at)) (local.get $kind)))
                (local.set $at (i32.add (local.get $at) (i32.const 16)))
                (br $vectors)))
            (block $singlesDone
              (loop $singles
                (br_if $singlesDone (i32.ge_u (local.get $at) (local.get $end)))
                (f32.store (local.get $at) (f32x4.extract_lane 0 (call $activation (f32x4.splat (f32.load (local.get $at))) (local.get $kind))))
                (local.set $at (i32.add (local.get $at) (i32.const 4)))
                (br $singles)))
            (local.set $block (local.get $end))
            (local.set $gate (i32.add (local.get $gate) (i32.const 1)))
            (br $gateLoop)))
        (local.set $start (i32.add (local.get $start) (local.get $rowStride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $rowLoop))))

  (func $activation (param $x v128) (param $kind i32) (result v128)
    (if (result v128) (local.get $kind)
      (then (call $tanh (local.get $x)))
      (else (call $sigmoid (local.get $x))))))
