/// Validation of option fields shared by the chat and completion requests.
enum RequestOptions {
    /// The most `metadata` pairs and their sizes, as OpenAI limits them.
    static let maxMetadataPairs = 16
    static let maxMetadataKeyLength = 64
    static let maxMetadataValueLength = 512

    /// `stream_options` is only allowed with `stream: true`, like OpenAI.
    static func readIncludeUsage(_ reader: FieldReader, stream: Bool) throws(OpenAIError) -> Bool {
        guard let options = try reader.object("stream_options") else { return false }
        guard stream else {
            throw .invalidRequest(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options", code: "invalid_value")
        }
        try options.rejectUnknownKeys(["include_usage", "include_obfuscation"])
        if try options.bool("include_obfuscation") == true { throw .unsupportedParameter(options.param("include_obfuscation")) }
        return try options.bool("include_usage") ?? false
    }

    static func readMetadata(_ reader: FieldReader) throws(OpenAIError) -> [String: String] {
        guard let metadata = try reader.object("metadata") else { return [:] }
        guard metadata.object.count <= maxMetadataPairs else {
            throw .invalidRequest(
                "Invalid 'metadata': too many properties. Expected an object with at most \(maxMetadataPairs) properties, "
                    + "but got an object with \(metadata.object.count) properties instead.", param: "metadata", code: "object_above_max_properties")
        }
        var result: [String: String] = [:]
        for key in metadata.object.keys.sorted() {
            guard key.count <= maxMetadataKeyLength else {
                throw .invalidRequest(
                    "Invalid 'metadata': key too long. Expected keys of at most \(maxMetadataKeyLength) characters.", param: "metadata",
                    code: "string_above_max_length")
            }
            guard let value = metadata.object[key], case .string(let string) = value else {
                throw .invalidType(metadata.param(key), expected: "a string", got: metadata.object[key] ?? .null)
            }
            guard string.count <= maxMetadataValueLength else {
                throw .invalidRequest(
                    "Invalid '\(metadata.param(key))': string too long. Expected a string with maximum length \(maxMetadataValueLength).",
                    param: metadata.param(key), code: "string_above_max_length")
            }
            result[key] = string
        }
        return result
    }

    /// One service tier: accept `auto` and `default`, reject tiers that promise something else.
    static func readServiceTier(_ reader: FieldReader) throws(OpenAIError) -> String? {
        guard let tier = try reader.string("service_tier") else { return nil }
        let supported = ["auto", "default"]
        guard supported.contains(tier) else { throw .unsupportedValue("service_tier", value: tier, supported: supported) }
        return tier
    }

    /// Completions are never stored, so `store: true` is rejected.
    static func readStore(_ reader: FieldReader) throws(OpenAIError) {
        if try reader.bool("store") == true { throw .unsupportedValue("store", value: "true", supported: ["false"]) }
    }
}
