import Foundation
import TernTokenizer

/// `Fixtures/chat-templates/llama-templates.json`: what Jinja2, configured as transformers configures it, renders for
/// every chat template of llama.cpp's `models/templates` and a fixed set of conversations
/// (written by `scripts/make_template_fixtures.py`).
struct LlamaTemplateFixture: Sendable {
    /// What Jinja2 did with one template and one conversation.
    enum Outcome: Sendable, Equatable {
        /// The rendered prompt.
        case rendered(String)
        /// The template called `raise_exception` with this message.
        case raised(String)
        /// Jinja2 failed otherwise (an undefined value, a type error, the sandbox); `Type: message` from Python.
        case failed(String)
    }

    /// One conversation rendered with or without the generation prompt.
    struct Case: Sendable {
        /// `conversation/gen` or `conversation/nogen`.
        var name: String
        var conversation: String
        var addGenerationPrompt: Bool
        var outcome: Outcome
    }

    /// One template file.
    struct Template: Sendable {
        var file: String
        var sha256: String
        var bosToken: String
        var eosToken: String
        var cases: [Case]
    }

    /// The conversations by name: their `messages` and `tools`, and the other variables every render gets.
    var conversations: [String: TemplateObject]
    var sharedContext: TemplateObject
    var fixedTime: Int
    var templates: [Template]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chat-templates/llama-templates.json")

    static func load() throws -> LlamaTemplateFixture {
        let root = try object(FixtureJSON.parse(String(contentsOf: url, encoding: .utf8)), "root")
        var conversations: [String: TemplateObject] = [:]
        for (name, value) in try object(root["conversations"], "conversations").entries {
            conversations[name] = try object(value, "conversation \(name)")
        }
        guard case .int(let fixedTime)? = root["fixed_time"] else { throw TestModelError(message: "fixture has no fixed_time") }
        var templates: [Template] = []
        for (file, value) in try object(root["templates"], "templates").entries {
            let entry = try object(value, file)
            var cases: [Case] = []
            for (name, outcomeValue) in try object(entry["cases"], "\(file) cases").entries {
                let parts = name.split(separator: "/")
                guard parts.count == 2, ["gen", "nogen"].contains(parts[1]) else { throw TestModelError(message: "bad case name \(name)") }
                let outcome = try object(outcomeValue, name)
                let result: Outcome =
                    switch (outcome["rendered"], outcome["raised"], outcome["error"]) {
                    case (.string(let text)?, nil, nil): .rendered(text)
                    case (nil, .string(let message)?, nil): .raised(message)
                    case (nil, nil, .string(let message)?): .failed(message)
                    default: throw TestModelError(message: "\(file) \(name): no outcome")
                    }
                cases.append(Case(name: name, conversation: String(parts[0]), addGenerationPrompt: parts[1] == "gen", outcome: result))
            }
            templates.append(
                Template(
                    file: file, sha256: try string(entry["sha256"], "sha256"), bosToken: try string(entry["bos_token"], "bos_token"),
                    eosToken: try string(entry["eos_token"], "eos_token"), cases: cases))
        }
        return LlamaTemplateFixture(
            conversations: conversations, sharedContext: try object(root["context"], "context"), fixedTime: fixedTime, templates: templates)
    }

    /// The variables a case renders with: the conversation's, the shared ones, the flag and the template's tokens.
    func context(_ testCase: Case, of template: Template) throws -> [String: TemplateValue] {
        guard let conversation = conversations[testCase.conversation] else {
            throw TestModelError(message: "unknown conversation \(testCase.conversation)")
        }
        var context: [String: TemplateValue] = [:]
        for (key, value) in sharedContext.entries { context[key] = value }
        for (key, value) in conversation.entries { context[key] = value }
        context["add_generation_prompt"] = .bool(testCase.addGenerationPrompt)
        context["bos_token"] = .string(template.bosToken)
        context["eos_token"] = .string(template.eosToken)
        return context
    }

    private static func object(_ value: TemplateValue?, _ what: String) throws -> TemplateObject {
        guard case .object(let object)? = value else { throw TestModelError(message: "fixture: \(what) is not an object") }
        return object
    }

    private static func string(_ value: TemplateValue?, _ what: String) throws -> String {
        guard case .string(let string)? = value else { throw TestModelError(message: "fixture: \(what) is not a string") }
        return string
    }
}
