import CTernKernels

/// Vectorized f32 helpers for the parts of a forward pass that are not matrix products (attention, residuals).
///
/// They run at ``CPULevel/active`` (FMA where the CPU has it); results may differ from a sequential sum in the last
/// bits because the sums are reordered.
public enum VectorMath {
    /// `Σ x[i]·y[i]` for `i` in `0..<count`.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        Kernels.active.dot(x, y, Int64(count))
    }

    /// `y[i] += a·x[i]` for `i` in `0..<count`.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.active.axpy(a, x, y, Int64(count))
    }

    /// `y[i] *= a` for `i` in `0..<count`.
    @inline(__always)
    public static func scale(_ y: UnsafeMutablePointer<Float>, by a: Float, count: Int) {
        Kernels.active.scale(a, y, Int64(count))
    }

    /// Softmax of `count` floats in place.
    ///
    /// The exponentials and their sum are computed as the reference engine (llama.cpp) computes them at this
    /// instruction-set level: its polynomial e^x, lanes of 8 or 16 summed in f32, those sums in f64.
    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.active.softmax(x, Int64(count))
    }

    /// `gate[i] = SiLU(gate[i]) · up[i]` for `i` in `0..<count`, with the reference engine's e^x (see ``softmax(_:count:)``).
    @inline(__always)
    public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Kernels.active.swiglu(gate, up, Int64(count))
    }

    /// Rounds `count` floats to IEEE half precision (nearest even), as bit patterns.
    @inline(__always)
    public static func convert(_ source: UnsafePointer<Float>, toHalf destination: UnsafeMutablePointer<UInt16>, count: Int) {
        Kernels.active.f32ToF16(source, destination, Int64(count))
    }

    /// Widens `count` IEEE half bit patterns to floats (exact).
    @inline(__always)
    public static func convert(half source: UnsafePointer<UInt16>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.active.f16ToF32(source, destination, Int64(count))
    }

    /// Rotates `heads` heads of `headSize` floats in place by rotary position embedding: pair `i` of each head's first
    /// `2·pairs` values, `(a, b)`, becomes `(a·c − b·s, a·s + b·c)` with `c = cosines[i]`, `s = sines[i]`, fused as the
    /// reference engine fuses it (`a·c` and `a·s` exact inside the FMA, the other product rounded).
    @inline(__always)
    public static func rotate(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headSize: Int, pairs: Int, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>
    ) {
        Kernels.active.rope(x, Int64(heads), Int64(headSize), Int64(pairs), cosines, sines)
    }

    /// ``rotate(_:heads:headSize:pairs:cosines:sines:)`` in the NeoX style: pair `i` is `(x[i], x[i + pairs])`.
    @inline(__always)
    public static func rotateNeox(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headSize: Int, pairs: Int, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>
    ) {
        Kernels.active.ropeNeox(x, Int64(heads), Int64(headSize), Int64(pairs), cosines, sines)
    }

    /// `output[k·outputStride + r] = Σ_c rows[r][c] · half(x[k·xStride + c])` for `r` in `0..<rowCount` and `k` in
    /// `0..<xCount`, summed in f32 in the given order.
    ///
    /// `rows` holds IEEE half values, row `r` starting `r · rowStride` halfs in. Each `x` is rounded to half first (through
    /// `halfScratch`, room for `columns` halfs) into `scratch` (room for `xCount · columns` floats). This is how an f16
    /// KV cache meets f32 queries and attention weights; several `x` read the rows once (query heads sharing a KV head).
    public static func halfRowsDot(
        _ rows: UnsafePointer<UInt16>, rowStride: Int, rowCount: Int, columns: Int, x: UnsafePointer<Float>, xStride: Int, xCount: Int,
        scratch: UnsafeMutablePointer<Float>, halfScratch: UnsafeMutablePointer<UInt16>, order: HalfDotOrder,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let kernels = Kernels.active
        roundToHalf(x, stride: xStride, count: xCount, length: columns, through: halfScratch, into: scratch)
        kernels.halfRowsDot(
            rows, rowStride, Int64(rowCount), scratch, columns, Int64(xCount), Int64(columns), output, outputStride, order == .oneToken ? 1 : 0)
    }
}

extension VectorMath {
    /// `output[k·outputStride + c] = Σ_p rows[p][c] · half(x[k·xStride + p])` for `c` in `0..<columns` and `k` in
    /// `0..<xCount`, over `p` in `0..<rowCount`: the sums ``halfRowsDot(_:rowStride:rowCount:columns:x:xStride:xCount:scratch:halfScratch:order:output:outputStride:)``
    /// makes of the transposed rows, in the same order, for rows stored one per position (the values of a KV cache).
    ///
    /// Each `x` (`rowCount` floats) is rounded to half first, through `halfScratch` into `scratch`, as there.
    public static func halfColumnsDot(
        _ rows: UnsafePointer<UInt16>, rowStride: Int, rowCount: Int, columns: Int, x: UnsafePointer<Float>, xStride: Int, xCount: Int,
        scratch: UnsafeMutablePointer<Float>, halfScratch: UnsafeMutablePointer<UInt16>, order: HalfDotOrder,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let kernels = Kernels.active
        roundToHalf(x, stride: xStride, count: xCount, length: rowCount, through: halfScratch, into: scratch)
        kernels.halfColumnsDot(
            rows, rowStride, Int64(rowCount), Int64(columns), scratch, rowCount, Int64(xCount), output, outputStride, order == .oneToken ? 1 : 0)
    }

    /// `count` vectors of `length` floats, `stride` apart, rounded to half (through `half`) into `rounded`, packed.
    private static func roundToHalf(
        _ x: UnsafePointer<Float>, stride: Int, count: Int, length: Int, through half: UnsafeMutablePointer<UInt16>,
        into rounded: UnsafeMutablePointer<Float>
    ) {
        let kernels = Kernels.active
        for k in 0..<count {
            kernels.f32ToF16(x + k * stride, half, Int64(length))
            kernels.f16ToF32(half, rounded + k * length, Int64(length))
        }
    }
}

/// The order in which ``VectorMath/halfRowsDot(_:rowStride:rowCount:columns:x:xStride:xCount:scratch:halfScratch:order:output:outputStride:)``
/// and ``VectorMath/halfColumnsDot(_:rowStride:rowCount:columns:x:xStride:xCount:scratch:halfScratch:order:output:outputStride:)`` sum.
///
/// The reference engine (llama.cpp) sums attention dot products in one order when a batch holds several tokens and
/// in another when it holds one; Tern follows it, so that its logits stay bit-compatible in both cases.
public enum HalfDotOrder: Sendable {
    /// One accumulator along the row, then a horizontal sum (the reference's path for batches of tokens).
    case batched
    /// Four accumulators, added pairwise, then a horizontal sum (the reference's path for a single token).
    case oneToken
}
