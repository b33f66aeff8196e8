import ArgumentParser

/// How long an idle model stays loaded, on the command line: `30s`, `5m`, `1h`, plain seconds, or `never`.
struct KeepAlive: ExpressibleByArgument, Sendable {
    /// The duration; nil for never.
    var duration: Duration?

    init?(argument: String) {
        if argument.trimmingCharacters(in: .whitespaces).lowercased() == "never" {
            duration = nil
            return
        }
        let units: [(suffix: String, factor: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        guard let seconds = scaledNumber(argument, units: units), seconds >= 0, seconds < 1e9 else { return nil }
        duration = .milliseconds(Int((seconds * 1000).rounded()))
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
