public import TernJSON

/// Llama 3.1's built-in tools, which its template announces in the system message (`Tools: brave_search,
/// wolfram_alpha`, from the `builtin_tools` variable) and its model calls in Python's form after `<|python_tag|>`:
/// `brave_search.call(query="…")`, `wolfram_alpha.call(query="…")`, or for `code_interpreter` the code itself.
///
/// A request gives them as functions of these names; their parameters are string properties, written `name="value"`
/// in the schema's order (`code_interpreter`: one property, the code). The template lists them among the functions
/// too, so the model may also call them as JSON objects.
public enum LlamaBuiltinTools {
    /// The token before a built-in call (and, in the ipython environment, before any call).
    public static let tag = "<|python_tag|>"
    /// The built-in tool whose call is code rather than `name.call(…)`.
    public static let codeInterpreter = "code_interpreter"
    /// The names Llama 3.1 knows.
    public static let names: Set<String> = ["brave_search", "wolfram_alpha", codeInterpreter]

    /// The built-ins among `functions` as ``ToolCallFormat/builtins`` has them (name → the names of the parameters
    /// its call writes), checked: an ``IndexedSchemaError`` (with the function's index) for parameters a call cannot
    /// write.
    public static func builtins(among functions: [ToolCallGrammar.Function]) throws(IndexedSchemaError) -> [String: [String]] {
        var found: [String: [String]] = [:]
        for (index, function) in functions.enumerated() where names.contains(function.name) {
            do {
                found[function.name] = try parameters(of: function).map(\.name)
            } catch {
                throw IndexedSchemaError(index: index, error: error)
            }
        }
        return found
    }

    /// A ``SchemaError`` in the parameters of the function at `index`.
    public struct IndexedSchemaError: Error, Sendable {
        public var index: Int
        public var error: SchemaError
    }

    /// The properties a call of `function` writes, in order, each with its schema; a ``SchemaError`` when its
    /// parameters are not string properties with plain names (or, for code_interpreter, not exactly one).
    public static func parameters(of function: ToolCallGrammar.Function) throws(SchemaError) -> [(name: String, schema: JSONValue)] {
        guard case .object(let schema)? = function.parameters else {
            throw SchemaError("Llama 3.1's built-in \(function.name) needs an object of string parameters", at: "#")
        }
        var parameters: [(name: String, schema: JSONValue)] = []
        if case .object(let properties)? = schema["properties"] {
            for (name, property) in properties {
                let plain =
                    !name.isEmpty
                    && name.utf8.allSatisfy { $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
                guard plain, case .object(let object) = property, object["type"] == .string("string") else {
                    throw SchemaError(
                        "Llama 3.1 calls its built-in \(function.name) with string arguments named by letters, digits and _ (name=\"value\")",
                        at: "#/properties/\(name)")
                }
                parameters.append((name, property))
            }
        }
        if function.name == codeInterpreter && parameters.count != 1 {
            throw SchemaError("Llama 3.1's code_interpreter is called with its code alone: give it one string parameter", at: "#/properties")
        }
        return parameters
    }

    /// What follows the tag in a call of `function`.
    static func call(_ function: ToolCallGrammar.Function, compiler: inout JSONSchemaCompiler) throws(SchemaError) -> GrammarExpression {
        let parameters = try parameters(of: function)
        if function.name == codeInterpreter {
            // Any code, but not starting with what the other forms start with: `{` (a call's object) or whitespace.
            var anyByte = ByteSet()
            anyByte.insert(0...255)
            var first = anyByte
            for byte in Array("{ \t\r\n".utf8) { first.remove(byte) }
            return .sequence([.bytes(first), .repeated(.bytes(anyByte), min: 0, max: nil)])
        }
        var parts: [GrammarExpression] = [.literal(function.name + ".call(")]
        for (index, parameter) in parameters.enumerated() {
            if index > 0 { parts.append(.literal(", ")) }
            parts.append(.literal(parameter.name + "="))
            parts.append(try compiler.expression(for: parameter.schema, at: "#/properties/\(parameter.name)"))
        }
        parts.append(.literal(")"))
        return .sequence(parts)
    }
}
