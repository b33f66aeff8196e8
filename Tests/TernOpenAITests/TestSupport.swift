import Foundation
import Testing

@testable import TernOpenAI

/// Re-serializes JSON with sorted keys so two documents compare structurally, independent of
/// key order and of the module's own parser.
func canonicalJSON(_ data: Data) throws -> String {
    let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    let canonical = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
    return String(decoding: canonical, as: UTF8.self)
}

/// Parses JSON into Foundation objects (dictionaries, arrays, NSNumber, NSNull).
func foundationJSON(_ data: Data) throws -> Any {
    try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
}

/// Expects `value` to encode to the same JSON structure as `expected`.
func expectEncoding(_ value: some Encodable, equals expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let actual = try canonicalJSON(OpenAIJSON.encode(value))
    let wanted = try canonicalJSON(Data(expected.utf8))
    #expect(actual == wanted, sourceLocation: sourceLocation)
}

/// Decodes a chat request and returns the thrown error (or records a failure).
func chatError(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> OpenAIError? {
    do {
        _ = try ChatCompletionRequest.decode(from: Array(json.utf8))
        Issue.record("expected an error for \(json)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Decodes a completion request and returns the thrown error (or records a failure).
func completionError(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> OpenAIError? {
    do {
        _ = try CompletionRequest.decode(from: Array(json.utf8))
        Issue.record("expected an error for \(json)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
