/// Vectorised helpers for the sampler's passes over the whole vocabulary.
///
/// The exponential is our own (range reduction and a polynomial, built only from IEEE additions and multiplications
/// in a fixed order), so it is fast and gives bit-identical results on every machine, unlike the C library's `expf`.
enum SamplerMath {
    private typealias Vector = SIMD16<Float>
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_359_375
    private static let ln2Low: Float = -2.121_944_4e-4
    /// 1.5 · 2²³: adding it rounds to an integer held in the low mantissa bits.
    private static let roundingMagic: Float = 12_582_912
    private static let roundingMagicBits: UInt32 = 0x4B40_0000
    /// Below this, `e^x` is treated as 0 (the smallest normal float is e^-87.3).
    private static let underflow: Float = -87

    /// `e^x` for `x ≤ 0` (about one ulp; `-infinity` and anything below -87 give 0).
    @inline(__always)
    static func expNonPositive(_ x: Float) -> Float {
        let clamped = max(x, underflow)
        let t = clamped * log2e + roundingMagic
        let n = t - roundingMagic
        let r = (clamped - n * ln2High) - n * ln2Low
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = (p * r) * r + r + 1
        let scale = Float(bitPattern: ((t.bitPattern &- roundingMagicBits) &+ 127) &<< 23)
        return x < underflow ? 0 : y * scale
    }

    @inline(__always)
    private static func expNonPositive(_ x: Vector) -> Vector {
        let clamped = x.replacing(with: underflow, where: x .< underflow)
        let t = clamped * log2e + roundingMagic
        let n = t - roundingMagic
        let r = (clamped - n * ln2High) - n * ln2Low
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = (p * r) * r + r + 1
        let bits = ((unsafeBitCast(t, to: SIMD16<UInt32>.self) &- roundingMagicBits) &+ 127) &<< 23
        return (y * unsafeBitCast(bits, to: Vector.self)).replacing(with: 0, where: x .< underflow)
    }

    /// Adds the 16 lanes in a fixed order (`SIMD.sum()` leaves the order unspecified).
    @inline(__always)
    private static func laneSum(_ v: Vector) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// The largest value (`-infinity` for an all `-infinity` buffer; NaN is ignored).
    static func maximum(_ values: UnsafeMutableBufferPointer<Float>) -> Float {
        let n = values.count
        let base = values.baseAddress!
        var best = Vector(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: Vector.self)
            best = best.replacing(with: v, where: v .> best)
            i += 16
        }
        var result = best.max()
        while i < n {
            if base[i] > result { result = base[i] }
            i += 1
        }
        return result
    }

    /// The sum of `e^(values[i] - shift)` over the buffer (in the same order as ``exponentiate(_:into:shift:scale:)``).
    static func sumOfExponentials(_ values: UnsafeMutableBufferPointer<Float>, shift: Float) -> Double {
        let n = values.count
        let source = values.baseAddress!
        var total = 0.0
        var i = 0
        while i + 16 <= n {
            total += Double(laneSum(expNonPositive(UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self) - shift)))
            i += 16
        }
        while i < n {
            total += Double(expNonPositive(source[i] - shift))
            i += 1
        }
        return total
    }

    /// The first index `i` (a multiple of 16, or past the last full chunk) at which the running total of the chunk
    /// sums of `values` — added exactly as ``exponentiate(_:into:shift:scale:)`` adds them — exceeds `target`, with
    /// the total before that chunk. Lets a draw skip whole chunks of the dense distribution.
    static func chunkContaining(_ target: Double, in values: UnsafeMutableBufferPointer<Float>) -> (start: Int, before: Double) {
        let n = values.count
        let source = values.baseAddress!
        var total = 0.0
        var i = 0
        while i + 16 <= n {
            let chunk = Double(laneSum(UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)))
            if target < total + chunk { return (i, total) }
            total += chunk
            i += 16
        }
        return (i, total)
    }

    /// Writes `output[i] = e^((input[i] - shift) · scale)` for the whole buffer and returns the sum of the outputs
    /// (per 16 in Float, then in Double, always in the same order). Needs `input[i] ≤ shift` and `scale > 0`.
    static func exponentiate(
        _ input: UnsafeMutableBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, shift: Float, scale: Float
    ) -> Double {
        let n = input.count
        precondition(output.count >= n)
        let source = input.baseAddress!
        let target = output.baseAddress!
        var total = 0.0
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)
            let e = expNonPositive((v - shift) * scale)
            UnsafeMutableRawPointer(target + i).storeBytes(of: e, as: Vector.self)
            total += Double(laneSum(e))
            i += 16
        }
        while i < n {
            let e = expNonPositive((source[i] - shift) * scale)
            target[i] = e
            total += Double(e)
            i += 1
        }
        return total
    }
}
