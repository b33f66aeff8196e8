import TernJSON

extension JSONSchemaCompiler {
    // MARK: - Objects

    /// Declared properties in order, required ones always present, optional ones possibly left out, commas right.
    mutating func objectExpression(_ object: JSONObject, at path: String) throws(SchemaError) -> GrammarExpression {
        var properties: [(key: String, schema: JSONValue)] = []
        if let value = object["properties"] {
            guard case .object(let members) = value else { throw SchemaError("'properties' must be an object", at: path) }
            properties = members.map { ($0.key, $0.value) }
        }
        let required = try stringList(object["required"], keyword: "required", at: path)
        let additional = object["additionalProperties"]
        let closed = additional == .bool(false)
        var members: [(key: String, value: GrammarExpression, required: Bool)] = []
        for (key, schema) in properties {
            members.append((key, try expression(for: schema, at: "\(path)/properties/\(key)"), required.contains(key)))
        }
        for key in required where !properties.contains(where: { $0.key == key }) {
            guard !closed else {
                throw SchemaError("the required property '\(key)' is not in 'properties' and 'additionalProperties' is false", at: path)
            }
            let value = try additional.map { schema throws(SchemaError) in try expression(for: schema, at: "\(path)/additionalProperties") }
            members.append((key, value ?? text.value, true))
        }
        let whitespace = text.whitespace
        if members.isEmpty {
            if closed { return .sequence([.literal("{"), whitespace, .literal("}")]) }
            let value = try additional.map { schema throws(SchemaError) in try expression(for: schema, at: "\(path)/additionalProperties") }
            let member = GrammarExpression.sequence([text.string, whitespace, .literal(":"), whitespace, value ?? text.value])
            return JSONText.delimited("{", member, "}", whitespace: whitespace)
        }
        // after[i]: members i… once one has been written (each starts with a comma); first[i]: when none has.
        let separator = GrammarExpression.sequence([whitespace, .literal(","), whitespace])
        var after = GrammarExpression.empty
        var first = GrammarExpression.empty
        for member in members.reversed() {
            let pair = GrammarExpression.sequence([JSONText.literal(.string(member.key)), whitespace, .literal(":"), whitespace, member.value])
            let nextAfter = GrammarExpression.sequence([separator, pair, after])
            let nextFirst = GrammarExpression.sequence([pair, after])
            if member.required {
                first = builder.rule(nextFirst)
                after = builder.rule(nextAfter)
            } else {
                first = builder.rule(.choice([nextFirst, first]))
                after = builder.rule(.choice([nextAfter, after]))
            }
        }
        return .sequence([.literal("{"), whitespace, first, whitespace, .literal("}")])
    }

    func stringList(_ value: JSONValue?, keyword: String, at path: String) throws(SchemaError) -> [String] {
        guard let value else { return [] }
        guard case .array(let elements) = value else { throw SchemaError("'\(keyword)' must be an array of strings", at: path) }
        var result: [String] = []
        for element in elements {
            guard case .string(let string) = element else { throw SchemaError("'\(keyword)' must be an array of strings", at: path) }
            result.append(string)
        }
        return result
    }

    // MARK: - Arrays

    mutating func arrayExpression(_ object: JSONObject, at path: String) throws(SchemaError) -> GrammarExpression {
        let minItems = try count(object["minItems"], keyword: "minItems", at: path) ?? 0
        let maxItems = try count(object["maxItems"], keyword: "maxItems", at: path)
        if let maxItems, maxItems < minItems { throw SchemaError("'maxItems' is below 'minItems'", at: path) }
        if object["uniqueItems"] == .bool(true) && (maxItems ?? 2) > 1 {
            throw SchemaError("'uniqueItems: true' cannot be enforced", at: path)
        }
        var item = text.value
        var itemsAllowed = true
        switch object["items"] {
        case nil, .bool(true)?: break
        case .bool(false)?: itemsAllowed = false
        case let schema?: item = try expression(for: schema, at: path + "/items")
        }
        var prefix: [GrammarExpression] = []
        if let value = object["prefixItems"] {
            guard case .array(let schemas) = value else { throw SchemaError("'prefixItems' must be an array of schemas", at: path) }
            for (index, schema) in schemas.enumerated() { prefix.append(try expression(for: schema, at: "\(path)/prefixItems/\(index)")) }
        }
        let whitespace = text.whitespace
        guard !prefix.isEmpty else {
            if !itemsAllowed && minItems > 0 { throw SchemaError("'minItems' needs items but 'items' is false", at: path) }
            return JSONText.delimited("[", item, "]", whitespace: whitespace, minItems: minItems, maxItems: itemsAllowed ? maxItems : 0)
        }
        // Every prefix item, then more items within the bounds.
        if let maxItems, maxItems < prefix.count {
            throw SchemaError("'maxItems' below the number of 'prefixItems' is not supported", at: path)
        }
        let extraMin = max(0, minItems - prefix.count)
        if !itemsAllowed && extraMin > 0 { throw SchemaError("'minItems' needs more items than 'prefixItems' gives", at: path) }
        let separator = GrammarExpression.sequence([whitespace, .literal(","), whitespace])
        var parts: [GrammarExpression] = [.literal("["), whitespace, prefix[0]]
        for element in prefix.dropFirst() { parts += [separator, element] }
        if itemsAllowed {
            let extraMax = maxItems.map { $0 - prefix.count }
            if extraMax != 0 { parts.append(.repeated(.sequence([separator, item]), min: extraMin, max: extraMax)) }
        }
        parts += [whitespace, .literal("]")]
        return .sequence(parts)
    }

    func count(_ value: JSONValue?, keyword: String, at path: String) throws(SchemaError) -> Int? {
        guard let value else { return nil }
        guard let number = value.integerValue, number >= 0 else { throw SchemaError("'\(keyword)' must be a non-negative integer", at: path) }
        return Int(min(number, 1 << 20))
    }

    // MARK: - Strings

    mutating func stringExpression(_ object: JSONObject, at path: String) throws(SchemaError) -> GrammarExpression {
        let minLength = try count(object["minLength"], keyword: "minLength", at: path)
        let maxLength = try count(object["maxLength"], keyword: "maxLength", at: path)
        if let minLength, let maxLength, maxLength < minLength { throw SchemaError("'maxLength' is below 'minLength'", at: path) }
        let lengths = minLength != nil || maxLength != nil
        let contents: GrammarExpression
        if let pattern = object["pattern"] {
            guard !lengths else { throw SchemaError("'pattern' together with 'minLength'/'maxLength' is not supported", at: path) }
            guard object["format"] == nil else { throw SchemaError("'pattern' together with 'format' is not supported", at: path) }
            guard case .string(let source) = pattern else { throw SchemaError("'pattern' must be a string", at: path) }
            var compiler = PatternCompiler(source, anyCharacter: text.character)
            do {
                contents = try compiler.compile()
            } catch {
                throw SchemaError("'pattern' \(JSONValue.string(source).jsonText): \(error.message)", at: path)
            }
        } else if let format = object["format"] {
            guard !lengths else { throw SchemaError("'format' together with 'minLength'/'maxLength' is not supported", at: path) }
            guard case .string(let name) = format, let grammar = StringFormat.grammar(name) else {
                throw SchemaError(
                    "'format' \(format.jsonText) is not supported (supported: \(StringFormat.names.joined(separator: ", ")))", at: path)
            }
            contents = grammar
        } else if lengths {
            guard (maxLength ?? minLength ?? 0) <= PatternCompiler.maxRepetition else {
                throw SchemaError("string lengths above \(PatternCompiler.maxRepetition) are not supported", at: path)
            }
            contents = .repeated(text.character, min: minLength ?? 0, max: maxLength)
        } else {
            return text.string
        }
        return .sequence([.literal("\""), contents, .literal("\"")])
    }

    // MARK: - Numbers

    /// Bounds are rounded inward to whole numbers (an exclusive bound moves one further in), so that every number
    /// generated is within them; `number` then has a fraction only where the whole part leaves room for one.
    func numberExpression(_ object: JSONObject, integer: Bool, at path: String) throws(SchemaError) -> GrammarExpression {
        func bound(_ keyword: String) throws(SchemaError) -> Double? {
            guard let value = object[keyword] else { return nil }
            guard let number = value.doubleValue, number.isFinite else { throw SchemaError("'\(keyword)' must be a number", at: path) }
            return number
        }
        var lower: Double? = try bound("minimum").map { $0.rounded(.up) }
        if let exclusive = try bound("exclusiveMinimum") { lower = max(lower ?? -.infinity, exclusive.rounded(.down) + 1) }
        var upper: Double? = try bound("maximum").map { $0.rounded(.down) }
        if let exclusive = try bound("exclusiveMaximum") { upper = min(upper ?? .infinity, exclusive.rounded(.up) - 1) }
        if lower == nil && upper == nil { return integer ? text.integer : text.number }
        let limit = Double(IntegerRange.largest(digits: JSONText.maxIntegerDigits))
        let low = lower.map { Int64(max(-limit, min(limit + 1, $0))) }
        let high = upper.map { Int64(min(limit, max(-limit - 1, $0))) }
        guard let whole = IntegerRange.grammar(lower: low, upper: high) else {
            throw SchemaError("no \(integer ? "integer" : "number") lies within the bounds", at: path)
        }
        if integer { return whole }
        // i.f with i ≥ 0 lies in [i, i + 1): needs i ≥ low and i + 1 ≤ high; -k.f lies in (-k - 1, -k]: needs
        // -k ≤ high and -k - 1 ≥ low.
        let fraction = GrammarExpression.sequence([.literal("."), .repeated(JSONText.digit, min: 1, max: JSONText.maxFractionDigits)])
        var branches = [whole]
        if let positive = IntegerRange.grammar(lower: max(low ?? 0, 0), upper: high.map { $0 - 1 }) {
            branches.append(.sequence([positive, fraction]))
        }
        if let negative = IntegerRange.grammar(lower: max(high.map { -$0 } ?? 1, 1), upper: low.map { -$0 - 1 }) {
            branches.append(.sequence([.literal("-"), negative, fraction]))
        }
        return .choice(branches)
    }
}
