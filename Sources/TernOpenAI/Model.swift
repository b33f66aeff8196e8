/// An entry of `GET /v1/models` and the body of `GET /v1/models/{id}` (`"object": "model"`).
public struct Model: Sendable, Equatable, Encodable {
    /// The id clients pass as `model`.
    public var id: String
    /// Unix time in seconds (Tern uses the time the model file was loaded or created).
    public var created: Int
    /// The owner shown to clients.
    public var ownedBy: String
    /// Tern's extension: `loaded`, `loading` or `unloaded` (a request for an unloaded model loads it).
    public var status: String?
    /// Tern's extension: the endpoints the model serves (`chat`, `completions`, `embeddings`); nil until the server
    /// has read the model's file, and for upstream models.
    public var capabilities: [String]?

    /// Creates an entry.
    public init(id: String, created: Int, ownedBy: String = "tern", status: String? = nil, capabilities: [String]? = nil) {
        self.id = id
        self.created = created
        self.ownedBy = ownedBy
        self.status = status
        self.capabilities = capabilities
    }

    private enum Keys: String, CodingKey { case id, object, created, ownedBy = "owned_by", status, capabilities }

    /// Encodes OpenAI's shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("model", forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(ownedBy, forKey: .ownedBy)
        try container.encodeIfPresent(status, forKey: .status)
        try container.encodeIfPresent(capabilities, forKey: .capabilities)
    }
}

/// The body of `GET /v1/models`: `{"object":"list","data":[…]}`.
public struct ModelList: Sendable, Equatable, Encodable {
    /// The models.
    public var data: [Model]

    /// Creates a list.
    public init(data: [Model]) { self.data = data }

    private enum Keys: String, CodingKey { case object, data }

    /// Encodes OpenAI's shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("list", forKey: .object)
        try container.encode(data, forKey: .data)
    }
}
