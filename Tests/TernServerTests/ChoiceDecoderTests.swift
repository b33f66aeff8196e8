import Foundation
import TernEngine
import Testing

@testable import TernServer

extension ServerTests {
    /// Detokenizing and stop strings for one choice, with the real tokenizer.
    @Suite struct ChoiceDecoderTests {
        @Test func stopStringAcrossTokensIsDroppedWithEverythingAfter() throws {
            let tokenizer = try TestModel.load().tokenizer
            let ids = tokenizer.encode("Hello world, how are you?", parseSpecial: false)
            var decoder = ChoiceDecoder(tokenizer: tokenizer, stops: ["o wor"], wantsLogprobs: true)
            var text = ""
            var entries = 0
            for id in ids where !decoder.isStopped {
                let delta = decoder.accept(SampledToken(token: id, logprob: -0.5))
                text += delta.text
                entries += delta.logprobs.count
            }
            text += decoder.finish().text
            #expect(text == "Hell")
            #expect(decoder.isStopped)
            #expect(entries == 1)  // "Hello" went out; " world" made up the stop string
        }

        @Test func multiByteCharacterIsNeverSplit() throws {
            let tokenizer = try TestModel.load().tokenizer
            let ids = tokenizer.encode("a 🦜 b", parseSpecial: false)
            var decoder = ChoiceDecoder(tokenizer: tokenizer, stops: [], wantsLogprobs: false)
            var pieces: [String] = []
            for id in ids { pieces.append(decoder.accept(SampledToken(token: id)).text) }
            pieces.append(decoder.finish().text)
            #expect(pieces.joined() == "a 🦜 b")
            #expect(!pieces.joined().contains("\u{FFFD}"))
        }

        @Test func aliasMustNameAServedModel() {
            #expect(throws: ModelNamesError.self) { try ModelNames(ids: ["m"], aliases: ["gpt-4": "other"]) }
            #expect(throws: ModelNamesError.self) { try ModelNames(ids: ["m", "n"], aliases: ["n": "m"]) }
            #expect(throws: ModelNamesError.self) { try ModelNames(ids: ["m", "m"]) }
            let names = try? ModelNames(ids: ["m", "n"], aliases: ["gpt-4": "m", "small": "n"])
            #expect(names?.serves("gpt-4") == true)
            #expect(names?.serves("gpt-5") == false)
            #expect(names?.id(of: "small") == "n")
            #expect(names?.names(of: "small") == ["small", "n"])
            #expect(names?.names(of: "n") == ["n"])
            #expect(names?.all == ["m", "n", "gpt-4", "small"])
        }

        @Test func aServerNeedsAModelOfItsOwnOrAnUpstreamOne() throws {
            #expect(throws: ModelNamesError.self) {
                try TernServer(configuration: TernServerConfiguration(), access: nil, logger: TestServer.quietLogger, models: [])
            }
            // A gateway of upstream models alone has no local names.
            var gateway = TernServerConfiguration()
            gateway.upstreams = [Upstream(id: "remote", baseURL: try #require(URL(string: "http://127.0.0.1:9/v1")), model: "m")]
            let server = try TernServer(configuration: gateway, access: nil, logger: TestServer.quietLogger, models: [])
            #expect(server.models.names.ids.isEmpty && !server.models.names.serves("remote"))
        }
    }
}
