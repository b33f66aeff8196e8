package import TernJSON

/// Reads typed fields out of a JSON object, turning every mismatch into an ``OpenAIError`` that
/// names the field by its full path (`messages[1].content`). `null` reads as absent.
package struct FieldReader {
    package let object: JSONObject
    package let path: String

    package init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// Parses a body and requires a top-level object.
    package static func body(_ bytes: some Collection<UInt8>) throws(OpenAIError) -> FieldReader {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw .malformedJSON(detail: error.description)
        }
        guard case .object(let object) = value else {
            throw .invalidRequest("The request body must be a JSON object, but got \(value.typeDescription) instead.")
        }
        return FieldReader(object)
    }

    /// `path.key`, or `key` at the top level.
    package func param(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value, `nil` when absent or `null`.
    package func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// Rejects keys outside `known`.
    package func rejectUnknownKeys(_ known: Set<String>) throws(OpenAIError) {
        let unknown = object.keys.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            if path.isEmpty { throw .unrecognizedArguments(unknown) }
            let key = unknown.sorted()[0]
            throw .invalidRequest("Unrecognized argument in '\(path)': '\(key)'.", param: param(key), code: "unknown_parameter")
        }
    }

    /// Rejects a parameter that is present and not `null`.
    package func rejectPresence(of keys: [String]) throws(OpenAIError) {
        for key in keys where value(key) != nil {
            throw .unsupportedParameter(param(key))
        }
    }

    package func string(_ key: String) throws(OpenAIError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value else { throw .invalidType(param(key), expected: "a string", got: value) }
        return string
    }

    package func requiredString(_ key: String) throws(OpenAIError) -> String {
        guard let string = try string(key) else { throw .missingParameter(param(key)) }
        return string
    }

    package func bool(_ key: String) throws(OpenAIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else { throw .invalidType(param(key), expected: "a boolean", got: value) }
        return bool
    }

    package func object(_ key: String) throws(OpenAIError) -> FieldReader? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw .invalidType(param(key), expected: "an object", got: value) }
        return FieldReader(object, path: param(key))
    }

    /// A decimal within bounds; `exclusiveMinimum` makes the lower bound strict.
    package func double(_ key: String, min: Double? = nil, max: Double? = nil, exclusiveMinimum: Bool = false) throws(OpenAIError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue else { throw .invalidType(param(key), expected: "a decimal", got: value) }
        try Self.checkRange(number, param: param(key), kind: "decimal", min: min, max: max, exclusiveMinimum: exclusiveMinimum)
        return number
    }

    /// An integer within bounds; decimals with an integral value (`2.0`) are accepted.
    package func integer(_ key: String, min: Int64? = nil, max: Int64? = nil) throws(OpenAIError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.integerValue else {
            if let double = value.doubleValue, double.isFinite, double.rounded() == double {
                // Integral but outside Int64.
                try Self.checkRange(double, param: param(key), kind: "integer", min: min.map(Double.init), max: max.map(Double.init))
            }
            throw .invalidType(param(key), expected: "an integer", got: value)
        }
        try Self.checkRange(Double(number), param: param(key), kind: "integer", min: min.map(Double.init), max: max.map(Double.init))
        guard let int = Int(exactly: number) else { throw .invalidType(param(key), expected: "an integer", got: value) }
        return int
    }

    package static func checkRange(
        _ number: Double, param: String, kind: String, min: Double?, max: Double?, exclusiveMinimum: Bool = false
    ) throws(OpenAIError) {
        if let min, exclusiveMinimum ? !(number > min) : !(number >= min) {
            let bound = exclusiveMinimum ? "> \(format(min))" : ">= \(format(min))"
            throw .invalidRequest(
                "Invalid '\(param)': \(kind) below minimum value. Expected a value \(bound), but got \(format(number)) instead.",
                param: param, code: "\(kind)_below_min_value")
        }
        if let max, !(number <= max) {
            throw .invalidRequest(
                "Invalid '\(param)': \(kind) above maximum value. Expected a value <= \(format(max)), but got \(format(number)) instead.",
                param: param, code: "\(kind)_above_max_value")
        }
    }

    /// `2` rather than `2.0`, so messages read like OpenAI's.
    package static func format(_ number: Double) -> String {
        if number.isFinite, number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}
