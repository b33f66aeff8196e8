import Foundation
import TernTokenizer
import Testing

/// Renders real model chat templates and compares byte for byte with Jinja2's renderings.
@Suite struct ChatTemplateGoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func fixture(_ path: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func smolLM2MatchesLlamaCppRenderings() throws {
        let template = try ChatTemplate(source: try Self.fixture("chat-templates/smollm2.jinja"))
        let golden = try FixtureJSON.parse(try Self.fixture("smollm2-135m-instruct-q4_1.json"))
        guard case .object(let root) = golden, case .array(let cases)? = root["chat_template"] else {
            Issue.record("golden file has no chat_template array")
            return
        }
        #expect(cases.count >= 3)
        for entry in cases {
            guard case .object(let c) = entry, case .array(let rawMessages)? = c["messages"], case .bool(let agp)? = c["add_generation_prompt"],
                case .string(let expected)? = c["rendered"]
            else {
                Issue.record("malformed golden case")
                continue
            }
            let messages = rawMessages.compactMap { value -> ChatMessage? in
                guard case .object(let m) = value, case .string(let role)? = m["role"], case .string(let content)? = m["content"] else { return nil }
                return ChatMessage(role: role, content: content)
            }
            let rendered = try template.render(messages: messages, addGenerationPrompt: agp, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
            #expect(rendered == expected)
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var template: String
        var style: TemplateJSONStyle
        var context: [String: TemplateValue]
        var rendered: String?
        var error: String?
        var testDescription: String { name }
    }

    static func cases() throws -> [Case] {
        guard case .object(let root) = try FixtureJSON.parse(try fixture("chat-templates/cases.json")), case .array(let items)? = root["cases"] else {
            return []
        }
        return items.compactMap { item in
            guard case .object(let c) = item, case .string(let name)? = c["name"], case .string(let template)? = c["template"],
                case .string(let style)? = c["json_style"], case .object(let context)? = c["context"]
            else { return nil }
            var rendered: String?
            var error: String?
            if case .string(let r)? = c["rendered"] { rendered = r }
            if case .string(let e)? = c["error"] { error = e }
            return Case(
                name: name, template: template, style: style == "jinja2" ? .jinja2 : .transformers,
                context: Dictionary(uniqueKeysWithValues: context.entries.map { ($0.key, $0.value) }), rendered: rendered, error: error)
        }
    }

    @Test func fixtureCasesExist() throws {
        let all = try Self.cases()
        #expect(all.count > 100)
        #expect(Set(all.map(\.template)).count >= 12)
        #expect(all.contains { $0.error != nil })
        #expect(all.contains { $0.style == .jinja2 })
    }

    @Test(arguments: try cases())
    func rendersLikeJinja2(_ testCase: Case) throws {
        let source = try Self.fixture("chat-templates/" + testCase.template)
        let template = try ChatTemplate(source: source, options: .init(jsonStyle: testCase.style))
        if let expected = testCase.rendered {
            let rendered = try template.render(context: testCase.context)
            #expect(rendered == expected)
        } else {
            let error = #expect(throws: ChatTemplateError.self) { try template.render(context: testCase.context) }
            #expect(error?.code == .raised)
            #expect(error?.message == testCase.error)
        }
    }
}
