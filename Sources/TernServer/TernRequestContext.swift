public import Hummingbird
import NIOCore
import TernStore

/// The per-request context of Tern's router.
///
/// Request bodies are read by the controllers themselves (see ``RequestBodyReader``) so that size limits and
/// decoding errors come back in OpenAI's error envelope; Hummingbird's own decoder is not used.
public struct TernRequestContext: RequestContext {
    /// Hummingbird's storage: logger, route parameters, endpoint path.
    public var coreContext: CoreRequestContextStorage
    /// The key, limits and ledger row of an authenticated `/v1` request; nil without access control.
    var access: RequestAccess?
    /// The key of an authenticated `/admin` request.
    var adminKey: APIKey?
    /// The key of any authenticated request.
    var key: APIKey?
    /// The connection (or HTTP/2 stream) the request came on, watched for the client hanging up.
    let channel: any Channel
    /// What the access log says of the request.
    let requestLog = RequestLogEntry()

    /// Creates a context for a request arriving on a connection.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
