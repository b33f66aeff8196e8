#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension TemplateRenderer {
    /// Python's arithmetic on template values: `int` stays `int` where Python keeps it, `/` always gives `float`.
    func binary(_ op: TemplateExpr.BinaryOperator, _ left: RuntimeValue, _ right: RuntimeValue) throws(ChatTemplateError) -> RuntimeValue {
        if op == .concat {
            let text = left.pythonString + right.pythonString
            try checkSize(text.utf8.count, bytes: true)
            return .string(text)
        }
        if case .undefined(let reason) = left { throw ChatTemplateError(.runtime, reason) }
        if case .undefined(let reason) = right { throw ChatTemplateError(.runtime, reason) }
        switch (op, left, right) {
        case (.add, .markup(let a), .string), (.add, .markup(let a), .markup), (.add, .string, .markup(let a)):
            // markupsafe escapes the plain side: `Markup('<b>') + '<i>'` is `<b>&lt;i&gt;`.
            let text = if case .markup = left { a + right.htmlEscaped } else { left.htmlEscaped + a }
            try checkSize(text.utf8.count, bytes: true)
            return .markup(text)
        case (.multiply, .markup(let s), _) where right.integer != nil:
            return .markup(try repeatString(s, right.integer!).pythonString)
        case (.multiply, _, .markup(let s)) where left.integer != nil:
            return .markup(try repeatString(s, left.integer!).pythonString)
        case (.add, .string(let a), .string(let b)):
            try checkSize(a.utf8.count + b.utf8.count, bytes: true)
            return .string(a + b)
        case (.add, .array(let a), .array(let b)):
            return .array(a + b)
        case (.multiply, .string(let s), _) where right.integer != nil:
            return try repeatString(s, right.integer!)
        case (.multiply, _, .string(let s)) where left.integer != nil:
            return try repeatString(s, left.integer!)
        case (.multiply, .array(let a), _) where right.integer != nil:
            return try repeatArray(a, right.integer!)
        case (.multiply, _, .array(let a)) where left.integer != nil:
            return try repeatArray(a, left.integer!)
        case (.modulo, .string, _), (.modulo, .markup, _):
            throw ChatTemplateError(.unsupported, "string formatting with '%' is not supported")
        default:
            break
        }
        guard let x = left.number, let y = right.number else {
            throw ChatTemplateError(
                .runtime, "unsupported operand type(s) for \(op.rawValue): '\(left.typeName)' and '\(right.typeName)'")
        }
        if let a = left.integer, let b = right.integer {
            return try integerArithmetic(op, a, b)
        }
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw ChatTemplateError(.runtime, "float division by zero") }
            return .double(x / y)
        case .floorDivide:
            guard y != 0 else { throw ChatTemplateError(.runtime, "float floor division by zero") }
            return .double((x / y).rounded(.down))
        case .modulo:
            guard y != 0 else { throw ChatTemplateError(.runtime, "float modulo") }
            let r = fmod(x, y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .power: return .double(pow(x, y))
        case .concat: return .none
        }
    }

    private func integerArithmetic(_ op: TemplateExpr.BinaryOperator, _ a: Int, _ b: Int) throws(ChatTemplateError) -> RuntimeValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(ChatTemplateError) -> RuntimeValue {
            if result.overflow { throw ChatTemplateError(.runtime, "integer overflow") }
            return .int(result.partialValue)
        }
        switch op {
        case .add: return try checked(a.addingReportingOverflow(b))
        case .subtract: return try checked(a.subtractingReportingOverflow(b))
        case .multiply: return try checked(a.multipliedReportingOverflow(by: b))
        case .divide:
            guard b != 0 else { throw ChatTemplateError(.runtime, "division by zero") }
            return .double(Double(a) / Double(b))
        case .floorDivide, .modulo:
            guard b != 0 else { throw ChatTemplateError(.runtime, "integer division or modulo by zero") }
            if a == .min && b == -1 { throw ChatTemplateError(.runtime, "integer overflow") }
            var q = a / b
            var r = a % b
            if r != 0 && (r < 0) != (b < 0) {
                q -= 1
                r += b
            }
            return .int(op == .floorDivide ? q : r)
        case .power:
            if b < 0 { return .double(pow(Double(a), Double(b))) }
            var result = 1
            var base = a
            var exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 { _ = try checked(result.multipliedReportingOverflow(by: base)).integer.map { result = $0 } }
                exponent >>= 1
                if exponent > 0 { _ = try checked(base.multipliedReportingOverflow(by: base)).integer.map { base = $0 } }
            }
            return .int(result)
        case .concat:
            return .none
        }
    }

    private func repeatString(_ s: String, _ count: Int) throws(ChatTemplateError) -> RuntimeValue {
        guard count > 0, !s.isEmpty else { return .string("") }
        let (bytes, overflow) = s.utf8.count.multipliedReportingOverflow(by: count)
        try checkSize(overflow ? .max : bytes, bytes: true)
        return .string(String(repeating: s, count: count))
    }

    private func repeatArray(_ a: [RuntimeValue], _ count: Int) throws(ChatTemplateError) -> RuntimeValue {
        guard count > 0, !a.isEmpty else { return .array([]) }
        let (total, overflow) = a.count.multipliedReportingOverflow(by: count)
        try checkSize(overflow ? .max : total, bytes: false)
        return .array(Array([[RuntimeValue]](repeating: a, count: count).joined()))
    }
}
