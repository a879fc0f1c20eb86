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
  ;; by one, twenty-four lanes of j at a time, then sixteen, then four, the last `width mod 4`
  ;; alone.
  ;; Wᵀ is `[columns, width]`, x `[count, columns]`, out `[count, width]`; bias rows are
  ;; `biasStride` bytes apart (0: one bias for every row).
  (func $biasPlusProducts (export "biasPlusProducts")
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
        ;; twenty-four sums at a time: six independent chains of adds
        (block $widestDone
          (loop $widest
            (br_if $widestDone (i32.gt_u (i32.add (local.get $j) (i32.const 96)) (local.get $stride)))
            (local.set $a0 (v128.load offset=0 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a1 (v128.load offset=16 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a2 (v128.load offset=32 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $a3 (v128.load offset=48 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $b0 (v128.load offset=64 align=4 (i32.add (local.get $biasRow) (local.get $j))))
            (local.set $b1 (v128.load offset=80 align=4 (i32.add (local.get $biasRow) (local.get $j))))
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
                (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $lane) (v128.load offset=64 align=4 (local.get $w)))))
                (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $lane) (v128.load offset=80 align=4 (local.get $w)))))
                (local.set $w (i32.add (local.get $w) (local.get $stride)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br $k)))
            (v128.store offset=0 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a0))
            (v128.store offset=16 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a1))
            (v128.store offset=32 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a2))
            (v128.store offset=48 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $a3))
            (v128.store offset=64 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $b0))
            (v128.store offset=80 align=4 (i32.add (local.get $outRow) (local.get $j)) (local.get $b1))
            (local.set $j (i32.add (local.get $j) (i32.const 96)))
            (br $widest)))
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
      (else (call $sigmoid (local.get $x)))))

  ;; ---- Fused recurrent steps ----
  ;;
  ;; One step of one layer-direction for `count` rows (N) in one call: `p_t + h W_hhᵀ` (through
  ;; $biasPlusProducts, so the sums' order is the product's), the activations and the state
  ;; update, each per-element operation one float32 operation in the order of the tf-op cells
  ;; (`src/manual/cells`), no fused multiply-add. The states live in this memory across steps
  ;; and calls: h `[N, H_out]` at $hidden (and c `[N, H]` at $cells) are read and then
  ;; overwritten in place for the rows whose sequence goes on (`lengths[b] > t`, i32 at
  ;; $lengths); a row whose sequence has ended keeps its state. Every row's state is then
  ;; copied to the step's slot of the sequence ($hiddenOut, $cellsOut; the same address as the
  ;; state copies nothing). Per-element maths runs four lanes at a time, a row's last
  ;; `size mod 4` one by one through lane 0 (the same bits as in a full vector).

  ;; Whether row $row's sequence goes on at step $t.
  (func $goesOn (param $lengths i32) (param $row i32) (param $t i32) (result i32)
    (i32.gt_s (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $row) (i32.const 2)))) (local.get $t)))

  ;; An RNN's new h for four lanes of `p_t + h W_hhᵀ`: tanh, or relu as max(·, 0).
  (func $rnnLanes (param $sum v128) (param $relu i32) (result v128)
    (if (result v128) (local.get $relu)
      (then (f32x4.max (local.get $sum) (v128.const f32x4 0 0 0 0)))
      (else (call $tanh (local.get $sum)))))

  ;; RNN: h = act(p_t + h W_hhᵀ). $projection `[N, H]` (p_t), $recurrentT `[H, H]` (W_hhᵀ),
  ;; $gates `[N, H]` scratch.
  (func (export "rnnStep")
    (param $projection i32) (param $recurrentT i32) (param $hidden i32) (param $gates i32) (param $hiddenOut i32)
    (param $lengths i32) (param $t i32) (param $count i32) (param $size i32) (param $relu i32)
    (local $rowBytes i32) (local $vectorBytes i32) (local $row i32) (local $g i32) (local $h i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $size) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (call $biasPlusProducts (local.get $gates) (local.get $projection) (local.get $rowBytes) (local.get $hidden) (local.get $recurrentT)
      (local.get $count) (local.get $size) (local.get $size))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $count)))
        (if (call $goesOn (local.get $lengths) (local.get $row) (local.get $t))
          (then
            (local.set $g (i32.add (local.get $gates) (i32.mul (local.get $row) (local.get $rowBytes))))
            (local.set $h (i32.add (local.get $hidden) (i32.mul (local.get $row) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            (block $vectorsDone
              (loop $vectors
                (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorBytes)))
                (v128.store align=4 (i32.add (local.get $h) (local.get $j))
                  (call $rnnLanes (v128.load align=4 (i32.add (local.get $g) (local.get $j))) (local.get $relu)))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $vectors)))
            (block $singlesDone
              (loop $singles
                (br_if $singlesDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $h) (local.get $j)) (f32x4.extract_lane 0
                  (call $rnnLanes (v128.load32_splat align=4 (i32.add (local.get $g) (local.get $j))) (local.get $relu))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $singles)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))
    (memory.copy (local.get $hiddenOut) (local.get $hidden) (i32.mul (local.get $count) (local.get $rowBytes))))

  ;; An LSTM's new c for four lanes of the gates' sums: σ(f) ⊙ c + σ(i) ⊙ tanh(g).
  (func $lstmCellLanes (param $input v128) (param $forget v128) (param $candidate v128) (param $cell v128) (result v128)
    (f32x4.add
      (f32x4.mul (call $sigmoid (local.get $forget)) (local.get $cell))
      (f32x4.mul (call $sigmoid (local.get $input)) (call $tanh (local.get $candidate)))))

  ;; An LSTM's σ(o) ⊙ tanh(c) for four lanes.
  (func $lstmOutputLanes (param $output v128) (param $cell v128) (result v128)
    (f32x4.mul (call $sigmoid (local.get $output)) (call $tanh (local.get $cell))))

  ;; LSTM: [i f g o] = p_t + h W_hhᵀ, c = σ(f) ⊙ c + σ(i) ⊙ tanh(g), m = σ(o) ⊙ tanh(c), and
  ;; h = m (H_out = H) or, with $projects, h = m W_hrᵀ. $projection `[N, 4H]`, $recurrentT
  ;; `[H_out, 4H]`, $projectionT `[H, H_out]` (W_hrᵀ), $zeros `[H_out]` zeros; scratch $gates
  ;; `[N, 4H]`, $unprojected `[N, H]`, $projected `[N, H_out]`.
  (func (export "lstmStep")
    (param $projection i32) (param $recurrentT i32) (param $projectionT i32) (param $zeros i32)
    (param $hidden i32) (param $cells i32) (param $gates i32) (param $unprojected i32) (param $projected i32)
    (param $hiddenOut i32) (param $cellsOut i32) (param $lengths i32) (param $t i32) (param $count i32)
    (param $cellSize i32) (param $outSize i32) (param $projects i32)
    (local $cellBytes i32) (local $gateBytes i32) (local $outBytes i32) (local $vectorBytes i32)
    (local $row i32) (local $g i32) (local $c i32) (local $m i32) (local $j i32) (local $cell v128)
    (local.set $cellBytes (i32.shl (local.get $cellSize) (i32.const 2)))
    (local.set $gateBytes (i32.shl (local.get $cellSize) (i32.const 4)))
    (local.set $outBytes (i32.shl (local.get $outSize) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $cellBytes) (i32.const -16)))
    (call $biasPlusProducts (local.get $gates) (local.get $projection) (local.get $gateBytes) (local.get $hidden) (local.get $recurrentT)
      (local.get $count) (i32.shl (local.get $cellSize) (i32.const 2)) (local.get $outSize))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $count)))
        (if (call $goesOn (local.get $lengths) (local.get $row) (local.get $t))
          (then
            (local.set $g (i32.add (local.get $gates) (i32.mul (local.get $row) (local.get $gateBytes))))
            (local.set $c (i32.add (local.get $cells) (i32.mul (local.get $row) (local.get $cellBytes))))
            (local.set $m (i32.add (select (local.get $unprojected) (local.get $hidden) (local.get $projects))
              (i32.mul (local.get $row) (local.get $cellBytes))))
            (local.set $j (i32.const 0))
            (block $vectorsDone
              (loop $vectors
                (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorBytes)))
                (local.set $cell (call $lstmCellLanes
                  (v128.load align=4 (i32.add (local.get $g) (local.get $j)))
                  (v128.load align=4 (i32.add (i32.add (local.get $g) (local.get $cellBytes)) (local.get $j)))
                  (v128.load align=4 (i32.add (i32.add (local.get $g) (i32.shl (local.get $cellBytes) (i32.const 1))) (local.get $j)))
                  (v128.load align=4 (i32.add (local.get $c) (local.get $j)))))
                (v128.store align=4 (i32.add (local.get $c) (local.get $j)) (local.get $cell))
                (v128.store align=4 (i32.add (local.get $m) (local.get $j)) (call $lstmOutputLanes
                  (v128.load align=4 (i32.add (i32.add (local.get $g) (i32.mul (local.get $cellBytes) (i32.const 3))) (local.get $j)))
                  (local.get $cell)))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $vectors)))
            (block $singlesDone
              (loop $singles
                (br_if $singlesDone (i32.ge_u (local.get $j) (local.get $cellBytes)))
                (local.set $cell (call $lstmCellLanes
                  (v128.load32_splat align=4 (i32.add (local.get $g) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $g) (local.get $cellBytes)) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $g) (i32.shl (local.get $cellBytes) (i32.const 1))) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (local.get $c) (local.get $j)))))
                (f32.store (i32.add (local.get $c) (local.get $j)) (f32x4.extract_lane 0 (local.get $cell)))
                (f32.store (i32.add (local.get $m) (local.get $j)) (f32x4.extract_lane 0 (call $lstmOutputLanes
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $g) (i32.mul (local.get $cellBytes) (i32.const 3))) (local.get $j)))
                  (local.get $cell))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $singles)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))
    (if (local.get $projects)
      (then
        (call $biasPlusProducts (local.get $projected) (local.get $zeros) (i32.const 0) (local.get $unprojected) (local.get $projectionT)
          (local.get $count) (local.get $outSize) (local.get $cellSize))
        (local.set $row (i32.const 0))
        (block $copiesDone
          (loop $copies
            (br_if $copiesDone (i32.ge_u (local.get $row) (local.get $count)))
            (if (call $goesOn (local.get $lengths) (local.get $row) (local.get $t))
              (then (memory.copy
                (i32.add (local.get $hidden) (i32.mul (local.get $row) (local.get $outBytes)))
                (i32.add (local.get $projected) (i32.mul (local.get $row) (local.get $outBytes)))
                (local.get $outBytes))))
            (local.set $row (i32.add (local.get $row) (i32.const 1)))
            (br $copies)))))
    (memory.copy (local.get $hiddenOut) (local.get $hidden) (i32.mul (local.get $count) (local.get $outBytes)))
    (memory.copy (local.get $cellsOut) (local.get $cells) (i32.mul (local.get $count) (local.get $cellBytes))))

  ;; A GRU's new h for four lanes: r = σ(p_r + a_r), z = σ(p_z + a_z),
  ;; n = tanh(p_n + r ⊙ (a_n + b_hn)), h = (h − n) ⊙ z + n.
  (func $gruLanes
    (param $projectedReset v128) (param $recurrentReset v128) (param $projectedUpdate v128) (param $recurrentUpdate v128)
    (param $projectedNew v128) (param $recurrentNew v128) (param $hiddenBias v128) (param $hidden v128) (result v128)
    (local $update v128) (local $candidate v128)
    (local.set $update (call $sigmoid (f32x4.add (local.get $projectedUpdate) (local.get $recurrentUpdate))))
    (local.set $candidate (call $tanh (f32x4.add (local.get $projectedNew)
      (f32x4.mul
        (call $sigmoid (f32x4.add (local.get $projectedReset) (local.get $recurrentReset)))
        (f32x4.add (local.get $recurrentNew) (local.get $hiddenBias))))))
    (f32x4.add (f32x4.mul (f32x4.sub (local.get $hidden) (local.get $candidate)) (local.get $update)) (local.get $candidate)))

  ;; GRU: [a_r a_z a_n] = h W_hhᵀ (summed from zero, as the tf-op cell's matMul), then
  ;; `$gruLanes`. $projection `[N, 3H]` (p_t), $recurrentT `[H, 3H]`, $hiddenBias `[H]` (b_hn,
  ;; zeros without biases), $zeros `[3H]` zeros; scratch $gates `[N, 3H]`.
  (func (export "gruStep")
    (param $projection i32) (param $recurrentT i32) (param $hiddenBias i32) (param $zeros i32) (param $hidden i32) (param $gates i32)
    (param $hiddenOut i32) (param $lengths i32) (param $t i32) (param $count i32) (param $size i32)
    (local $rowBytes i32) (local $gateBytes i32) (local $vectorBytes i32)
    (local $row i32) (local $p i32) (local $g i32) (local $h i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $size) (i32.const 2)))
    (local.set $gateBytes (i32.mul (local.get $rowBytes) (i32.const 3)))
    (local.set $vectorBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (call $biasPlusProducts (local.get $gates) (local.get $zeros) (i32.const 0) (local.get $hidden) (local.get $recurrentT)
      (local.get $count) (i32.mul (local.get $size) (i32.const 3)) (local.get $size))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $count)))
        (if (call $goesOn (local.get $lengths) (local.get $row) (local.get $t))
          (then
            (local.set $p (i32.add (local.get $projection) (i32.mul (local.get $row) (local.get $gateBytes))))
            (local.set $g (i32.add (local.get $gates) (i32.mul (local.get $row) (local.get $gateBytes))))
            (local.set $h (i32.add (local.get $hidden) (i32.mul (local.get $row) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            (block $vectorsDone
              (loop $vectors
                (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorBytes)))
                (v128.store align=4 (i32.add (local.get $h) (local.get $j)) (call $gruLanes
                  (v128.load align=4 (i32.add (local.get $p) (local.get $j)))
                  (v128.load align=4 (i32.add (local.get $g) (local.get $j)))
                  (v128.load align=4 (i32.add (i32.add (local.get $p) (local.get $rowBytes)) (local.get $j)))
                  (v128.load align=4 (i32.add (i32.add (local.get $g) (local.get $rowBytes)) (local.get $j)))
                  (v128.load align=4 (i32.add (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $j)))
                  (v128.load align=4 (i32.add (i32.add (local.get $g) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $j)))
                  (v128.load align=4 (i32.add (local.get $hiddenBias) (local.get $j)))
                  (v128.load align=4 (i32.add (local.get $h) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $vectors)))
            (block $singlesDone
              (loop $singles
                (br_if $singlesDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $h) (local.get $j)) (f32x4.extract_lane 0 (call $gruLanes
                  (v128.load32_splat align=4 (i32.add (local.get $p) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (local.get $g) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $p) (local.get $rowBytes)) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $g) (local.get $rowBytes)) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (i32.add (local.get $g) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (local.get $hiddenBias) (local.get $j)))
                  (v128.load32_splat align=4 (i32.add (local.get $h) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $singles)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))
    (memory.copy (local.get $hiddenOut) (local.get $hidden) (i32.mul (local.get $count) (local.get $rowBytes)))))
