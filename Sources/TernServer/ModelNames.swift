/// The names the served models answer to: their ids and any aliases.
public struct ModelNames: Sendable, Equatable {
    /// The models' own ids, in the order they were given; the first is the default of routes that name none. Empty on a
    /// server whose models are all upstream ones.
    public let ids: [String]
    /// Alias → id.
    public let aliases: [String: String]

    /// Names for the models `ids`; every alias must point at one of them and no alias may shadow an id.
    public init(ids: [String], aliases: [String: String] = [:]) throws(ModelNamesError) {
        var seen: Set<String> = []
        for id in ids where !seen.insert(id).inserted {
            throw ModelNamesError(description: "two models are called \(id); rename one of the files")
        }
        for (alias, target) in aliases.sorted(by: { $0.key < $1.key }) {
            guard seen.contains(target) else {
                throw ModelNamesError(
                    description: "the alias \(alias) points at \(target), which is not served (served: \(ids.joined(separator: ", ")))")
            }
            guard !seen.contains(alias) else { throw ModelNamesError(description: "the alias \(alias) is already the id of a model") }
        }
        self.ids = ids
        self.aliases = aliases
    }

    /// The id of the model a request calls `name`, or nil when no served model has that name.
    public func id(of name: String) -> String? { ids.contains(name) ? name : aliases[name] }

    /// Whether a request may name the model `name`.
    public func serves(_ name: String) -> Bool { id(of: name) != nil }

    /// Every name of the model a request calls `name`: that name and the id it stands for (a key limited to
    /// `gpt-4` or to the id may use either spelling of the one it names).
    public func names(of name: String) -> [String] {
        guard let id = id(of: name), id != name else { return [name] }
        return [name, id]
    }

    /// The ids in order, then the aliases sorted, as listed by `GET /v1/models`.
    public var all: [String] { ids + aliases.keys.sorted() }
}

/// An alias that names a model which is not served, or two models with one id.
public struct ModelNamesError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
}
