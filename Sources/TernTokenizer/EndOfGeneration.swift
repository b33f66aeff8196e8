/// Which tokens end generation, found the way llama.cpp (`llama_vocab::impl::load`) finds them: the file's EOS, EOT and
/// EOM ids, and tokens it knows by their text, which it also makes control tokens (so that their text in a prompt is
/// only matched when special tokens are parsed).
enum EndOfGeneration {
    /// Token texts that end generation when present. (llama.cpp also looks for an end-of-turn and an end-of-message token
    /// by text when the file names none; every text it looks for is in this list too.)
    static let texts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
        "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// gpt-oss tokens that llama.cpp always renders and matches, whatever the file says.
    static let alwaysUserDefined: Set<String> = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]

    /// The end-of-generation ids; adjusts `types` as llama.cpp adjusts token attributes.
    static func resolve(tokens: [String], types: inout [TokenType], eos: Int32?, eot: Int32?, eom: Int32?) -> Set<Int32> {
        var ids = Set([eos, eot, eom].compactMap { $0 })
        for (index, text) in tokens.enumerated() where texts.contains(text) {
            ids.insert(Int32(index))
            types[index] = .control
        }
        for (index, text) in tokens.enumerated() where alwaysUserDefined.contains(text) { types[index] = .userDefined }

        let present = Set(ids.map { tokens[Int($0)] })
        // With harmony's <|return|> and <|call|> (or Solar's <|calls|> and <|flush|>), <|end|> ends a message, not generation.
        let endsMessages = present.isSuperset(of: ["<|return|>", "<|call|>"]) || present.isSuperset(of: ["<|calls|>", "<|flush|>"])
        if endsMessages, let end = ids.first(where: { tokens[Int($0)] == "<|end|>" }) {
            ids.remove(end)
            types[Int(end)] = .userDefined
        }
        // Gemma 4 and PLaMo have an ordinary </s>.
        if present.contains("<|tool_response>") || present.contains("<|plamo:eos|>"),
            let end = ids.first(where: { tokens[Int($0)] == "</s>" })
        {
            ids.remove(end)
            types[Int(end)] = .normal
        }
        return ids
    }
}
