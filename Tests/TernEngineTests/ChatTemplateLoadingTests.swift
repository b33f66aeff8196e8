import Foundation
import TernEngine
import TernTokenizer
import Testing

/// A model whose chat template Tern cannot parse still loads and runs raw prompts; chat requests get a clear error.
struct ChatTemplateLoadingTests {
    @Test func anUnparseableTemplateLeavesRawPromptsWorking() throws {
        var gguf = TinyGGUF.model()
        gguf.set("tokenizer.chat_template", .string("{% frobnicate messages %}{{ bos_token }}"))
        let path = try gguf.write()
        defer { try? FileManager.default.removeItem(atPath: path) }

        let model = try LoadedModel(path: path)
        #expect(model.chatTemplate == nil)
        #expect(model.chatTemplateProblem?.contains("chat template cannot be used") == true)
        let error = #expect(throws: EngineError.self) { try model.encodeChat([ChatMessage(role: "user", content: "hi")]) }
        #expect(error?.message == model.chatTemplateProblem)

        let generator = Generator(model: model, contextLength: 32, threads: 1, batchSize: 8)
        let logits = try generator.prefill(model.encodeWithBOS("hello", parseSpecial: false))
        #expect(logits.count == 256 && logits.allSatisfy(\.isFinite))
    }

    @Test func aModelWithoutTemplateSaysSo() throws {
        let path = try TinyGGUF.model().write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = try LoadedModel(path: path)
        #expect(model.chatTemplate == nil && model.chatTemplateProblem == nil)
        let error = #expect(throws: EngineError.self) { try model.encodeChat([ChatMessage(role: "user", content: "hi")]) }
        #expect(error?.message.contains("no tokenizer.chat_template") == true)
    }
}
