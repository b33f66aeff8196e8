import TernGGUF
import Testing

/// Asserts that parsing `bytes` throws a ``GGUFError`` with `code`.
func expectGGUFError(_ code: GGUFError.Code, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let file = try GGUFFile(bytes: bytes)
        Issue.record("expected \(code), parsed \(file.tensors.count) tensors", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    }
}
