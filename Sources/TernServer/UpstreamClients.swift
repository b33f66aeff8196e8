import AsyncHTTPClient
import NIOCore
import NIOPosix

/// HTTP clients for upstream requests, one per event loop of NIO's shared group.
///
/// A client's connections live on its loop; a request sent from a task running on that loop (the connection's loop,
/// which ``EventLoopTaskExecutor`` makes a request's task prefer) is written, answered and passed back to the client
/// without waking another thread. A shared client would hand it to whichever loop its idle connection is on.
enum UpstreamClients {
    /// Never shut down, like `HTTPClient.shared`.
    private static let byLoop: [ObjectIdentifier: HTTPClient] = Dictionary(
        uniqueKeysWithValues: MultiThreadedEventLoopGroup.singleton.makeIterator().map { loop in
            (ObjectIdentifier(loop), HTTPClient(eventLoopGroup: loop, configuration: configuration))
        })
    /// For requests made off the loops.
    private static let anyLoop = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)

    /// The client whose connections are on the current thread's event loop; off the loops, one on any loop.
    static var current: HTTPClient {
        MultiThreadedEventLoopGroup.currentEventLoop.flatMap { byLoop[ObjectIdentifier($0)] } ?? anyLoop
    }

    /// A connection that is refused or not made within 10 s fails its request at once (instead of being tried again
    /// until the request's own deadline), so that the deployment is cooled down and the request goes to another. An
    /// upstream may be silent for 10 minutes (a whole answer comes after its last token is generated, and the OpenAI
    /// SDKs wait as long). Bodies are not decompressed: answers pass through. No tracing: Tern sets up no tracer, and
    /// the no-op one still costs each request its span attributes.
    static var configuration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.tracing.tracer = nil
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(600))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return configuration
    }
}
