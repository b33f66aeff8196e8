import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rotary position embedding as a model's description asks for it: the cosines and sines of a position for each set
/// of frequencies the layers use, and the rotation of a vector's heads by them.
///
/// Pair i of position p turns by `scale · (p · base^(-2i/d) / factor_i)`, its cosine and sine multiplied by the model's
/// attention factor (YaRN's, or `rope.scaling.attn_factor`). The factors are Llama 3's `rope_freqs`, or LongRoPE's long
/// or short set as the context is longer than the original one or not. The angles are formed as the reference engine
/// forms them, `p · base^(-2i/d)` by repeated f32 multiplication, so that both rotate by the same floats.
struct RotaryEmbedding: @unchecked Sendable {
    /// Which dimensions form pairs.
    let style: ModelConfig.RoPEStyle
    /// Dimensions rotated at the start of each head.
    let dimensions: Int
    /// Size of a head.
    let headSize: Int
    /// One per distinct set of frequencies: the factor between successive pairs' angles, the scale, and YaRN's ramp and
    /// magnitude when it applies.
    private let sets: [(step: Float, scale: Float, yarn: YaRNRamp?)]
    /// [dimensions / 2] divisors of each pair's frequency (Llama 3's `rope_freqs`), or nil.
    private let factors: UnsafePointer<Float>?
    /// LongRoPE's divisors and the context past which the long ones apply, or nil.
    private let longRoPE: (long: UnsafePointer<Float>, short: UnsafePointer<Float>, originalContext: Int)?
    /// The factor of every cosine and sine outside YaRN (which has its own).
    private let magnitude: Float

    /// Pairs rotated in each head.
    var pairs: Int { dimensions / 2 }
    /// Number of frequency sets; ``angles(position:set:cosines:sines:)`` takes one of them.
    var setCount: Int { sets.count }

    init(config: ModelConfig, factors: UnsafePointer<Float>?, longRoPE: (long: UnsafePointer<Float>, short: UnsafePointer<Float>)? = nil) {
        style = config.ropeStyle
        dimensions = config.ropeDimensionCount
        headSize = config.headDimension
        sets = config.ropeFrequencies.map { frequencies in
            let yarn = frequencies.yarn.map { YaRNRamp($0, base: frequencies.base, scale: frequencies.scale, dimensions: config.ropeDimensionCount) }
            return (powf(frequencies.base, -2 / Float(config.ropeDimensionCount)), frequencies.scale, yarn)
        }
        self.factors = factors
        self.longRoPE = longRoPE.map { ($0.long, $0.short, config.ropeOriginalContext) }
        magnitude = config.ropeAttentionFactor
    }

    /// Writes the cosine and sine of every pair's angle at `position`, for frequency set `set`: [pairs] each.
    /// `contextLength` is the most positions one sequence may have (LongRoPE chooses its factors by it).
    func angles(
        position: Int, set: Int, contextLength: Int, cosines: UnsafeMutablePointer<Float>, sines: UnsafeMutablePointer<Float>
    ) {
        let (step, scale, yarn) = sets[set]
        let factors = factors ?? longRoPE.map { contextLength > $0.originalContext ? $0.long : $0.short }
        var theta = Float(position)
        for pair in 0..<pairs {
            // Dividing by 1 and multiplying by 1 are exact: without factors or scaling the angle is theta itself.
            let unscaled = factors.map { theta / $0[pair] } ?? theta
            if let yarn {
                let mix = yarn.mix(pair: pair)
                let angle = scale * unscaled * (1 - mix) + unscaled * mix
                cosines[pair] = cosf(angle) * yarn.magnitude
                sines[pair] = sinf(angle) * yarn.magnitude
            } else {
                // Multiplying by 1 is exact: without an attention factor these are the plain cosine and sine.
                let angle = scale * unscaled
                cosines[pair] = cosf(angle) * magnitude
                sines[pair] = sinf(angle) * magnitude
            }
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
            VectorMath.rotateNeox(vector, heads: heads, headSize: headSize, pairs: pairs, cosines: cosines, sines: sines)
        }
    }
}

/// YaRN's blend for one set of frequencies, in llama.cpp's float arithmetic: which pairs keep their angle, and the
/// factor of every cosine and sine.
struct YaRNRamp {
    /// Pairs up to `low` keep their angle, pairs from `high` on are scaled fully.
    let low: Float
    let high: Float
    /// The factor of every cosine and sine.
    let magnitude: Float

    init(_ yarn: ModelConfig.YaRN, base: Float, scale: Float, dimensions: Int) {
        // The pair that turns `turns` times in the original context.
        func pair(turning turns: Float) -> Float {
            Float(dimensions) * logf(Float(yarn.originalContext) / (turns * 2 * Float.pi)) / (2 * logf(base))
        }
        low = max(0, floorf(pair(turning: yarn.betaFast)))
        high = min(Float(dimensions - 1), ceilf(pair(turning: yarn.betaSlow)))
        // llama.cpp sets an attention factor that the rotation's own factor, applied after it, cancels for factors above 1.
        let factor = 1 / scale
        var attention: Float = factor <= 1 ? 1 : 0.1 * logf(factor) + 1
        attention *= 1 / (1 + 0.1 * logf(factor))
        attention *= yarn.attentionFactor
        magnitude = attention * (1 + 0.1 * logf(1 / scale))
    }

    /// How much of the unscaled angle pair `pair` keeps: 1 below `low`, 0 from `high`, linear between.
    func mix(pair: Int) -> Float {
        let y = (Float(pair) - low) / max(0.001, high - low)
        return 1 - min(1, max(0, y))
    }
}
