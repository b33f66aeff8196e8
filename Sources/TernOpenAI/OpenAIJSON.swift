public import Foundation

/// Encoding of response bodies the way OpenAI writes them.
public enum OpenAIJSON {
    /// Encodes a value to compact JSON without escaping `/`.
    ///
    /// The types of this module encode only strings, numbers, booleans and nulls, so encoding
    /// cannot fail for them; a value whose encoding throws is a programmer error.
    public static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            preconditionFailure("encoding \(type(of: value)) failed: \(error)")
        }
    }
}
