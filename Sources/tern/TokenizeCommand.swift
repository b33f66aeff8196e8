import ArgumentParser
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array.",
        discussion: """
            Only the model's tokenizer is read, so a vocabulary-only GGUF file works too. Special-token text such as \
            <|im_start|> becomes its special token unless --no-parse-special is given. No BOS token is added.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, inversion: .prefixedNo, help: "Turn special-token text into special tokens.")
    var parseSpecial = true

    @Argument(help: "The text to tokenize.")
    var text: String

    func run() throws {
        let ids = try modelOptions.loadTokenizer().encode(text, parseSpecial: parseSpecial)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
}
