import Synchronization
import TernGrammar
import TernJSON
import TernOpenAI

/// The grammars of `response_format`s and tools, compiled once per schema and kept (with the token masks they have
/// cached) for the requests that send the same schema again. Compiling runs on a thread of its own, never on an
/// event loop.
final class ResponseGrammars: Sendable {
    private let cache = Mutex<[String: TokenGrammar]>([:])

    /// The most schemas kept; beyond it the cache starts over.
    static let capacity = 64

    /// The grammar `format` asks for, bound to `vocabulary`; nil for plain text. A schema Tern cannot enforce is a 400.
    /// After `thinking` (a reasoning model's `<think>` section, which ends with `</think>`) the grammar starts.
    ///
    /// `vocabulary` is asked for only when there is a grammar: indexing it takes a while the first time.
    func grammar(for format: ResponseFormat, thinking: Bool, vocabulary: () async -> TokenVocabulary) async throws -> TokenGrammar? {
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
        let triggers = thinking ? [Array(Reasoning.close.utf8)] : []
        let vocabulary = await vocabulary()
        let cacheKey = "\(thinking) " + key
        if let cached = cache.withLock({ $0[cacheKey] }), cached.vocabulary === vocabulary { return cached }
        let compiled = try await onThread(named: "tern-grammar") { () throws -> TokenGrammar in
            let grammar: Grammar
            if let schema {
                do throws(SchemaError) {
                    grammar = try JSONSchemaCompiler.grammar(for: schema, leadingWhitespace: thinking)
                } catch {
                    let name = if case .jsonSchema(let format) = format { format.name } else { "" }
                    throw OpenAIError.invalidRequest(
                        "Invalid schema for response_format '\(name)': \(error.message) (at \(error.path)).", param: "response_format",
                        code: "invalid_json_schema")
                }
            } else {
                grammar = JSONSchemaCompiler.anyObjectGrammar(leadingWhitespace: thinking)
            }
            return TokenGrammar(grammar: grammar, vocabulary: vocabulary, triggers: triggers)
        }
        return remember(compiled, as: cacheKey)
    }

    /// The grammar of the calls `chat` allows (`tool_choice` `auto`, `required` or a named function), in `format`.
    func toolGrammar(for chat: ChatCompletionRequest, format: ToolCallFormat, thinking: Bool, vocabulary: TokenVocabulary)
        async throws -> TokenGrammar
    {
        var tools = chat.tools
        if case .function(let name) = chat.toolChoice { tools = tools.filter { $0.name == name } }
        let mode: ToolCallGrammar.Mode = chat.toolChoice == .auto ? .afterOpening : .required
        let key = "tools \(format.key) \(mode) \(chat.parallelToolCalls) \(thinking) " + JSONValue.array(tools.map(\.jsonValue)).jsonText
        if let cached = cache.withLock({ $0[key] }), cached.vocabulary === vocabulary { return cached }
        let functions = tools.map { ToolCallGrammar.Function(name: $0.name, parameters: $0.parameters) }
        let parallel = chat.parallelToolCalls && format.allowsSeveralCalls
        let allTools = chat.tools
        let compiled = try await onThread(named: "tern-grammar") { () throws -> TokenGrammar in
            do throws(SchemaError) {
                let (grammar, openers) = try ToolCallGrammar.grammar(functions: functions, format: format, mode: mode, parallel: parallel)
                let triggers = thinking ? [Array(Reasoning.close.utf8)] : []
                return TokenGrammar(grammar: grammar, vocabulary: vocabulary, triggers: triggers, openers: openers)
            } catch {
                let index = allTools.firstIndex { tool in
                    (try? JSONSchemaCompiler.grammar(for: tool.parameters ?? .bool(true))) == nil
                }
                throw OpenAIError.invalidRequest(
                    "Invalid schema for function '\(index.map { allTools[$0].name } ?? "")': \(error.message) (at \(error.path)).",
                    param: index.map { "tools[\($0)].function.parameters" } ?? "tools", code: "invalid_function_parameters")
            }
        }
        return remember(compiled, as: key)
    }

    private func remember(_ grammar: TokenGrammar, as key: String) -> TokenGrammar {
        cache.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll() }
            cache[key] = grammar
        }
        return grammar
    }
}
