import CTernKernels

/// The instruction-set level the kernels run at, chosen once per process.
///
/// The best level the CPU supports is used unless the environment variable `TERN_CPU` (`scalar`, `avx2` or `avx512`)
/// asks for a lower one, which is how benchmarks and tests compare the levels.
///
/// ```swift
/// print(CPULevel.active)  // "avx512" on a CPU with AVX-512 VNNI
/// ```
public enum CPULevel: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Portable C, the reference every other level is tested against.
    case scalar = 0
    /// x86-64 with AVX2, FMA and F16C.
    case avx2 = 1
    /// x86-64 with AVX-512 F/BW/VL/DQ and VNNI.
    case avx512 = 2

    /// The level all kernels use in this process.
    public static let active: CPULevel = CPULevel(rawValue: Int(tern_kernels_active().pointee.level)) ?? .scalar

    /// Whether the active level multiplies BF16 matrices with bf16 pair instructions (AVX-512 on a CPU with
    /// AVX512_BF16): twice the products of f32 per instruction, so an F32 matrix is worth converting
    /// (``WeightMatrix/bf16Copy(arena:)``) where its precision allows.
    public static let multipliesBF16Pairs = tern_bf16_pairs_available() != 0

    /// Every level this CPU can run, lowest first.
    public static var available: [CPULevel] {
        allCases.filter { tern_kernels_for_level(Int32($0.rawValue)) != nil }
    }

    /// The name `TERN_CPU` accepts for this level.
    public var description: String {
        switch self {
        case .scalar: "scalar"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    /// The kernel table of this level; the level must be in ``available``.
    var kernels: Kernels {
        guard let table = tern_kernels_for_level(Int32(rawValue)) else {
            preconditionFailure("this CPU cannot run the \(self) kernels")
        }
        return Kernels(table.pointee)
    }
}

/// The C kernel table with its function pointers unwrapped once.
struct Kernels {
    let quantizeActivations: @convention(c) (Int32, UnsafePointer<Float>?, UnsafeMutableRawPointer?, Int64) -> Void
    let gemm:
        @convention(c) (
            Int32, UnsafeRawPointer?, Int, Int64, Int64, Int64, UnsafeRawPointer?, Int, Int64, UnsafePointer<UInt8>?,
            UnsafeMutablePointer<Float>?, Int
        ) -> Void
    let dot: @convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, Int64) -> Float
    let axpy: @convention(c) (Float, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64) -> Void
    let scale: @convention(c) (Float, UnsafeMutablePointer<Float>?, Int64) -> Void
    let f32ToF16: @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<UInt16>?, Int64) -> Void
    let f16ToF32: @convention(c) (UnsafePointer<UInt16>?, UnsafeMutablePointer<Float>?, Int64) -> Void
    let softmax: @convention(c) (UnsafeMutablePointer<Float>?, Int64) -> Void
    let swiglu: @convention(c) (UnsafeMutablePointer<Float>?, UnsafePointer<Float>?, Int64) -> Void
    let halfRowsDot:
        @convention(c) (UnsafePointer<UInt16>?, Int, Int64, UnsafePointer<Float>?, Int, Int64, Int64, UnsafeMutablePointer<Float>?, Int, Int32) ->
            Void
    let halfColumnsDot:
        @convention(c) (UnsafePointer<UInt16>?, Int, Int64, Int64, UnsafePointer<Float>?, Int, Int64, UnsafeMutablePointer<Float>?, Int, Int32) ->
            Void
    let rope: @convention(c) (UnsafeMutablePointer<Float>?, Int64, Int64, Int64, UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void
    let ropeNeox: @convention(c) (UnsafeMutablePointer<Float>?, Int64, Int64, Int64, UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void

    init(_ table: tern_kernels) {
        quantizeActivations = table.quantize_act!
        gemm = table.gemm!
        dot = table.dot_f32!
        axpy = table.axpy_f32!
        scale = table.scale_f32!
        f32ToF16 = table.f32_to_f16!
        f16ToF32 = table.f16_to_f32!
        softmax = table.softmax_f32!
        swiglu = table.swiglu_f32!
        halfRowsDot = table.f16_rows_dot!
        halfColumnsDot = table.f16_cols_dot!
        rope = table.rope_f32!
        ropeNeox = table.rope_neox_f32!
    }

    /// The kernels of ``CPULevel/active``.
    static let active = Kernels(tern_kernels_active().pointee)
}
