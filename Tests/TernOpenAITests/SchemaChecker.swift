import Foundation
import TernJSON

@testable import TernOpenAI

/// A small JSON-Schema subset checker for the OpenAPI document: `$ref`, `type` (string or array),
/// `required`, `properties`, `additionalProperties`, `items`, `enum`, `const`, `anyOf`, `oneOf`,
/// `minimum`, `maximum`, `exclusiveMinimum`, `minItems`, `maxItems`, `pattern` (prefix `^…` only).
/// The schema is Foundation JSON (from JSONSerialization); the instance is a ``JSONValue``.
struct SchemaChecker {
    let document: [String: Any]

    /// Problems found, each with a JSON path; empty when the instance conforms.
    func check(_ instance: JSONValue, against schema: Any, path: String = "$") -> [String] {
        guard let schema = schema as? [String: Any] else { return ["\(path): schema is not an object"] }
        if let reference = schema["$ref"] as? String {
            guard let resolved = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return check(instance, against: resolved, path: path)
        }
        var problems: [String] = []
        if let types = schema["type"] {
            let allowed = (types as? [String]) ?? [(types as? String) ?? "?"]
            if !allowed.contains(where: { Self.instance(instance, hasType: $0) }) {
                return ["\(path): expected \(allowed), got \(instance.typeDescription)"]
            }
        }
        if let values = schema["enum"] as? [Any], !values.contains(where: { Self.equal($0, instance) }) {
            problems.append("\(path): \(instance) not in enum")
        }
        if let value = schema["const"], !Self.equal(value, instance) { problems.append("\(path): not the const") }
        if let options = schema["anyOf"] as? [Any], !options.contains(where: { check(instance, against: $0, path: path).isEmpty }) {
            problems.append("\(path): matches no anyOf option")
        }
        if let options = schema["oneOf"] as? [Any] {
            let matching = options.filter { check(instance, against: $0, path: path).isEmpty }.count
            if matching != 1 { problems.append("\(path): matches \(matching) oneOf options") }
        }
        if let number = instance.doubleValue {
            if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, number < minimum { problems.append("\(path): below minimum") }
            if let maximum = (schema["maximum"] as? NSNumber)?.doubleValue, number > maximum { problems.append("\(path): above maximum") }
            if let minimum = (schema["exclusiveMinimum"] as? NSNumber)?.doubleValue, number <= minimum {
                problems.append("\(path): not above exclusiveMinimum")
            }
        }
        if case .string(let string) = instance, let pattern = schema["pattern"] as? String, pattern.hasPrefix("^"),
            !pattern.contains("["), !string.hasPrefix(String(pattern.dropFirst()))
        {
            problems.append("\(path): does not match \(pattern)")
        }
        if case .array(let elements) = instance {
            if let minItems = schema["minItems"] as? Int, elements.count < minItems { problems.append("\(path): too few items") }
            if let maxItems = schema["maxItems"] as? Int, elements.count > maxItems { problems.append("\(path): too many items") }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() { problems += check(element, against: items, path: "\(path)[\(index)]") }
            }
        }
        if case .object(let members) = instance {
            problems += checkObject(members, schema: schema, path: path)
        }
        return problems
    }

    private func checkObject(_ members: JSONObject, schema: [String: Any], path: String) -> [String] {
        var problems: [String] = []
        for key in (schema["required"] as? [String]) ?? [] where members[key] == nil {
            problems.append("\(path): missing required '\(key)'")
        }
        let properties = (schema["properties"] as? [String: Any]) ?? [:]
        for (key, value) in members {
            if let property = properties[key] {
                problems += check(value, against: property, path: "\(path).\(key)")
            } else if let additional = schema["additionalProperties"] {
                if (additional as? Bool) == false {
                    problems.append("\(path): unexpected key '\(key)'")
                } else if additional is [String: Any] {
                    problems += check(value, against: additional, path: "\(path).\(key)")
                }
            }
        }
        return problems
    }

    /// Resolves `#/a/b/c` inside the document.
    func resolve(_ reference: String) -> Any? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for component in reference.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(component)] else { return nil }
            node = next
        }
        return node
    }

    static func instance(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", _): value.integerValue != nil
        case ("number", .integer), ("number", .double): true
        default: false
        }
    }

    static func equal(_ schemaValue: Any, _ value: JSONValue) -> Bool {
        switch value {
        case .null: schemaValue is NSNull
        case .string(let string): (schemaValue as? String) == string
        case .bool(let bool): !(schemaValue is String) && (schemaValue as? Bool) == bool
        case .integer, .double: (schemaValue as? NSNumber)?.doubleValue == value.doubleValue && !(schemaValue is String)
        case .array, .object: false
        }
    }
}
