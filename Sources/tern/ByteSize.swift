import ArgumentParser
import Foundation

/// A memory size on the command line: `512MiB`, `2GiB`, `1.5G`, `800M` or plain bytes (`K`/`M`/`G` are powers of 1024).
struct ByteSize: ExpressibleByArgument, Sendable {
    /// The size in bytes.
    var bytes: Int

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let (kib, mib, gib): (Double, Double, Double) = (1024, 1_048_576, 1_073_741_824)
        let units: [(String, Double)] = [
            ("kib", kib), ("mib", mib), ("gib", gib), ("kb", kib), ("mb", mib), ("gb", gib), ("k", kib), ("m", mib), ("g", gib), ("b", 1),
        ]
        var number = Substring(text)
        var scale: Double = 1
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0, value * scale < 1e18 else { return nil }
        bytes = Int(value * scale)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
