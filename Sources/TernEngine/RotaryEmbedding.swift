import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rotary position embedding as a model's description asks for it: the cosines and sines of a position for each set
/// of frequencies the layers use, and the rotation of a vector's heads by them.
///
/// Pair i of position p turns by `scale · (p · base^(-2i/d) / factor_i)`. The angles are formed as the reference
/// engine forms them, `p · base^(-2i/d)` by repeated f32 multiplication, so that both rotate by the same floats.
struct RotaryEmbedding: @unchecked Sendable {
    /// Which dimensions form pairs.
    let style: ModelConfig.RoPEStyle
    /// Dimensions rotated at the start of each head.
    let dimensions: Int
    /// Size of a head.
    let headSize: Int
    /// One per distinct set of frequencies: the factor between successive pairs' angles, and the linear scale.
    private let sets: [(step: Float, scale: Float)]
    /// [dimensions / 2] divisors of each pair's frequency (Llama 3's `rope_freqs`), or nil.
    private let factors: UnsafePointer<Float>?

    /// Pairs rotated in each head.
    var pairs: Int { dimensions / 2 }
    /// Number of frequency sets; ``angles(position:set:cosines:sines:)`` takes one of them.
    var setCount: Int { sets.count }

    init(config: ModelConfig, factors: UnsafePointer<Float>?) {
        style = config.ropeStyle
        dimensions = config.ropeDimensionCount
        headSize = config.headDimension
        sets = config.ropeFrequencies.map { (powf($0.base, -2 / Float(config.ropeDimensionCount)), $0.scale) }
        self.factors = factors
    }

    /// Writes the cosine and sine of every pair's angle at `position`, for frequency set `set`: [pairs] each.
    func angles(position: Int, set: Int, cosines: UnsafeMutablePointer<Float>, sines: UnsafeMutablePointer<Float>) {
        let (step, scale) = sets[set]
        var theta = Float(position)
        for pair in 0..<pairs {
            // Dividing by 1 and multiplying by 1 are exact: without factors or scaling the angle is theta itself.
            let angle = scale * (factors.map { theta / $0[pair] } ?? theta)
            cosines[pair] = cosf(angle)
            sines[pair] = sinf(angle)
            theta *= step
        }
    }

    /// Rotates `heads` heads of ``headSize`` floats at `vector` in place by the angles of `cosines` and `sines`.
    ///
    /// Each pair (a, b) becomes `(a·c − b·s, a·s + b·c)`, fused as the reference engine fuses it (`a·c` and `a·s` exact
    /// inside the FMA, the other product rounded).
    func rotate(_ vector: UnsafeMutablePointer<Float>, heads: Int, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        switch style {
        case .normal:
            VectorMath.rotate(vector, heads: heads, headSize: headSize, pairs: pairs, cosines: cosines, sines: sines)
        case .neox:
            let half = pairs
            for head in 0..<heads {
                let x = vector + head * headSize
                for i in 0..<half {
                    let (a, b, c, s) = (x[i], x[i + half], cosines[i], sines[i])
                    x[i] = (-(b * s)).addingProduct(a, c)
                    x[i + half] = (b * c).addingProduct(a, s)
                }
            }
        }
    }
}
