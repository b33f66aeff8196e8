import TernTokenizer
import Testing

/// Clear errors for bad or unsupported templates, `raise_exception`, and the sandbox limits.
@Suite struct ChatTemplateErrorTests {
    func parseError(_ source: String) -> ChatTemplateError? {
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(source: source) }
    }

    func renderError(_ source: String, _ context: [String: TemplateValue] = [:], limits: ChatTemplate.Limits = .init()) throws -> ChatTemplateError? {
        let template = try ChatTemplate(source: source, options: .init(limits: limits))
        return #expect(throws: ChatTemplateError.self) { try template.render(context: context) }
    }

    @Test func unsupportedTagNamesTagAndPosition() {
        let error = parseError("ok\n  {% include 'other.jinja' %}")
        #expect(error?.code == .unsupported)
        #expect(error?.message == "unsupported tag 'include'")
        #expect(error?.line == 2)
        #expect(error?.column == 6)
        #expect(error?.description == "chat template: unsupported tag 'include' (line 2, column 6)")
        for tag in ["extends", "import", "from", "block", "do", "with", "autoescape"] {
            #expect(parseError("{% \(tag) x %}")?.message == "unsupported tag '\(tag)'")
        }
    }

    @Test func unsupportedFilterAndTestAreReportedWhenParsing() {
        let filter = parseError("{{ x }}\n{{ x | frobnicate(1) }}")
        #expect(filter?.code == .unsupported)
        #expect(filter?.message == "unsupported filter 'frobnicate'")
        #expect(filter?.line == 2)
        #expect(filter?.column == 8)
        let test = parseError("{% for x in y %}{{ x is prime }}{% endfor %}")
        #expect(test?.message == "unsupported test 'prime'")
        #expect(test?.column == 25)
        #expect(parseError("{% filter shout %}x{% endfilter %}")?.message == "unsupported filter 'shout'")
        // An `if` inside a loop inside an `if` is soft again; the loop body between is not.
        #expect(parseError("{% if a %}{% for x in y %}{{ x | shout }}{% endfor %}{% endif %}")?.message == "unsupported filter 'shout'")
    }

    @Test func unknownFilterOrTestInAnIfFailsOnlyWhenReached() throws {
        // Jinja2 compiles these (an `if` block or inline `if` is a "soft frame") and fails when they run.
        let source = "{% if x %}{{ x | from_json }}{% endif %}{{ y | shout if y else 'ok' }}{% if z %}{{ z is prime }}{% endif %}"
        let template = try ChatTemplate(source: source)
        #expect(try template.render(context: [:]) == "ok")
        let filter = try renderError(source, ["x": "1"])
        #expect(filter?.code == .runtime)
        #expect(filter?.message == "No filter named 'from_json' found.")
        #expect(try renderError(source, ["y": "1"])?.message == "No filter named 'shout' found.")
        let test = try renderError(source, ["z": 1])
        #expect(test?.message == "No test named 'prime' found.")
        #expect(test?.column == 89)
        // A filter Jinja2 has and Tern does not is unsupported, not unknown.
        #expect(try renderError("{% if true %}{{ [1] | groupby('x') }}{% endif %}")?.code == .unsupported)
    }

    @Test func generatorsAreSinglePassAndHaveNoLengthOrJSON() throws {
        // `map`, `select`, `selectattr`, `items`, … are Python generators in Jinja2; `reverse` of a list an iterator.
        #expect(try renderError("{{ [1] | map('string') | tojson }}")?.message == "Object of type generator is not JSON serializable")
        #expect(try renderError("{{ [1] | select | length }}")?.message == "object of type 'generator' has no len()")
        #expect(try renderError("{{ [1] | reverse | length }}")?.message == "object of type 'list_reverseiterator' has no len()")
        #expect(try renderError("{{ [1] | select | last }}")?.message == "'generator' object is not reversible")
        #expect(try renderError("{% for p in 'ab' | items %}{% endfor %}")?.message == "Can only get item pairs from a mapping.")
        let template = try ChatTemplate(source: "{% set g = m | selectattr('x') %}{{ g is sequence }}{{ g | list | length }}{{ g | list | length }}")
        #expect(try template.render(context: ["m": [["x": 1], ["x": 0]]]) == "False10")
    }

    @Test func markupAddedToANumberIsATypeError() throws {
        #expect(try renderError("{{ ('a' | safe) + 1 }}")?.message == "unsupported operand type(s) for +: 'Markup' and 'int'")
        #expect(try renderError("{{ {[1]: 2} }}")?.message == "unhashable type: 'list'")
        #expect(try renderError("{{ '{:>4}'.format(1) }}")?.code == .unsupported)
        #expect(try renderError("{{ '{}{}'.format(1) }}")?.message == "tuple index out of range")
    }

    @Test func unknownMethodOrMutationFailsAtRender() throws {
        let method = try renderError("{{ 'abc'.frobnicate() }}")
        #expect(method?.code == .runtime)
        #expect(method?.message == "'str object' has no attribute 'frobnicate'")
        #expect(method?.line == 1)
        let append = try renderError("{{ messages.append(1) }}", ["messages": []])
        #expect(append?.code == .unsupported)
        #expect(append?.message.contains("list.append()") == true)
        let update = try renderError("{{ d.update({}) }}", ["d": [:]])
        #expect(update?.code == .unsupported)
    }

    @Test func syntaxErrors() {
        let cases: [(String, String)] = [
            ("{% if x %}never closed", "unexpected end of template, expected one of 'elif', 'else', 'endif'"),
            ("{% for x in y %}{% endif %}", "unexpected tag 'endif'"),
            ("{{ 1 + }}", "unexpected '}}' in expression"),
            ("{{ 'unterminated }}", "unterminated string literal"),
            ("{% break %}", "'break' outside of a loop"),
            ("{% endfor %}", "unexpected tag 'endfor'"),
            ("{{ x", "unclosed expression, expected '}}'"),
            ("{# open comment", "unclosed comment"),
            ("{% raw %}no end", "missing endraw for raw block"),
            ("{{ a b }}", "expected '}}', found 'b'"),
            ("{{ f(*args) }}", "'*' and '**' arguments are not supported"),
            ("{% for x in y recursive %}{% endfor %}", "recursive for loops are not supported"),
        ]
        for (source, message) in cases {
            let error = parseError(source)
            #expect(error?.message == message, "\(source)")
            #expect(error?.line != nil)
        }
    }

    @Test func raiseExceptionCarriesTheTemplatesMessage() throws {
        let source = "{% for m in messages %}\n{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% endfor %}"
        let error = try renderError(source, ["messages": [["role": "system", "content": "x"]]])
        #expect(error?.code == .raised)
        #expect(error?.message == "System role not supported")
        #expect(error?.line == 2)
    }

    @Test func undefinedValues() throws {
        let template = try ChatTemplate(
            source: "[{{ missing }}][{{ missing is defined }}][{{ d.nothing }}][{% for x in missing %}x{% endfor %}][{{ missing | length }}]")
        #expect(try template.render(context: ["d": [:]]) == "[][False][][][0]")
        let chained = try renderError("{{ user.name.first }}")
        #expect(chained?.message == "'user' is undefined")
        #expect(chained?.column == 8)  // the `.name` access that needed a value
        let nested = try renderError("{{ d.a.b }}", ["d": [:]])
        #expect(nested?.message == "'dict object' has no attribute 'a'")
        let arithmetic = try renderError("{{ missing + 1 }}")
        #expect(arithmetic?.message == "'missing' is undefined")
    }

    @Test func typeErrors() throws {
        #expect(try renderError("{{ 1 + 'a' }}")?.message == "unsupported operand type(s) for +: 'int' and 'str'")
        #expect(try renderError("{{ 1 / 0 }}")?.message == "division by zero")
        #expect(try renderError("{{ 'a' < 1 }}")?.message == "'<' not supported between instances of 'str' and 'int'")
        #expect(try renderError("{% for x in 5 %}{% endfor %}")?.message == "'int' object is not iterable")
        #expect(try renderError("{% set x = 1 %}{% set x.y = 2 %}")?.message == "cannot assign attribute on non-namespace object 'x'")
        #expect(try renderError("{{ 5() }}")?.message == "'int' object is not callable")
        #expect(try renderError("{{ 9223372036854775807 + 1 }}")?.message == "integer overflow")
    }

    @Test func hugeRangeHitsIterationLimitWithoutRunning() throws {
        let error = try renderError("{% for i in range(100000000) %}{{ i }}{% endfor %}")
        #expect(error?.code == .limit)
        #expect(error?.message == "template exceeds 1000000 loop iterations")
        #expect(error?.line == 1)
    }

    @Test func nestedLoopsHitIterationLimit() throws {
        let source = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}"
        let error = try renderError(source, limits: .init(maxIterations: 50_000))
        #expect(error?.code == .limit)
    }

    @Test func runawayMacroRecursionHitsCallDepth() throws {
        let error = try renderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        #expect(error?.code == .limit)
        #expect(error?.message.contains("macro calls nested deeper than 64") == true)
        let bounded = try ChatTemplate(source: "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ f(10) }}")
        #expect(try bounded.render(context: [:]) == "012345678910")
    }

    @Test func outputSizeIsBounded() throws {
        let loop = try renderError("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", limits: .init(maxOutputBytes: 1 << 20))
        #expect(loop?.code == .limit)
        #expect(loop?.message == "template output exceeds 1048576 bytes")
        let repeated = try renderError("{% set s = 'abc' * 1000000000000 %}")
        #expect(repeated?.code == .limit)
        let list = try renderError("{% set s = [1] * 1000000000000 %}")
        #expect(list?.code == .limit)
    }

    @Test func deepNestingIsRejectedWhileParsing() {
        let parens = parseError("{{ " + String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500) + " }}")
        #expect(parens?.code == .limit)
        let blocks = parseError(String(repeating: "{% if true %}", count: 500) + String(repeating: "{% endif %}", count: 500))
        #expect(blocks?.code == .limit)
        let chain = parseError("{{ " + Array(repeating: "1", count: 1000).joined(separator: " + ") + " }}")
        #expect(chain?.code == .limit)
        let negations = parseError("{{ " + String(repeating: "not ", count: 500) + "x }}")
        #expect(negations?.code == .limit)
    }

    @Test func noHostAccess() throws {
        // Python-level escapes that a full Jinja2 sandbox must block are plain undefined names or attributes here.
        let template = try ChatTemplate(source: "{{ ''.__class__ }}|{{ self }}|{{ cycler }}|{{ config }}|{{ request }}")
        #expect(try template.render(context: [:]) == "||||")
        #expect(try renderError("{{ ''.__class__.__mro__ }}")?.code == .runtime)
    }
}
