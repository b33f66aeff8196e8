/// Runs a parsed template against one context: executes statements, enforces the sandbox limits.
///
/// One renderer per render call; it is not shared between threads.
final class TemplateRenderer {
    enum Flow { case normal, breakLoop, continueLoop }

    let options: ChatTemplate.Options
    /// Variable scopes, innermost last; index 0 is the template's top level.
    var scopes: [[String: RuntimeValue]]
    var output = ""
    private var outputBytes = 0
    private var iterations = 0
    var callDepth = 0

    init(options: ChatTemplate.Options, context: [String: RuntimeValue]) {
        self.options = options
        scopes = [context]
    }

    // MARK: Limits

    func write(_ text: String) throws(ChatTemplateError) {
        outputBytes += text.utf8.count
        if outputBytes > options.limits.maxOutputBytes {
            throw ChatTemplateError(.limit, "template output exceeds \(options.limits.maxOutputBytes) bytes")
        }
        output += text
    }

    /// Counts one unit of work (a loop iteration, a macro call, an element of a built sequence).
    func tick(_ count: Int = 1) throws(ChatTemplateError) {
        iterations += count
        if iterations > options.limits.maxIterations {
            throw ChatTemplateError(.limit, "template exceeds \(options.limits.maxIterations) loop iterations")
        }
    }

    /// Checks the size of a value built in one step (`'x' * n`, `range(n)`, …) before building it.
    func checkSize(_ count: Int, bytes: Bool) throws(ChatTemplateError) {
        if bytes, count > options.limits.maxOutputBytes {
            throw ChatTemplateError(.limit, "string of \(count) bytes exceeds the template output limit")
        }
        if !bytes { try tick(count) }
    }

    /// Renders `body` into a separate buffer and returns what it wrote.
    func capture(_ body: [TemplateNode]) throws(ChatTemplateError) -> String {
        let saved = output
        output = ""
        defer { output = saved }
        _ = try execute(body)
        return output
    }

    // MARK: Scopes

    func lookup(_ name: String) -> RuntimeValue? {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return nil
    }

    func assign(_ name: String, _ value: RuntimeValue) {
        scopes[scopes.count - 1][name] = value
    }

    // MARK: Statements

    func execute(_ nodes: [TemplateNode]) throws(ChatTemplateError) -> Flow {
        for node in nodes {
            let flow = try execute(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: TemplateNode) throws(ChatTemplateError) -> Flow {
        switch node {
        case .text(let text):
            try write(text)
        case .output(let expr):
            try write(try evaluate(expr).pythonString)
        case .conditional(let branches, let otherwise):
            for branch in branches {
                if try evaluate(branch.condition).isTruthy { return try execute(branch.body) }
            }
            return try execute(otherwise)
        case .forLoop(let loop):
            try executeFor(loop)
        case .assign(let target, let valueExpr):
            let value = try evaluate(valueExpr)
            try assign(target, value, at: valueExpr)
        case .assignBlock(let name, let filters, let body):
            var value = RuntimeValue.string(try capture(body))
            for filter in filters { value = try applyFilter(filter, to: value) }
            assign(name, value)
        case .macro(let definition):
            assign(definition.name, .callable(makeMacro(definition)))
        case .callBlock(let call, let parameters, let body):
            let caller = makeMacro(.init(name: "caller", parameters: parameters, body: body))
            guard case .call(let calleeExpr, let arguments) = call.kind else { return .normal }
            let callee = try evaluate(calleeExpr)
            var evaluated = try evaluate(arguments)
            evaluated.keyword.append(("caller", .callable(caller)))
            try write(try invoke(callee, evaluated, at: call).pythonString)
        case .filterBlock(let filters, let body):
            var value = RuntimeValue.string(try capture(body))
            for filter in filters { value = try applyFilter(filter, to: value) }
            try write(value.pythonString)
        case .scopedBlock(let body):
            scopes.append([:])
            defer { scopes.removeLast() }
            _ = try execute(body)
        case .loopBreak:
            return .breakLoop
        case .loopContinue:
            return .continueLoop
        }
        return .normal
    }

    private func assign(_ target: TemplateNode.AssignTarget, _ value: RuntimeValue, at expr: TemplateExpr) throws(ChatTemplateError) {
        switch target {
        case .names(let names) where names.count == 1:
            assign(names[0], value)
        case .names(let names):
            let items = try located(expr) { () throws(ChatTemplateError) in try unpack(value, count: names.count).get() }
            for (name, item) in zip(names, items) { assign(name, item) }
        case .attribute(let object, let attribute):
            guard case .namespace(let namespace) = lookup(object) else {
                throw ChatTemplateError(.runtime, "cannot assign attribute on non-namespace object '\(object)'", line: expr.line, column: expr.column)
            }
            namespace.attributes[attribute] = value
        }
    }

    private func unpack(_ value: RuntimeValue, count: Int) -> Result<[RuntimeValue], ChatTemplateError> {
        let items: [RuntimeValue]
        do { items = try value.iterated() } catch { return .failure(error) }
        guard items.count == count else {
            let detail =
                items.count > count
                ? "too many values to unpack (expected \(count))" : "not enough values to unpack (expected \(count), got \(items.count))"
            return .failure(ChatTemplateError(.runtime, detail))
        }
        return .success(items)
    }

    private func executeFor(_ loop: TemplateNode.ForLoop) throws(ChatTemplateError) {
        let sequence = try evaluate(loop.iterable)
        let all = try located(loop.iterable) { () throws(ChatTemplateError) in try sequence.iterated() }
        scopes.append([:])
        defer { scopes.removeLast() }
        func bind(_ item: RuntimeValue) throws(ChatTemplateError) {
            if loop.targets.count == 1 {
                assign(loop.targets[0], item)
            } else {
                let parts = try unpack(item, count: loop.targets.count).get()
                for (name, part) in zip(loop.targets, parts) { assign(name, part) }
            }
        }
        var items = all
        if let condition = loop.condition {
            items = []
            for item in all {
                try tick()
                try located(loop.iterable) { () throws(ChatTemplateError) in try bind(item) }
                if try evaluate(condition).isTruthy { items.append(item) }
            }
        }
        for (index, item) in items.enumerated() {
            try tick()
            try located(loop.iterable) { () throws(ChatTemplateError) in try bind(item) }
            assign("loop", loopInfo(index: index, items: items))
            if try execute(loop.body) == .breakLoop { break }
        }
        if items.isEmpty { _ = try execute(loop.otherwise) }
    }

    private func loopInfo(index: Int, items: [RuntimeValue]) -> RuntimeValue {
        var info = RuntimeDict()
        let count = items.count
        info["index"] = .int(index + 1)
        info["index0"] = .int(index)
        info["revindex"] = .int(count - index)
        info["revindex0"] = .int(count - index - 1)
        info["first"] = .bool(index == 0)
        info["last"] = .bool(index == count - 1)
        info["length"] = .int(count)
        // Only recursive loops (not supported) go deeper than 1.
        info["depth"] = .int(1)
        info["depth0"] = .int(0)
        info["previtem"] = index > 0 ? items[index - 1] : .undefined(reason: "there is no previous item")
        info["nextitem"] = index + 1 < count ? items[index + 1] : .undefined(reason: "there is no next item")
        info["cycle"] = .callable(
            TemplateCallable("cycle") { (arguments, _) throws(ChatTemplateError) in
                guard !arguments.positional.isEmpty else { throw ChatTemplateError(.runtime, "no items for cycling given") }
                return arguments.positional[index % arguments.positional.count]
            })
        return .dict(info)
    }

    private func makeMacro(_ definition: TemplateNode.MacroDefinition) -> TemplateCallable {
        // A macro sees the top level at call time plus the scopes around its definition.
        let enclosing = Array(scopes.dropFirst())
        return TemplateCallable(definition.name) { (arguments, renderer) throws(ChatTemplateError) in
            try renderer.callMacro(definition, enclosing: enclosing, arguments: arguments)
        }
    }

    private func callMacro(
        _ definition: TemplateNode.MacroDefinition, enclosing: [[String: RuntimeValue]], arguments: CallArguments
    ) throws(ChatTemplateError) -> RuntimeValue {
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > options.limits.maxCallDepth {
            throw ChatTemplateError(
                .limit, "macro calls nested deeper than \(options.limits.maxCallDepth) (runaway recursion in '\(definition.name)'?)")
        }
        try tick()
        let savedScopes = scopes
        scopes = [scopes[0]] + enclosing + [[:]]
        defer {
            let top = scopes[0]
            scopes = savedScopes
            scopes[0] = top
        }
        var keyword = arguments.keyword
        for (position, parameter) in definition.parameters.enumerated() {
            if position < arguments.positional.count {
                assign(parameter.name, arguments.positional[position])
            } else if let found = keyword.firstIndex(where: { $0.name == parameter.name }) {
                assign(parameter.name, keyword.remove(at: found).value)
            } else if let defaultValue = parameter.defaultValue {
                assign(parameter.name, try evaluate(defaultValue))
            } else {
                assign(parameter.name, .undefined(reason: "parameter '\(parameter.name)' was not provided"))
            }
        }
        assign("varargs", .array(Array(arguments.positional.dropFirst(definition.parameters.count))))
        if let callerIndex = keyword.firstIndex(where: { $0.name == "caller" }) { assign("caller", keyword.remove(at: callerIndex).value) }
        var extra = RuntimeDict()
        for (name, value) in keyword { extra[name] = value }
        assign("kwargs", .dict(extra))
        return .string(try capture(definition.body))
    }
}
