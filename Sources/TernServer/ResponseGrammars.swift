import Synchronization
import TernGrammar
import TernJSON
import TernOpenAI

/// The grammars of `response_format`s, compiled once per schema and kept (with the token masks they have cached) for
/// the requests that send the same schema again.
final class ResponseGrammars: Sendable {
    private let cache = Mutex<[String: TokenGrammar]>([:])

    /// The most schemas kept; beyond it the cache starts over.
    static let capacity = 64

    /// The grammar `format` asks for, bound to `vocabulary`; nil for plain text. A schema Tern cannot enforce is a 400.
    func grammar(for format: ResponseFormat, vocabulary: TokenVocabulary) throws(OpenAIError) -> TokenGrammar? {
        let key: String
        let schema: JSONValue?
        switch format {
        case .text: return nil
        case .jsonObject:
            key = ""
            schema = nil
        case .jsonSchema(let format):
            schema = format.schema
            key = schema?.jsonText ?? ""
        }
        if let cached = cache.withLock({ $0[key] }), cached.vocabulary === vocabulary { return cached }
        let grammar: Grammar
        if let schema {
            do {
                grammar = try JSONSchemaCompiler.grammar(for: schema)
            } catch {
                let name = if case .jsonSchema(let format) = format { format.name } else { "" }
                throw OpenAIError.invalidRequest(
                    "Invalid schema for response_format '\(name)': \(error.message) (at \(error.path)).", param: "response_format",
                    code: "invalid_json_schema")
            }
        } else {
            grammar = JSONSchemaCompiler.anyObjectGrammar()
        }
        let bound = TokenGrammar(grammar: grammar, vocabulary: vocabulary)
        cache.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll() }
            cache[key] = bound
        }
        return bound
    }
}
