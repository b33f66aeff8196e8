/// Scalar reference conversions from every supported ``TensorType`` to `Float`.
///
/// These are the ground truth the fast kernels are tested against; they favour clarity over speed.
public enum Dequantize {
    /// Converts `count` elements starting at `source` (a whole number of blocks of `type`) to `Float`.
    public static func row(_ type: TensorType, source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % type.blockElements == 0, "\(count) is not a whole number of \(type) blocks")
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
        case .q8_0:
            // block: f16 scale d, 32 × int8; x = d * q
            for block in 0..<(count / 32) {
                let base = source + block * 34
                let d = Float(Float16(bitPattern: base.loadUnaligned(as: UInt16.self)))
                for j in 0..<32 {
                    destination[block * 32 + j] = d * Float(base.load(fromByteOffset: 2 + j, as: Int8.self))
                }
            }
        case .q4_0:
            // block: f16 scale d, 16 bytes of nibbles; low nibbles are elements 0..<16, high nibbles 16..<32; x = d * (q - 8)
            for block in 0..<(count / 32) {
                let base = source + block * 18
                let d = Float(Float16(bitPattern: base.loadUnaligned(as: UInt16.self)))
                for j in 0..<16 {
                    let byte = base.load(fromByteOffset: 2 + j, as: UInt8.self)
                    destination[block * 32 + j] = d * Float(Int(byte & 0x0F) - 8)
                    destination[block * 32 + j + 16] = d * Float(Int(byte >> 4) - 8)
                }
            }
        case .q4_1:
            // block: f16 scale d, f16 minimum m, 16 bytes of nibbles (same order as Q4_0); x = d * q + m
            for block in 0..<(count / 32) {
                let base = source + block * 20
                let d = Float(Float16(bitPattern: base.loadUnaligned(as: UInt16.self)))
                let m = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
                for j in 0..<16 {
                    let byte = base.load(fromByteOffset: 4 + j, as: UInt8.self)
                    destination[block * 32 + j] = d * Float(byte & 0x0F) + m
                    destination[block * 32 + j + 16] = d * Float(byte >> 4) + m
                }
            }
        default:
            preconditionFailure("no kernels for \(type)")
        }
    }
}
