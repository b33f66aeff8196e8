/// Small f32 routines of the forward pass that are not kernels.
enum FloatOps {
    /// output = input / sqrt(mean(input²) + epsilon) · weight
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
}
