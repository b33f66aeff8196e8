import ArgumentParser
import Foundation

/// A memory size on the command line: `512MiB`, `2GiB`, `1.5G`, `800M` or plain bytes (`K`/`M`/`G` are powers of 1024).
struct ByteSize: ExpressibleByArgument, Sendable {
    /// The size in bytes.
    var bytes: Int

    init?(argument: String) {
        let (kib, mib, gib): (Double, Double, Double) = (1024, 1_048_576, 1_073_741_824)
        let units: [(suffix: String, factor: Double)] = [
            ("kib", kib), ("mib", mib), ("gib", gib), ("kb", kib), ("mb", mib), ("gb", gib), ("k", kib), ("m", mib), ("g", gib), ("b", 1),
        ]
        guard let value = scaledNumber(argument, units: units), value > 0, value < 1e18 else { return nil }
        bytes = Int(value)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
