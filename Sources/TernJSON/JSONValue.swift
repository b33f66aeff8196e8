/// A parsed JSON value that keeps the distinction between integer and decimal literals.
///
/// Request bodies are parsed into this type first (see ``JSONValue/parse(_:maxDepth:)``) so that
/// validation can name the exact field that has the wrong type, instead of trapping or failing
/// with a generic decoding error.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A literal without fraction or exponent that fits in 64 bits.
    case integer(Int64)
    /// Any other number (may be infinite when the literal overflows, e.g. `1e400`).
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, its members in document order; when a key repeats, the last value wins.
    case object(JSONObject)

    /// The value as a decimal number, when it is a number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The value as an integer, when it is a number with an integral value that fits in `Int64`.
    public var integerValue: Int64? {
        switch self {
        case .integer(let value):
            return value
        case .double(let value):
            guard value.isFinite, value.rounded(.towardZero) == value, let exact = Int64(exactly: value) else { return nil }
            return exact
        default:
            return nil
        }
    }

    /// The value as a string, when it is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The JSON type in OpenAI's error wording: "a string", "an integer", "a decimal", …
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .double: "a decimal"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
