public import TernJSON

/// Turns a JSON Schema into a ``Grammar`` whose every complete document validates against the schema.
///
/// Properties are generated in the order the schema declares them; optional ones may be left out. Where a schema
/// allows more than Tern can enforce exactly, the grammar allows a part of it that is always valid (an object
/// without `additionalProperties: false` gets only its declared properties; a `number` bound such as `minimum: 0.5`
/// is rounded inward to whole numbers). A keyword that would need more is an error naming it: Tern refuses rather
/// than generate something that might not validate.
///
/// ```swift
/// let grammar = try JSONSchemaCompiler.grammar(for: schema)   // throws SchemaError
/// ```
public struct JSONSchemaCompiler {
    var builder = GrammarBuilder()
    let text: JSONText
    let root: JSONValue
    /// The rule of each `$ref` target already compiled (or being compiled: recursion).
    var references: [String: Int] = [:]

    /// Keywords that only describe and never constrain.
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs",
        "definitions",
    ]
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties"]
    static let arrayKeywords: Set<String> = ["items", "prefixItems", "minItems", "maxItems", "uniqueItems"]
    static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern", "format"]
    static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
    static let combinators: Set<String> = ["$ref", "anyOf", "oneOf", "allOf", "enum", "const"]
    static let typeNames = ["object", "array", "string", "number", "integer", "boolean", "null"]

    /// The grammar of the documents valid against `schema`.
    ///
    /// `leadingWhitespace`: the document may start with a little whitespace (when it follows a reasoning model's
    /// thinking, which ends with line breaks).
    public static func grammar(
        for schema: JSONValue, leadingWhitespace: Bool = false, maxSize: Int = GrammarBuilder.defaultMaxSize
    ) throws(SchemaError) -> Grammar {
        var compiler = JSONSchemaCompiler(root: schema)
        let document = try compiler.expression(for: schema, at: "#")
        do {
            return try compiler.builder.build(root: .sequence([leadingWhitespace ? JSONText.leading : .empty, document]), maxSize: maxSize)
        } catch {
            throw SchemaError("the schema needs a grammar larger than \(error.limit) elements; simplify it", at: "#")
        }
    }

    /// The grammar of any JSON object (`response_format: {"type": "json_object"}`).
    public static func anyObjectGrammar(leadingWhitespace: Bool = false) -> Grammar {
        let compiler = JSONSchemaCompiler(root: .bool(true))
        do {
            return try compiler.builder.build(root: .sequence([leadingWhitespace ? JSONText.leading : .empty, compiler.text.object]))
        } catch {
            preconditionFailure("the JSON object grammar is small")
        }
    }

    init(root: JSONValue) {
        self.root = root
        text = JSONText(builder: &builder)
    }

    /// A compiler that adds its rules to `builder`, whose JSON pieces are `text`.
    init(root: JSONValue, builder: GrammarBuilder, text: JSONText) {
        self.root = root
        self.builder = builder
        self.text = text
    }

    // MARK: - Dispatch

    mutating func expression(for schema: JSONValue, at path: String) throws(SchemaError) -> GrammarExpression {
        let object: JSONObject
        switch schema {
        case .bool(true): return text.value
        case .bool(false): throw SchemaError("the schema 'false' allows no value", at: path)
        case .object(let members): object = members
        default: throw SchemaError("a schema must be an object or a boolean, not \(schema.typeDescription)", at: path)
        }
        let known = Self.annotations.union(Self.objectKeywords).union(Self.arrayKeywords).union(Self.stringKeywords)
            .union(Self.numberKeywords).union(Self.combinators).union(["type"])
        for key in object.keys where !known.contains(key) {
            throw SchemaError("the keyword '\(key)' is not supported", at: path)
        }
        let constraints = Set(object.keys).subtracting(Self.annotations)
        if let reference = object["$ref"] {
            try only(["$ref"], in: constraints, with: "$ref", at: path)
            guard case .string(let target) = reference else { throw SchemaError("'$ref' must be a string", at: path) }
            return .rule(try rule(forReference: target, at: path))
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            if let branches = object[combinator] {
                try only([combinator], in: constraints, with: combinator, at: path)
                return try combination(combinator, branches, at: path)
            }
        }
        let types = try self.types(of: object, constraints: constraints, at: path)
        if object["const"] != nil || object["enum"] != nil {
            return try literals(of: object, types: types, constraints: constraints, at: path)
        }
        guard let types else { return text.value }
        var branches: [GrammarExpression] = []
        for type in types {
            switch type {
            case "object": branches.append(try objectExpression(object, at: path))
            case "array": branches.append(try arrayExpression(object, at: path))
            case "string": branches.append(try stringExpression(object, at: path))
            case "number": branches.append(try numberExpression(object, integer: false, at: path))
            case "integer": branches.append(try numberExpression(object, integer: true, at: path))
            case "boolean": branches.append(.choice([.literal("true"), .literal("false")]))
            default: branches.append(.literal("null"))
            }
        }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    /// Refuses constraint keywords beside `keyword` other than `allowed`.
    func only(_ allowed: Set<String>, in constraints: Set<String>, with keyword: String, at path: String) throws(SchemaError) {
        if let other = constraints.subtracting(allowed).sorted().first {
            throw SchemaError("'\(other)' beside '\(keyword)' is not supported; move it into the '\(keyword)' branches", at: path)
        }
    }

    /// The `type` keyword's types; without it, the types the other keywords speak of (`nil`: any value).
    func types(of object: JSONObject, constraints: Set<String>, at path: String) throws(SchemaError) -> [String]? {
        if let type = object["type"] {
            let names: [JSONValue]
            if case .array(let list) = type { names = list } else { names = [type] }
            var types: [String] = []
            for name in names {
                guard case .string(let string) = name, Self.typeNames.contains(string) else {
                    throw SchemaError("'type' must name JSON types (\(Self.typeNames.joined(separator: ", ")))", at: path)
                }
                if !types.contains(string) { types.append(string) }
            }
            guard !types.isEmpty else { throw SchemaError("'type' is an empty list", at: path) }
            return types
        }
        var inferred: [String] = []
        if !constraints.isDisjoint(with: Self.objectKeywords) { inferred.append("object") }
        if !constraints.isDisjoint(with: Self.arrayKeywords) { inferred.append("array") }
        if !constraints.isDisjoint(with: Self.stringKeywords) { inferred.append("string") }
        if !constraints.isDisjoint(with: Self.numberKeywords) { inferred.append("number") }
        return inferred.isEmpty ? nil : inferred
    }

    // MARK: - Combinators

    mutating func combination(_ keyword: String, _ value: JSONValue, at path: String) throws(SchemaError) -> GrammarExpression {
        guard case .array(let schemas) = value, !schemas.isEmpty else {
            throw SchemaError("'\(keyword)' must be a non-empty array of schemas", at: path)
        }
        switch keyword {
        case "allOf":
            guard schemas.count == 1 else {
                throw SchemaError("'allOf' with more than one schema is not supported; merge them into one schema", at: path)
            }
            return try expression(for: schemas[0], at: path + "/allOf/0")
        case "oneOf":
            // Exactly one branch must match: enforceable when the branches' types cannot overlap.
            var seen: Set<String> = []
            for (index, schema) in schemas.enumerated() {
                guard case .object(let object) = schema, let types = try? types(of: object, constraints: [], at: path),
                    object["$ref"] == nil, object["anyOf"] == nil, object["oneOf"] == nil, object["allOf"] == nil
                else {
                    throw SchemaError("'oneOf' is supported only when every branch has its own 'type'; use 'anyOf'", at: "\(path)/oneOf/\(index)")
                }
                var kinds = Set(types)
                if kinds.contains("number") || kinds.contains("integer") { kinds.formUnion(["number", "integer"]) }
                guard seen.isDisjoint(with: kinds) else {
                    throw SchemaError("'oneOf' branches whose types overlap cannot be enforced; use 'anyOf'", at: "\(path)/oneOf/\(index)")
                }
                seen.formUnion(kinds)
            }
            fallthrough
        default:
            var branches: [GrammarExpression] = []
            for (index, schema) in schemas.enumerated() {
                branches.append(try expression(for: schema, at: "\(path)/\(keyword)/\(index)"))
            }
            return branches.count == 1 ? branches[0] : .choice(branches)
        }
    }

    /// `const` or `enum`: the values as JSON text, those of the wrong type left out.
    func literals(of object: JSONObject, types: [String]?, constraints: Set<String>, at path: String) throws(SchemaError)
        -> GrammarExpression
    {
        let keyword = object["const"] != nil ? "const" : "enum"
        try only([keyword, "type"], in: constraints, with: keyword, at: path)
        var values: [JSONValue]
        if let value = object["const"] {
            values = [value]
        } else if case .array(let list)? = object["enum"], !list.isEmpty {
            values = list
        } else {
            throw SchemaError("'enum' must be a non-empty array", at: path)
        }
        if let types { values = values.filter { Self.value($0, isOneOf: types) } }
        guard !values.isEmpty else { throw SchemaError("no value of '\(keyword)' has the schema's 'type'", at: path) }
        var seen: Set<JSONValue> = []
        var branches: [GrammarExpression] = []
        for value in values where seen.insert(value).inserted { branches.append(JSONText.literal(value)) }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    static func value(_ value: JSONValue, isOneOf types: [String]) -> Bool {
        switch value {
        case .null: types.contains("null")
        case .bool: types.contains("boolean")
        case .integer: types.contains("integer") || types.contains("number")
        case .double(let number): types.contains("number") || (types.contains("integer") && number.rounded() == number)
        case .string: types.contains("string")
        case .array: types.contains("array")
        case .object: types.contains("object")
        }
    }

    // MARK: - References

    mutating func rule(forReference reference: String, at path: String) throws(SchemaError) -> Int {
        if let rule = references[reference] { return rule }
        var target = try resolve(reference, at: path)
        // A chain of references that never reads a byte would recurse forever.
        var chain: Set<String> = [reference]
        while case .object(let object) = target, case .string(let next)? = object["$ref"] {
            guard chain.insert(next).inserted else { throw SchemaError("the '$ref' chain through '\(next)' is circular", at: path) }
            if references[next] != nil { break }
            target = try resolve(next, at: path)
        }
        let rule = builder.declareRule()
        references[reference] = rule
        builder.define(rule, as: try expression(for: try resolve(reference, at: path), at: reference))
        return rule
    }

    /// The schema a local reference (`#`, `#/$defs/Name`, any JSON Pointer into the schema) points at.
    func resolve(_ reference: String, at path: String) throws(SchemaError) -> JSONValue {
        guard reference.hasPrefix("#") else {
            throw SchemaError("'$ref' to '\(reference)': only references within the schema ('#/…') are supported", at: path)
        }
        var node = root
        let pointer = reference.dropFirst()
        guard !pointer.isEmpty else { return node }
        guard pointer.hasPrefix("/") else { throw SchemaError("'$ref' '\(reference)' is not a JSON Pointer", at: path) }
        for segment in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = Self.unescape(segment)
            switch node {
            case .object(let object) where object[key] != nil: node = object[key]!
            case .array(let array) where Int(key).map(array.indices.contains) == true: node = array[Int(key)!]
            default: throw SchemaError("'$ref' '\(reference)' points at nothing", at: path)
            }
        }
        return node
    }

    /// A JSON Pointer segment with `~1` and `~0` decoded.
    static func unescape(_ segment: Substring) -> String {
        var result = ""
        var iterator = segment.makeIterator()
        while let character = iterator.next() {
            if character == "~", let next = iterator.next() {
                result.append(next == "1" ? "/" : next == "0" ? "~" : next)
            } else {
                result.append(character)
            }
        }
        return result
    }
}
