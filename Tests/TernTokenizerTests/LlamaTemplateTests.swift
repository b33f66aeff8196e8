import Foundation
import TernTokenizer
import Testing

/// Every chat template of llama.cpp's `models/templates` renders byte for byte as Jinja2 (configured as transformers
/// configures it) renders it, for a fixed set of conversations (`LLAMA_CONVERSATIONS` in
/// `scripts/make_template_fixtures.py`): or fails where Jinja2 fails, with the same `raise_exception` message.
///
/// The templates are llama.cpp's files, not Tern's: they are read from `TERN_LLAMA_SOURCES`
/// (`scripts/fetch_llama_sources.py`); the expected renderings are committed.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["TERN_LLAMA_SOURCES"]?.isEmpty == false,
        "set TERN_LLAMA_SOURCES to the folder scripts/fetch_llama_sources.py prints (scripts/test.sh does)"))
struct LlamaTemplateTests {
    /// How many template files llama.cpp's `models/templates` holds at the version the fixture was made from.
    static let templateCount = 71

    static let fixture = Result { try LlamaTemplateFixture.load() }

    static func templateFolder() throws -> URL {
        try LlamaSources.folder().appendingPathComponent("models/templates")
    }

    static func templateFiles() -> [String] {
        (try? fixture.get().templates.map(\.file)) ?? []
    }

    @Test func fixtureCoversEveryTemplateFile() throws {
        let fixture = try Self.fixture.get()
        let files = try FileManager.default.contentsOfDirectory(atPath: try Self.templateFolder().path).filter { $0.hasSuffix(".jinja") }
        #expect(files.count == Self.templateCount)
        #expect(fixture.templates.count == Self.templateCount)
        #expect(Set(files) == Set(fixture.templates.map(\.file)))
        let perTemplate = fixture.conversations.count * 2
        #expect(fixture.templates.allSatisfy { $0.cases.count == perTemplate })
    }

    @Test(arguments: templateFiles())
    func rendersLikeJinja2(_ file: String) throws {
        let fixture = try Self.fixture.get()
        let template = try #require(fixture.templates.first { $0.file == file })
        let data = try Data(contentsOf: try Self.templateFolder().appendingPathComponent(file))
        try #require(
            SHA256Digest.hex(data) == template.sha256,
            "\(file) differs from the file the fixture was made from: run scripts/make_template_fixtures.py")
        let source = String(decoding: data, as: UTF8.self)
        let chatTemplate = try ChatTemplate(source: source, options: .init(fixedTime: fixture.fixedTime))
        for testCase in template.cases {
            let context = try fixture.context(testCase, of: template)
            switch testCase.outcome {
            case .rendered(let expected):
                do {
                    let rendered = try chatTemplate.render(context: context)
                    #expect(rendered == expected, "\(testCase.name): \(Self.firstDifference(rendered, expected))")
                } catch {
                    Issue.record("\(testCase.name): \(error)")
                }
            case .raised(let message):
                let error = #expect(throws: ChatTemplateError.self, "\(testCase.name)") { try chatTemplate.render(context: context) }
                #expect(error?.code == .raised, "\(testCase.name): \(String(describing: error))")
                #expect(error?.message == message, "\(testCase.name)")
            case .failed(let pythonError):
                let error = #expect(throws: ChatTemplateError.self, "\(testCase.name) (Jinja2: \(pythonError))") {
                    try chatTemplate.render(context: context)
                }
                // What Jinja2's sandbox refuses (`list.append`), Tern does not provide; anything else is a runtime error.
                let code: ChatTemplateError.Code = pythonError.hasPrefix("SecurityError:") ? .unsupported : .runtime
                #expect(error?.code == code, "\(testCase.name) (Jinja2: \(pythonError)): \(String(describing: error))")
            }
        }
    }
}

extension LlamaTemplateTests {
    /// Where two renderings first differ, with a little text around it, for a readable failure.
    static func firstDifference(_ rendered: String, _ expected: String) -> String {
        let a = Array(rendered.unicodeScalars)
        let b = Array(expected.unicodeScalars)
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        func excerpt(_ s: [Unicode.Scalar]) -> String {
            String(String.UnicodeScalarView(s[max(0, i - 30)..<min(s.count, i + 50)])).debugDescription
        }
        return "first difference at character \(i): Tern \(excerpt(a)), Jinja2 \(excerpt(b))"
    }
}

/// The fixture and its checksum helper, without llama.cpp's files.
@Suite struct LlamaTemplateFixtureTests {
    @Test func fixtureHasEveryConversationForEveryTemplate() throws {
        let fixture = try LlamaTemplateFixture.load()
        #expect(fixture.templates.count == LlamaTemplateTests.templateCount)
        #expect(
            Set(fixture.conversations.keys) == [
                "user", "system", "multi-turn", "tools", "tool-call-openai", "tool-call-parsed", "parallel-tool-calls",
            ])
        for template in fixture.templates {
            #expect(Set(template.cases.map(\.name)).count == fixture.conversations.count * 2, "\(template.file)")
        }
    }

    @Test func sha256MatchesKnownDigests() {
        #expect(SHA256Digest.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Digest.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
