extension TemplateParser {
    private func make(_ kind: TemplateExpr.Kind, at token: TemplateToken) -> TemplateExpr {
        TemplateExpr(kind: kind, line: token.line, column: token.column)
    }

    /// `a if cond else b` and everything below it.
    mutating func parseExpression(allowConditional: Bool = true) throws(ChatTemplateError) -> TemplateExpr {
        let pending = unresolved.count
        var expr = try parseOr()
        guard allowConditional, isName("if") else { return expr }
        // The whole inline `if` is a soft frame, the part before `if` too.
        unresolved.removeSubrange(pending...)
        let saved = softFrame
        softFrame = true
        defer { softFrame = saved }
        while isName("if") {
            let token = next()
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            expr = make(.conditional(condition: condition, then: expr, otherwise: otherwise), at: token)
        }
        return expr
    }

    /// An expression, or a bare tuple `a, b` (right side of `set`).
    mutating func parseTupleOrExpression() throws(ChatTemplateError) -> TemplateExpr {
        let first = try parseExpression()
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current.kind == .blockEnd { break }
            items.append(try parseExpression())
        }
        return TemplateExpr(kind: .tuple(items), line: first.line, column: first.column)
    }

    private mutating func parseOr() throws(ChatTemplateError) -> TemplateExpr {
        var left = try parseAnd()
        var length = 0
        while isName("or") {
            try extendChain(&length)
            let token = next()
            left = make(.or(left, try parseAnd()), at: token)
        }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> TemplateExpr {
        var left = try parseNot()
        var length = 0
        while isName("and") {
            try extendChain(&length)
            let token = next()
            left = make(.and(left, try parseNot()), at: token)
        }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> TemplateExpr {
        guard isName("not") else { return try parseCompare() }
        let token = next()
        try enter()
        defer { nesting -= 1 }
        return make(.not(try parseNot()), at: token)
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> TemplateExpr {
        let left = try parseMath1()
        var operations: [(op: TemplateExpr.CompareOperator, operand: TemplateExpr)] = []
        while true {
            if case .op(let symbol) = current.kind, let op = TemplateExpr.CompareOperator(rawValue: symbol) {
                _ = next()
                operations.append((op, try parseMath1()))
            } else if skipName("in") {
                operations.append((.contains, try parseMath1()))
            } else if isName("not"), tokens[index + 1].kind == .name("in") {
                _ = next()
                _ = next()
                operations.append((.notContains, try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : TemplateExpr(kind: .compare(left, operations), line: left.line, column: left.column)
    }

    private mutating func parseBinary(
        _ ops: [String], operand: (inout TemplateParser) throws(ChatTemplateError) -> TemplateExpr
    ) throws(ChatTemplateError) -> TemplateExpr {
        var left = try operand(&self)
        var length = 0
        while case .op(let symbol) = current.kind, ops.contains(symbol), let op = TemplateExpr.BinaryOperator(rawValue: symbol) {
            try extendChain(&length)
            let token = next()
            left = make(.binary(op, left, try operand(&self)), at: token)
        }
        return left
    }

    private mutating func parseMath1() throws(ChatTemplateError) -> TemplateExpr {
        try parseBinary(["+", "-"]) { (p: inout TemplateParser) throws(ChatTemplateError) in try p.parseConcat() }
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> TemplateExpr {
        try parseBinary(["~"]) { (p: inout TemplateParser) throws(ChatTemplateError) in try p.parseMath2() }
    }

    private mutating func parseMath2() throws(ChatTemplateError) -> TemplateExpr {
        try parseBinary(["*", "/", "//", "%"]) { (p: inout TemplateParser) throws(ChatTemplateError) in try p.parsePow() }
    }

    private mutating func parsePow() throws(ChatTemplateError) -> TemplateExpr {
        try parseBinary(["**"]) { (p: inout TemplateParser) throws(ChatTemplateError) in try p.parseUnary(withFilter: true) }
    }

    private mutating func parseUnary(withFilter: Bool) throws(ChatTemplateError) -> TemplateExpr {
        var expr: TemplateExpr
        if isOp("-") || isOp("+") {
            let token = next()
            try enter()
            let operand = try parseUnary(withFilter: false)
            nesting -= 1
            expr = make(token.kind == .op("-") ? .negate(operand) : .plus(operand), at: token)
        } else {
            expr = try parsePrimary()
        }
        expr = try parsePostfix(expr)
        return withFilter ? try parseFilterExpression(expr) : expr
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> TemplateExpr {
        let token = current
        switch token.kind {
        case .name(let name):
            _ = next()
            switch name {
            case "true", "True": return make(.literal(.bool(true)), at: token)
            case "false", "False": return make(.literal(.bool(false)), at: token)
            case "none", "None": return make(.literal(.none), at: token)
            default: return make(.name(name), at: token)
            }
        case .string(var value):
            _ = next()
            while case .string(let more) = current.kind {
                value += more
                _ = next()
            }
            return make(.literal(.string(value)), at: token)
        case .integer(let value):
            _ = next()
            return make(.literal(.int(value)), at: token)
        case .float(let value):
            _ = next()
            return make(.literal(.double(value)), at: token)
        case .op("("):
            _ = next()
            try enter()
            defer { nesting -= 1 }
            if skipOp(")") { return make(.tuple([]), at: token) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return make(.tuple(items), at: token)
        case .op("["):
            _ = next()
            try enter()
            defer { nesting -= 1 }
            var items: [TemplateExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return make(.list(items), at: token)
        case .op("{"):
            _ = next()
            try enter()
            defer { nesting -= 1 }
            var items: [(key: TemplateExpr, value: TemplateExpr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            try expectOp("}")
            return make(.dict(items), at: token)
        default:
            throw error("unexpected \(describe(token)) in expression")
        }
    }

    private mutating func parsePostfix(_ base: TemplateExpr) throws(ChatTemplateError) -> TemplateExpr {
        var expr = base
        var length = 0
        while true {
            try extendChain(&length)
            let token = current
            if skipOp(".") {
                switch current.kind {
                case .name(let name):
                    _ = next()
                    expr = make(.attribute(expr, name), at: token)
                case .integer(let value):
                    _ = next()
                    expr = make(.index(expr, make(.literal(.int(value)), at: token)), at: token)
                default:
                    throw error("expected an attribute name after '.', found \(describe(current))")
                }
            } else if skipOp("[") {
                expr = try parseSubscript(expr, at: token)
            } else if isOp("(") {
                expr = make(.call(expr, try parseCallArguments()), at: token)
            } else {
                return expr
            }
        }
    }

    private mutating func parseSubscript(_ base: TemplateExpr, at token: TemplateToken) throws(ChatTemplateError) -> TemplateExpr {
        var parts: [TemplateExpr?] = [nil]
        var colons = 0
        while !isOp("]") {
            if skipOp(":") {
                colons += 1
                guard colons <= 2 else { throw error("too many ':' in slice") }
                parts.append(nil)
            } else {
                guard parts[parts.count - 1] == nil else { throw error("expected ']' or ':', found \(describe(current))") }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        _ = next()
        if colons == 0 {
            guard let index = parts[0] else { throw error("empty subscript") }
            return make(.index(base, index), at: token)
        }
        while parts.count < 3 { parts.append(nil) }
        return make(.slice(base, start: parts[0], stop: parts[1], step: parts[2]), at: token)
    }

    /// `( positional…, name=value… )`.
    mutating func parseCallArguments() throws(ChatTemplateError) -> TemplateExpr.Arguments {
        try expectOp("(")
        try enter()
        defer { nesting -= 1 }
        var arguments = TemplateExpr.Arguments()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(",") }
            first = false
            if isOp(")") { break }
            if isOp("*") || isOp("**") { throw error("'*' and '**' arguments are not supported", .unsupported) }
            if case .name(let name) = current.kind, tokens[index + 1].kind == .op("=") {
                _ = next()
                _ = next()
                arguments.keyword.append((name, try parseExpression()))
            } else {
                guard arguments.keyword.isEmpty else { throw error("positional argument follows keyword argument") }
                arguments.positional.append(try parseExpression())
            }
        }
        try expectOp(")")
        return arguments
    }

    private mutating func parseFilterExpression(_ base: TemplateExpr) throws(ChatTemplateError) -> TemplateExpr {
        var expr = base
        var length = 0
        while true {
            try extendChain(&length)
            let token = current
            if skipOp("|") {
                let nameToken = current
                let name = try expectName()
                checkFilter(name, at: nameToken)
                let arguments = isOp("(") ? try parseCallArguments() : TemplateExpr.Arguments()
                expr = make(.filter(expr, .init(name: name, arguments: arguments, line: nameToken.line, column: nameToken.column)), at: nameToken)
            } else if skipName("is") {
                let negated = skipName("not")
                let nameToken = current
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                resolve(test: name, at: nameToken)
                var arguments = TemplateExpr.Arguments()
                if isOp("(") {
                    arguments = try parseCallArguments()
                } else if startsTestArgument() {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                expr = make(.test(expr, name: name, arguments: arguments, negated: negated), at: nameToken)
            } else if isOp("(") {
                expr = make(.call(expr, try parseCallArguments()), at: token)
            } else {
                return expr
            }
        }
    }

    /// Bounds operator chains (`a + b + c …`, `x.a.b …`): they nest the tree that rendering walks recursively.
    private mutating func extendChain(_ length: inout Int) throws(ChatTemplateError) {
        length += 1
        if length > 256 { throw error("expression chain longer than 256 operations", .limit) }
    }

    /// An unknown filter is a syntax error where Jinja2's compiler rejects it (outside soft frames) and otherwise an
    /// error when it runs.
    mutating func checkFilter(_ name: String, at token: TemplateToken) {
        guard !TemplateBuiltins.filters.contains(name), !softFrame else { return }
        unresolved.append(TemplateBuiltins.unknownFilter(name).located(line: token.line, column: token.column))
    }

    /// Like ``checkFilter(_:at:)``, for tests.
    private mutating func resolve(test name: String, at token: TemplateToken) {
        guard !TemplateBuiltins.tests.contains(name), !softFrame else { return }
        unresolved.append(TemplateBuiltins.unknownTest(name).located(line: token.line, column: token.column))
    }

    /// Jinja2 lets a test take one argument without parentheses: `x is divisibleby 3`.
    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let name): !["else", "or", "and", "is", "if", "in", "not"].contains(name)
        case .string, .integer, .float, .op("["), .op("{"): true
        default: false
        }
    }
}
