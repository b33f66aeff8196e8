/// Builds the statement tree of a template from its tokens (recursive descent, Jinja2's grammar).
struct TemplateParser {
    var tokens: [TemplateToken]
    var index = 0
    /// Open `for` loops, so that `break`/`continue` outside a loop is a syntax error as in Jinja2.
    var loopDepth = 0
    /// Current nesting of blocks and parenthesized expressions, bounded against stack exhaustion.
    var nesting = 0
    let maxNesting: Int
    /// Inside an `if` block or an inline `if` expression (Jinja2's "soft frame"), where an unknown filter or test is an
    /// error only if it is reached at run time.
    var softFrame = false
    /// Unknown filters and tests found outside soft frames; an inline `if` that turns out to follow one takes it back.
    var unresolved: [ChatTemplateError] = []

    static func parse(_ tokens: [TemplateToken], maxNesting: Int) throws(ChatTemplateError) -> [TemplateNode] {
        var parser = TemplateParser(tokens: tokens, maxNesting: maxNesting)
        let (body, end) = try parser.parseBody(until: [])
        if let end { throw parser.error("unexpected '\(end)' outside of any block") }
        if let first = parser.unresolved.first { throw first }
        return body
    }

    /// Parses `body` in a frame of its own: soft or not, as Jinja2's compiler makes it.
    mutating func inFrame<T>(soft: Bool, _ body: (inout TemplateParser) throws(ChatTemplateError) -> T) throws(ChatTemplateError) -> T {
        let saved = softFrame
        softFrame = soft
        defer { softFrame = saved }
        return try body(&self)
    }

    var current: TemplateToken { tokens[index] }

    mutating func next() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func error(_ message: String, _ code: ChatTemplateError.Code = .syntax) -> ChatTemplateError {
        ChatTemplateError(code, message, line: current.line, column: current.column)
    }

    func isName(_ name: String) -> Bool { current.kind == .name(name) }
    func isOp(_ op: String) -> Bool { current.kind == .op(op) }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = next()
        return true
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        _ = next()
        return true
    }

    mutating func expectOp(_ op: String) throws(ChatTemplateError) {
        guard skipOp(op) else { throw error("expected '\(op)', found \(describe(current))") }
    }

    mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let name) = current.kind else { throw error("expected a name, found \(describe(current))") }
        _ = next()
        return name
    }

    mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard current.kind == .blockEnd else { throw error("expected end of block tag '%}', found \(describe(current))") }
        _ = next()
    }

    func describe(_ token: TemplateToken) -> String {
        switch token.kind {
        case .text: "text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let n): "'\(n)'"
        case .string: "a string"
        case .integer, .float: "a number"
        case .op(let o): "'\(o)'"
        case .endOfInput: "end of template"
        }
    }

    mutating func enter() throws(ChatTemplateError) {
        nesting += 1
        if nesting > maxNesting { throw error("template nesting deeper than \(maxNesting)", .limit) }
    }

    /// Parses nodes until a block tag named in `endTags`; returns the body and that tag (consumed up to its name).
    mutating func parseBody(until endTags: Set<String>) throws(ChatTemplateError) -> ([TemplateNode], String?) {
        var body: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .endOfInput:
                if !endTags.isEmpty {
                    throw error("unexpected end of template, expected one of \(endTags.sorted().map { "'\($0)'" }.joined(separator: ", "))")
                }
                return (body, nil)
            case .text(let text):
                _ = next()
                body.append(.text(text))
            case .variableBegin:
                _ = next()
                let expr = try parseExpression()
                guard current.kind == .variableEnd else { throw error("expected '}}', found \(describe(current))") }
                _ = next()
                body.append(.output(expr))
            case .blockBegin:
                _ = next()
                guard case .name(let tag) = current.kind else { throw error("expected a tag name, found \(describe(current))") }
                if endTags.contains(tag) {
                    _ = next()
                    return (body, tag)
                }
                try enter()
                body.append(try parseStatement(tag))
                nesting -= 1
            default:
                throw error("unexpected \(describe(token))")
            }
        }
    }

    /// Parses the tag at `current` (its name) and everything up to its end tag.
    mutating func parseStatement(_ tag: String) throws(ChatTemplateError) -> TemplateNode {
        let tagToken = next()
        switch tag {
        case "if": return try parseIf()
        case "for": return try parseFor()
        case "set": return try parseSet()
        case "macro": return try parseMacro()
        case "call": return try parseCallBlock()
        case "filter":
            return try inFrame(soft: false) { (p: inout TemplateParser) throws(ChatTemplateError) in
                let filters = try p.parseFilterChain()
                try p.expectBlockEnd()
                let (body, _) = try p.parseBody(until: ["endfilter"])
                try p.expectBlockEnd()
                return .filterBlock(filters: filters, body: body)
            }
        case "generation":
            // transformers' `{% generation %}` (it marks the assistant's tokens): the body rendered as a call block.
            try expectBlockEnd()
            let savedLoops = loopDepth
            loopDepth = 0
            defer { loopDepth = savedLoops }
            let (body, _) = try inFrame(soft: false) { (p: inout TemplateParser) throws(ChatTemplateError) in
                try p.parseBody(until: ["endgeneration"])
            }
            try expectBlockEnd()
            return .scopedBlock(body)
        case "break", "continue":
            guard loopDepth > 0 else {
                throw ChatTemplateError(.syntax, "'\(tag)' outside of a loop", line: tagToken.line, column: tagToken.column)
            }
            try expectBlockEnd()
            return tag == "break" ? .loopBreak : .loopContinue
        default:
            let isEnd = tag.hasPrefix("end") || ["elif", "else"].contains(tag)
            throw ChatTemplateError(
                isEnd ? .syntax : .unsupported, isEnd ? "unexpected tag '\(tag)'" : "unsupported tag '\(tag)'",
                line: tagToken.line, column: tagToken.column)
        }
    }

    mutating func parseIf() throws(ChatTemplateError) -> TemplateNode {
        try inFrame(soft: true) { (p: inout TemplateParser) throws(ChatTemplateError) in try p.parseIfBranches() }
    }

    private mutating func parseIfBranches() throws(ChatTemplateError) -> TemplateNode {
        var branches: [(condition: TemplateExpr, body: [TemplateNode])] = []
        var condition = try parseExpression()
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseExpression()
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    mutating func parseFor() throws(ChatTemplateError) -> TemplateNode {
        var targets: [String] = []
        let parenthesized = skipOp("(")
        repeat { targets.append(try expectName()) } while skipOp(",") && !isName("in")
        if parenthesized { try expectOp(")") }
        guard skipName("in") else { throw error("expected 'in' in for loop, found \(describe(current))") }
        let iterable = try parseExpression(allowConditional: false)
        let saved = softFrame
        softFrame = false
        defer { softFrame = saved }
        var condition: TemplateExpr?
        if skipName("if") { condition = try parseExpression() }
        if isName("recursive") { throw error("recursive for loops are not supported", .unsupported) }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(until: ["else", "endfor"])
        loopDepth -= 1
        var otherwise: [TemplateNode] = []
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(.init(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise))
    }

    mutating func parseSet() throws(ChatTemplateError) -> TemplateNode {
        let first = try expectName()
        if skipOp(".") {
            let attribute = try expectName()
            try expectOp("=")
            let value = try parseTupleOrExpression()
            try expectBlockEnd()
            return .assign(target: .attribute(object: first, attribute: attribute), value: value)
        }
        var names = [first]
        while skipOp(",") { names.append(try expectName()) }
        if skipOp("=") {
            let value = try parseTupleOrExpression()
            try expectBlockEnd()
            return .assign(target: .names(names), value: value)
        }
        guard names.count == 1 else { throw error("expected '=' after set targets") }
        let saved = softFrame
        softFrame = false
        defer { softFrame = saved }
        let filters = isOp("|") ? try parseFilterChain() : []
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .assignBlock(name: first, filters: filters, body: body)
    }

    /// `| name(args) | name …` as used by `{% filter %}` and `{% set x | f %}`.
    mutating func parseFilterChain() throws(ChatTemplateError) -> [TemplateNode.FilterCall] {
        var filters: [TemplateNode.FilterCall] = []
        _ = skipOp("|")
        repeat {
            let token = current
            let name = try expectName()
            checkFilter(name, at: token)
            let arguments = isOp("(") ? try parseCallArguments() : TemplateExpr.Arguments()
            filters.append(.init(name: name, arguments: arguments, line: token.line, column: token.column))
        } while skipOp("|")
        return filters
    }

    mutating func parseMacroParameters() throws(ChatTemplateError) -> [TemplateNode.MacroParameter] {
        var parameters: [TemplateNode.MacroParameter] = []
        try expectOp("(")
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            let defaultValue = skipOp("=") ? try parseExpression() : nil
            parameters.append(.init(name: name, defaultValue: defaultValue))
        }
        try expectOp(")")
        return parameters
    }

    mutating func parseMacro() throws(ChatTemplateError) -> TemplateNode {
        let saved = softFrame
        softFrame = false
        defer { softFrame = saved }
        let name = try expectName()
        let parameters = try parseMacroParameters()
        try expectBlockEnd()
        let savedLoops = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endmacro"])
        loopDepth = savedLoops
        if case .name = current.kind { _ = next() }
        try expectBlockEnd()
        return .macro(.init(name: name, parameters: parameters, body: body))
    }

    mutating func parseCallBlock() throws(ChatTemplateError) -> TemplateNode {
        let parameters = isOp("(") ? try parseMacroParameters() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw error("expected a macro call in call block") }
        try expectBlockEnd()
        let (body, _) = try inFrame(soft: false) { (p: inout TemplateParser) throws(ChatTemplateError) in try p.parseBody(until: ["endcall"]) }
        try expectBlockEnd()
        return .callBlock(call: call, parameters: parameters, body: body)
    }
}
