import Foundation
import TernTokenizer
import Testing

/// Expressions, filters, tests, statements and whitespace control, each compared with Jinja2's rendering.
@Suite struct ChatTemplateExpressionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var source: String
        var context: [String: TemplateValue]
        var trimBlocks: Bool
        var rendered: String
        var testDescription: String { "\(trimBlocks ? "trim" : "plain"): \(source.prefix(60))" }
    }

    static func cases() throws -> [Case] {
        let text = try ChatTemplateGoldenTests.fixture("chat-templates/expressions.json")
        guard case .object(let root) = try FixtureJSON.parse(text), case .array(let items)? = root["cases"] else { return [] }
        return items.compactMap { item in
            guard case .object(let c) = item, case .string(let source)? = c["source"], case .object(let context)? = c["context"],
                case .bool(let trim)? = c["trim_blocks"], case .string(let rendered)? = c["rendered"]
            else { return nil }
            return Case(
                source: source, context: Dictionary(uniqueKeysWithValues: context.entries.map { ($0.key, $0.value) }), trimBlocks: trim,
                rendered: rendered)
        }
    }

    @Test func fixtureHasBothWhitespaceModes() throws {
        let all = try Self.cases()
        #expect(all.count > 100)
        #expect(all.contains { $0.trimBlocks } && all.contains { !$0.trimBlocks })
    }

    @Test(arguments: try cases())
    func rendersLikeJinja2(_ testCase: Case) throws {
        let options = ChatTemplate.Options(trimBlocks: testCase.trimBlocks, lstripBlocks: testCase.trimBlocks)
        let template = try ChatTemplate(source: testCase.source, options: options)
        let rendered = try template.render(context: testCase.context)
        #expect(rendered == testCase.rendered)
    }

    @Test func defaultsAreTransformersWhitespaceSettings() {
        let options = ChatTemplate.Options()
        #expect(options.trimBlocks && options.lstripBlocks && !options.keepTrailingNewline)
        #expect(options.jsonStyle == .transformers)
    }

    @Test func keepTrailingNewlineOption() throws {
        let template = try ChatTemplate(source: "x\n", options: .init(keepTrailingNewline: true))
        #expect(try template.render(context: [:]) == "x\n")
    }

    @Test func tojsonStyles() throws {
        let context: [String: TemplateValue] = ["v": ["b": "é<&>'", "a": [1, 2.5, nil, true]]]
        let hf = try ChatTemplate(source: "{{ v | tojson }}").render(context: context)
        #expect(hf == #"{"b": "é<&>'", "a": [1, 2.5, null, true]}"#)
        let jinja = try ChatTemplate(source: "{{ v | tojson }}", options: .init(jsonStyle: .jinja2)).render(context: context)
        #expect(jinja == #"{"a": [1, 2.5, null, true], "b": "\u00e9\u003c\u0026\u003e\u0027"}"#)
        let emoji = try ChatTemplate(source: "{{ '😀\u{01}' | tojson }}", options: .init(jsonStyle: .jinja2)).render(context: [:])
        #expect(emoji == #""\ud83d\ude00\u0001""#)
    }

    @Test func strftimeNowUsesFixedTime() throws {
        let template = try ChatTemplate(source: "{{ strftime_now('%d %b %Y') }}", options: .init(fixedTime: 1_721_952_000))
        #expect(try template.render(context: [:]) == "26 Jul 2024")
        let live = try ChatTemplate(source: "{{ strftime_now('%Y') | int > 2000 }}").render(context: [:])
        #expect(live == "True")
    }

    @Test func renderMessagesConvenience() throws {
        let template = try ChatTemplate(
            source:
                "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}|{% endfor %}{{ extra }}{{ eos_token if add_generation_prompt }}")
        let rendered = try template.render(
            messages: [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "b")], addGenerationPrompt: true,
            bosToken: "<s>", eosToken: "</s>", extra: ["extra": "X"])
        #expect(rendered == "<s>user:a|assistant:b|X</s>")
    }

    @Test func templateValueLiterals() {
        let value: TemplateValue = ["b": 1, "a": [true, nil, 2.5, "s"]]
        guard case .object(let object) = value else {
            Issue.record("expected object")
            return
        }
        #expect(object.keys == ["b", "a"])
        #expect(object == ["a": [true, nil, 2.5, "s"], "b": 1])
        var copy = object
        copy["b"] = nil
        #expect(copy.keys == ["a"])
    }
}
