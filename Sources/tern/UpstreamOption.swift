import Foundation
import TernServer

/// `--upstream ID=URL[,model=NAME][,key-env=VAR][,weight=N]`: a model served by another OpenAI-compatible server.
enum UpstreamOption {
    /// The upstream `text` describes; its key is read from the environment variable it names.
    static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Upstream {
        let usage =
            "write --upstream ID=URL[,model=NAME][,key-env=VAR][,weight=N], e.g. big=http://10.0.0.7:8080/v1,model=llama-3.1-70b,key-env=BIG_KEY"
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let equals = first.firstIndex(of: "=") else { throw CommandError("--upstream '\(text)': \(usage)") }
        let id = String(first[..<equals])
        let address = String(first[first.index(after: equals)...])
        guard !id.isEmpty, let url = URL(string: address), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw CommandError("--upstream '\(text)': '\(address)' is not an http:// or https:// URL; \(usage)")
        }
        var upstream = Upstream(id: id, baseURL: url, model: id)
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw CommandError("--upstream '\(text)': '\(part)' is not KEY=VALUE; \(usage)") }
            switch pair[0] {
            case "model":
                upstream.model = pair[1]
            case "key-env":
                guard let key = environment[pair[1]], !key.isEmpty else {
                    throw CommandError("--upstream \(id): the environment variable \(pair[1]) (its API key) is not set")
                }
                upstream.apiKey = key
            case "weight":
                guard let weight = Int(pair[1]), weight >= 1, weight <= 1000 else {
                    throw CommandError("--upstream '\(text)': weight must be a whole number from 1 to 1000 (got '\(pair[1])')")
                }
                upstream.weight = weight
            default:
                throw CommandError("--upstream '\(text)': '\(pair[0])' is not known (model, key-env, weight); \(usage)")
            }
        }
        return upstream
    }
}
