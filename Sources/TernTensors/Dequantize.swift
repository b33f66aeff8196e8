import CTernKernels

/// Scalar reference conversions from every supported ``TensorType`` to `Float`.
///
/// These are the ground truth the fast kernels are tested against; they favour clarity over speed. The quantized
/// formats are converted by the C kernels' own reference (`tern_dequantize_row`), which knows their block layouts.
public enum Dequantize {
    /// Converts `count` elements starting at `source` (a whole number of blocks of `type`) to `Float`.
    public static func row(_ type: TensorType, source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % type.blockElements == 0, "\(count) is not a whole number of \(type) blocks")
        precondition(type.hasKernels, "no kernels for \(type)")
        switch type {
        case .f32:
            destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            for i in 0..<count {
                destination[i] = Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16
                destination[i] = Float(bitPattern: bits)
            }
        default:
            tern_dequantize_row(Int32(type.rawValue), source, destination, Int64(count))
        }
    }
}
