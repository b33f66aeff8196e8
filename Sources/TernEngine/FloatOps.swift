#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small f32 routines of the forward pass that are not kernels.
enum FloatOps {
    /// output = input / sqrt(mean(input²) + epsilon) · weight; `output` may be `input`.
    static func rmsNorm(
        _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        // The reference engine's rounding: squares in f32 summed in f64, the mean and the scale in f32.
        var sum: Double = 0
        for i in 0..<count { sum += Double(input[i] * input[i]) }
        scale(input, sum: sum, weight: weight, epsilon: epsilon, output: output, count: count)
    }

    /// ``rmsNorm(_:weight:epsilon:output:count:)`` in place on `rows` consecutive rows of `count` floats (a token's
    /// heads) with one weight, four rows at a time: each row's sum is formed in the same order, but four side by side,
    /// so that the adds of one do not wait for the last add of another.
    static func rmsNormRows(_ x: UnsafeMutablePointer<Float>, rows: Int, weight: UnsafePointer<Float>, epsilon: Float, count: Int) {
        var row = 0
        while row + 4 <= rows {
            let (a, b, c, d) = (x + row * count, x + (row + 1) * count, x + (row + 2) * count, x + (row + 3) * count)
            var sums: (Double, Double, Double, Double) = (0, 0, 0, 0)
            for i in 0..<count {
                sums.0 += Double(a[i] * a[i])
                sums.1 += Double(b[i] * b[i])
                sums.2 += Double(c[i] * c[i])
                sums.3 += Double(d[i] * d[i])
            }
            scale(a, sum: sums.0, weight: weight, epsilon: epsilon, output: a, count: count)
            scale(b, sum: sums.1, weight: weight, epsilon: epsilon, output: b, count: count)
            scale(c, sum: sums.2, weight: weight, epsilon: epsilon, output: c, count: count)
            scale(d, sum: sums.3, weight: weight, epsilon: epsilon, output: d, count: count)
            row += 4
        }
        for rest in row..<rows { rmsNorm(x + rest * count, weight: weight, epsilon: epsilon, output: x + rest * count, count: count) }
    }

    /// The second half of an RMS norm: `output = input · scale · weight` with the scale that `sum` (of the squares)
    /// gives, rounded as the reference rounds it.
    @inline(__always)
    private static func scale(
        _ input: UnsafePointer<Float>, sum: Double, weight: UnsafePointer<Float>, epsilon: Float, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { output[i] = input[i] * scale * weight[i] }
    }

    /// destination[i] += source[i]
    static func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] += source[i] }
    }

    /// x[i] = cap · tanh(x[i] · (1 / cap)): soft-capping, as the reference engine scales, takes tanh and scales back.
    static func softcap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
        let inverse = 1 / cap
        for i in 0..<count { x[i] = tanhf(x[i] * inverse) * cap }
    }
}

extension FloatOps {
    /// output = (input − mean) / sqrt(variance + epsilon) · weight + bias (LayerNorm); `output` may be `input`.
    static func layerNorm(
        _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>, count: Int
    ) {
        // Sums in f64, as the reference engine takes them.
        var sum: Double = 0
        for i in 0..<count { sum += Double(input[i]) }
        let mean = Float(sum / Double(count))
        var squares: Double = 0
        for i in 0..<count {
            let centered = input[i] - mean
            squares += Double(centered * centered)
        }
        let scale = 1 / (Float(squares / Double(count)) + epsilon).squareRoot()
        for i in 0..<count { output[i] = (input[i] - mean) * scale * weight[i] + bias[i] }
    }
}
