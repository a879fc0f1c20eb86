;; The host path's one kernel: rows of `bias + x Wᵀ` in float32, with 128-bit SIMD.
;;
;;   out[r, j] = bias[j] + Σ_k x[r, k] · Wᵀ[k, j]     r < count, j < width, k < columns
;;
;; Each sum starts at bias[j] and adds the products in the order of k, one float32 multiply
;; and one float32 add each (no fused multiply-add): the same bits as that plain loop in
;; float32, whatever `count` (so a row gets the same bits alone and in a batch) and on every
;; machine. Four lanes of j at a time, sixteen where they fit, the last `width mod 4` alone.
;; Pointers are byte offsets into the exported memory; Wᵀ is `[columns, width]`, x
;; `[count, columns]`, out `[count, width]`, bias `[width]`, all row-major float32.
(module
  (memory (export "memory") 1)
  (func (export "biasPlusProducts")
    (param $out i32) (param $bias i32) (param $x i32) (param $weightsT i32)
    (param $count i32) (param $width i32) (param $columns i32)
    (local $stride i32) (local $xRow i32) (local $xEnd i32) (local $xk i32)
    (local $outRow i32) (local $rowsLeft i32) (local $j i32) (local $w i32)
    (local $lane v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $sum f32)
    ;; bytes in a row of Wᵀ, bias and out
    (local.set $stride (i32.shl (local.get $width) (i32.const 2)))
    (local.set $xRow (local.get $x))
    (local.set $outRow (local.get $out))
    (local.set $rowsLeft (local.get $count))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.eqz (local.get $rowsLeft)))
        (local.set $xEnd (i32.add (local.get $xRow) (i32.shl (local.get $columns) (i32.const 2))))
        (local.set $j (i32.const 0))
        ;; sixteen sums at a time
        (block $wideDone
          (loop $wide
            (br_if $wideDone (i32.gt_u (i32.add (local.get $j) (i32.const 64)) (local.get $stride)))
            (local.set $a0 (v128.load offset=0 align=4 (i32.add (local.get $bias) (local.get $j))))
            (local.set $a1 (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $j))))
            (local.set $a2 (v128.load offset=32 align=4 (i32.add (local.get $bias) (local.get $j))))
            (local.set $a3 (v128.load offset=48 align=4 (i32.add (local.get $bias) (local.get $j))))
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
            (local.set $a0 (v128.load align=4 (i32.add (local.get $bias) (local.get $j))))
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
            (local.set $sum (f32.load (i32.add (local.get $bias) (local.get $j))))
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
        (local.set $rowsLeft (i32.sub (local.get $rowsLeft) (i32.const 1)))
        (br $rows)))))
