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
