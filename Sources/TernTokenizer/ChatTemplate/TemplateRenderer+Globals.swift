#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension TemplateRenderer {
    /// The functions every template can call: `range`, `namespace`, `dict`, `raise_exception`, `strftime_now`.
    func global(_ name: String) -> RuntimeValue? {
        switch name {
        case "range":
            return .callable(TemplateCallable("range") { (arguments, renderer) throws(ChatTemplateError) in try renderer.range(arguments) })
        case "namespace", "dict":
            return .callable(
                TemplateCallable(name) { (arguments, _) throws(ChatTemplateError) in
                    var attributes = RuntimeDict()
                    for value in arguments.positional {
                        guard case .dict(let initial) = value else {
                            throw ChatTemplateError(.runtime, "\(name)() positional argument must be a mapping")
                        }
                        for (key, item) in initial.entries { attributes[key] = item }
                    }
                    for (key, value) in arguments.keyword { attributes[key] = value }
                    if name == "dict" { return .dict(attributes) }
                    let namespace = TemplateNamespace()
                    namespace.attributes = attributes
                    return .namespace(namespace)
                })
        case "raise_exception":
            return .callable(
                TemplateCallable("raise_exception") { (arguments, _) throws(ChatTemplateError) in
                    throw ChatTemplateError(.raised, arguments.value(0, "message")?.pythonString ?? "raise_exception called")
                })
        case "strftime_now":
            return .callable(
                TemplateCallable("strftime_now") { (arguments, renderer) throws(ChatTemplateError) in
                    guard case .string(let format) = arguments.value(0, "format") ?? .string("%Y-%m-%d %H:%M:%S") else {
                        throw ChatTemplateError(.runtime, "strftime_now() expects a format string")
                    }
                    return .string(Self.formatTime(format, at: renderer.options.fixedTime))
                })
        default:
            return nil
        }
    }

    private func range(_ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        try arguments.check("range", max: 3)
        let numbers = arguments.positional.map(\.integer)
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else {
            throw ChatTemplateError(.runtime, "range() expects 1 to 3 integer arguments")
        }
        let values = numbers.map { $0! }
        let (start, stop, step) = values.count == 1 ? (0, values[0], 1) : (values[0], values[1], values.count == 3 ? values[2] : 1)
        guard step != 0 else { throw ChatTemplateError(.runtime, "range() arg 3 must not be zero") }
        let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
        let count = span <= 0 ? 0 : Int((span / Double(abs(step))).rounded(.up))
        // Counted against the iteration budget before anything is built, so `range(10**9)` fails fast.
        try checkSize(count, bytes: false)
        return .array((0..<count).map { .int(start + $0 * step) })
    }

    /// C `strftime` on local time (`fixedTime` seconds since 1970 when set, for reproducible renders).
    static func formatTime(_ format: String, at fixedTime: Int?) -> String {
        var seconds = time_t(fixedTime ?? Int(time(nil)))
        var parts = tm()
        if fixedTime != nil { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        var buffer = [CChar](repeating: 0, count: 512)
        let written = buffer.withUnsafeMutableBufferPointer { pointer in
            format.withCString { strftime(pointer.baseAddress!, pointer.count, $0, &parts) }
        }
        return String(decoding: buffer[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
