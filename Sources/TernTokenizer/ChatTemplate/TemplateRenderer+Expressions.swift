extension TemplateRenderer {
    /// Runs `body`, placing any error without a position at `expr`.
    func located<T>(_ expr: TemplateExpr, _ body: () throws(ChatTemplateError) -> T) throws(ChatTemplateError) -> T {
        do { return try body() } catch { throw error.located(line: expr.line, column: expr.column) }
    }

    func evaluate(_ expr: TemplateExpr) throws(ChatTemplateError) -> RuntimeValue {
        try located(expr) { () throws(ChatTemplateError) in try evaluateKind(expr) }
    }

    func evaluate(_ arguments: TemplateExpr.Arguments) throws(ChatTemplateError) -> CallArguments {
        var result = CallArguments()
        for expr in arguments.positional { result.positional.append(try evaluate(expr)) }
        for (name, expr) in arguments.keyword { result.keyword.append((name, try evaluate(expr))) }
        return result
    }

    private func evaluateKind(_ expr: TemplateExpr) throws(ChatTemplateError) -> RuntimeValue {
        switch expr.kind {
        case .literal(let literal):
            switch literal {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .name(let name):
            return lookup(name) ?? global(name) ?? .undefinedName(name)
        case .list(let items), .tuple(let items):
            var values: [RuntimeValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .array(values)
        case .dict(let items):
            var dict = RuntimeDict()
            for item in items {
                let key = try evaluate(item.key)
                _ = try located(item.key) { () throws(ChatTemplateError) in try RuntimeDict.requireHashKey(key) }
                dict[key] = try evaluate(item.value)
            }
            return .dict(dict)
        case .negate(let operand):
            switch try evaluate(operand) {
            case .int(let i): return .int(0 &- i)
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            case let value: throw Self.operandError("unary -", value)
            }
        case .plus(let operand):
            let value = try evaluate(operand)
            guard value.number != nil else { throw Self.operandError("unary +", value) }
            return value
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .and(let left, let right):
            let l = try evaluate(left)
            return l.isTruthy ? try evaluate(right) : l
        case .or(let left, let right):
            let l = try evaluate(left)
            return l.isTruthy ? l : try evaluate(right)
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left), try evaluate(right))
        case .compare(let first, let operations):
            var left = try evaluate(first)
            for (op, operandExpr) in operations {
                let right = try evaluate(operandExpr)
                if !(try located(operandExpr) { () throws(ChatTemplateError) in try compare(op, left, right) }) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else { return .undefined(reason: "the inline if-expression evaluated to false and no else section was defined") }
            return try evaluate(otherwise)
        case .attribute(let objectExpr, let name):
            return try attribute(of: try evaluate(objectExpr), name)
        case .index(let objectExpr, let keyExpr):
            return try item(of: try evaluate(objectExpr), try evaluate(keyExpr))
        case .slice(let objectExpr, let start, let stop, let step):
            let object = try evaluate(objectExpr)
            func bound(_ e: TemplateExpr?) throws(ChatTemplateError) -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e)
                if case .none = v { return nil }
                guard let i = v.integer else { throw ChatTemplateError(.runtime, "slice indices must be integers or None") }
                return i
            }
            return try slice(object, start: try bound(start), stop: try bound(stop), step: try bound(step))
        case .call(let calleeExpr, let arguments):
            let callee = try evaluate(calleeExpr)
            return try invoke(callee, try evaluate(arguments), at: calleeExpr)
        case .filter(let operand, let filter):
            return try applyFilter(filter, to: try evaluate(operand))
        case .test(let operand, let name, let arguments, let negated):
            let value: RuntimeValue
            // `is defined` must see an undefined value without raising on a missing attribute chain's last step.
            value = try evaluate(operand)
            let result = try applyTest(name, to: value, arguments: try evaluate(arguments))
            return .bool(result != negated)
        }
    }

    static func operandError(_ op: String, _ value: RuntimeValue) -> ChatTemplateError {
        if case .undefined(let reason) = value { return ChatTemplateError(.runtime, reason) }
        return ChatTemplateError(.runtime, "bad operand type for \(op): '\(value.typeName)'")
    }

    func invoke(_ callee: RuntimeValue, _ arguments: CallArguments, at expr: TemplateExpr) throws(ChatTemplateError) -> RuntimeValue {
        switch callee {
        case .callable(let function):
            return try located(expr) { () throws(ChatTemplateError) in try function.body(arguments, self) }
        case .undefined(let reason):
            throw ChatTemplateError(.runtime, reason, line: expr.line, column: expr.column)
        default:
            throw ChatTemplateError(.runtime, "'\(callee.typeName)' object is not callable", line: expr.line, column: expr.column)
        }
    }

    /// `object.name`: a method of a built-in type, then a dict key or namespace attribute.
    func attribute(of object: RuntimeValue, _ name: String) throws(ChatTemplateError) -> RuntimeValue {
        switch object {
        case .undefined(let reason):
            throw ChatTemplateError(.runtime, reason)
        case .dict(let dict):
            if let method = try method(of: object, name) { return method }
            return dict[name] ?? .undefined(reason: "'dict object' has no attribute '\(name)'")
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined(reason: "'Namespace' object has no attribute '\(name)'")
        default:
            if let method = try method(of: object, name) { return method }
            return .undefined(reason: "'\(object.objectTypeRepr)' has no attribute '\(name)'")
        }
    }

    /// `object[key]`: list and string indexes (negative from the end), dict keys; missing gives undefined.
    func item(of object: RuntimeValue, _ key: RuntimeValue) throws(ChatTemplateError) -> RuntimeValue {
        if case .markup(let s) = object, key.integer != nil { return try item(of: .string(s), key).markup }
        switch (object, key.plain) {
        case (.undefined(let reason), _):
            throw ChatTemplateError(.runtime, reason)
        case (.array(let items), _) where key.integer != nil:
            var index = key.integer!
            if index < 0 { index += items.count }
            return items.indices.contains(index) ? items[index] : .undefined(reason: "list index out of range")
        case (.string(let s), _) where key.integer != nil:
            let scalars = Array(s.unicodeScalars)
            var index = key.integer!
            if index < 0 { index += scalars.count }
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined(reason: "string index out of range")
        case (.dict(let dict), _) where RuntimeDict.hashKey(key) != nil:
            // Jinja2 tries the key, then an attribute of that name (`d['items']` is the method).
            if let value = dict[key] { return value }
            guard case .string(let name) = key.plain else { return .undefined(reason: "dict object has no element \(key.pythonRepr)") }
            return try method(of: object, name) ?? .undefined(reason: "'dict object' has no attribute '\(name)'")
        case (_, .string(let name)):
            return try attribute(of: object, name)
        default:
            return .undefined(reason: "\(object.objectTypeRepr) has no element \(key.pythonRepr)")
        }
    }

    func slice(_ object: RuntimeValue, start: Int?, stop: Int?, step: Int?) throws(ChatTemplateError) -> RuntimeValue {
        if case .markup(let s) = object { return try slice(.string(s), start: start, stop: stop, step: step).markup }
        switch object {
        case .array(let items):
            return .array(try pythonSliceIndices(count: items.count, start: start, stop: stop, step: step).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try pythonSliceIndices(count: scalars.count, start: start, stop: stop, step: step) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined(let reason):
            throw ChatTemplateError(.runtime, reason)
        default:
            throw ChatTemplateError(.runtime, "'\(object.typeName)' object is not subscriptable")
        }
    }

    func compare(_ op: TemplateExpr.CompareOperator, _ left: RuntimeValue, _ right: RuntimeValue) throws(ChatTemplateError) -> Bool {
        switch op {
        case .equal: left.pythonEquals(right)
        case .notEqual: !left.pythonEquals(right)
        case .less: try left.pythonCompare(right, op: "<") < 0
        case .lessEqual: try left.pythonCompare(right, op: "<=") <= 0
        case .greater: try left.pythonCompare(right, op: ">") > 0
        case .greaterEqual: try left.pythonCompare(right, op: ">=") >= 0
        case .contains: try right.pythonContains(left)
        case .notContains: !(try right.pythonContains(left))
        }
    }
}
