import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The tanh approximation of GELU as the reference engine evaluates it in a gated feed-forward network: through a
/// table of its value at every f16 input, itself rounded to f16.
///
/// `gelu(x) = 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²)))`; an input at or below −10 gives 0, at or above 10 gives x,
/// anything between is rounded to f16 and looked up.
enum GELU {
    /// [65536] the f32 value of the f16 result for each f16 input bit pattern.
    static let table: [Float] = (0...UInt16.max).map { bits in
        let x = Float(Float16(bitPattern: bits))
        // The reference build contracts 1 + (0.044715·x)·x into one fused multiply-add.
        let inner = Float(1).addingProduct(0.044_715 * x, x)
        return Float(Float16(0.5 * x * (1 + tanhf(0.797_884_560_802_865_36 * x * inner))))
    }

    /// `gate[i] = gelu(gate[i]) · up[i]` for `i` in `0..<count`; `half` has room for `count` f16 values.
    static func geglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int, half: UnsafeMutablePointer<UInt16>) {
        VectorMath.convert(gate, toHalf: half, count: count)
        table.withUnsafeBufferPointer { table in
            for i in 0..<count {
                let x = gate[i]
                if x <= -10 {
                    gate[i] = 0
                } else if x >= 10 {
                    gate[i] = x * up[i]
                } else {
                    gate[i] = table[Int(half[i])] * up[i]
                }
            }
        }
    }

    /// [65536] the exact GELU, `x·Φ(x)` with erf (BERT's), at every f16 input bit pattern.
    static let erfTable: [Float] = (0...UInt16.max).map { bits in
        let x = Double(Float16(bitPattern: bits))
        return Float(0.5 * x * (1 + erf(x / 2.0.squareRoot())))
    }

    /// `x[i] = gelu(x[i])` for `i` in `0..<count`, the erf form looked up at the f16 rounding of each input (as the
    /// reference engine evaluates its GELU; a fraction of glibc's `erff` per value); `half` has room for `count`.
    static func exact(_ x: UnsafeMutablePointer<Float>, count: Int, half: UnsafeMutablePointer<UInt16>) {
        VectorMath.convert(x, toHalf: half, count: count)
        erfTable.withUnsafeBufferPointer { table in
            for i in 0..<count {
                let value = x[i]
                if value <= -10 {
                    x[i] = 0
                } else if value < 10 {
                    x[i] = table[Int(half[i])]
                }
            }
        }
    }
}
