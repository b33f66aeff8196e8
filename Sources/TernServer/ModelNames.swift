/// The names the served model answers to: its id and any aliases.
public struct ModelNames: Sendable, Equatable {
    /// The model's own id.
    public let id: String
    /// Alias → id.
    public let aliases: [String: String]

    /// Names for the model `id`; every alias must point at `id`.
    public init(id: String, aliases: [String: String] = [:]) throws(ModelNamesError) {
        for (alias, target) in aliases.sorted(by: { $0.key < $1.key }) where target != id {
            throw ModelNamesError(description: "the alias \(alias) points at \(target), but the served model is \(id)")
        }
        self.id = id
        self.aliases = aliases
    }

    /// Whether a request may name the model `name`.
    public func serves(_ name: String) -> Bool { name == id || aliases[name] != nil }

    /// Every name of the model a request calls `name`: that name and the id it stands for (a key limited to
    /// `gpt-4` or to the id may use either spelling of the one it names).
    public func names(of name: String) -> [String] { name == id ? [id] : [name, aliases[name] ?? id] }

    /// The id and then the aliases, sorted, as listed by `GET /v1/models`.
    public var all: [String] { [id] + aliases.keys.sorted() }
}

/// An alias that names a model which is not served.
public struct ModelNamesError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
}
