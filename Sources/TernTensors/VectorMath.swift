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
}
