import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The deployments of every upstream model, and which of them to send the next request to: the healthy one with the
/// fewest requests outstanding for its weight. A deployment that fails is cooled down for a while; a background check
/// of each deployment's `GET /models` takes one that stopped answering out of the rotation until it answers again.
final class UpstreamPool: Sendable {
    /// How long a deployment that failed is passed over.
    static let cooldown: Duration = .seconds(10)
    /// How often each deployment is checked.
    static let checkInterval: Duration = .seconds(5)

    /// One deployment: an upstream and what the pool knows of it now.
    struct Deployment: Sendable {
        let upstream: Upstream
        /// Its place in the pool.
        let index: Int
        /// Each endpoint's URL, made once rather than per request.
        let urls: [UpstreamProxy.Endpoint: String]

        init(upstream: Upstream, index: Int) {
            self.upstream = upstream
            self.index = index
            urls = Dictionary(
                uniqueKeysWithValues: UpstreamProxy.Endpoint.allCases.map {
                    ($0, upstream.baseURL.appendingPathComponent($0.rawValue).absoluteString)
                })
        }
    }

    private struct Health {
        var outstanding = 0
        var cooledUntil: ContinuousClock.Instant?
        var answering = true
    }

    private final class Board: Sendable {
        /// Each deployment's health, and the index of the one chosen last.
        let health: Mutex<(deployments: [Health], lastChosen: Int)>
        init(count: Int) { health = Mutex((Array(repeating: Health(), count: count), -1)) }
    }

    /// The deployments of each model id, in the order they were given.
    private let deployments: [String: [Deployment]]
    private let board: Board
    private let checks: Task<Void, Never>?

    init(_ upstreams: [Upstream], checking: Bool = true) {
        var deployments: [String: [Deployment]] = [:]
        for (index, upstream) in upstreams.enumerated() { deployments[upstream.id, default: []].append(Deployment(upstream: upstream, index: index)) }
        self.deployments = deployments
        let board = Board(count: upstreams.count)
        self.board = board
        guard checking else {
            checks = nil
            return
        }
        let health = board
        checks = Task {
            while !Task.isCancelled {
                await withTaskGroup(of: (Int, Bool).self) { group in
                    for (index, upstream) in upstreams.enumerated() { group.addTask { (index, await Self.answers(upstream)) } }
                    for await (index, answering) in group { health.health.withLock { $0.deployments[index].answering = answering } }
                }
                try? await Task.sleep(for: Self.checkInterval)
            }
        }
    }

    deinit { checks?.cancel() }

    /// Whether `id` is an upstream model.
    func serves(_ id: String) -> Bool { deployments[id] != nil }

    /// The deployment to try next for `id`, leaving out those `tried`; it counts as outstanding until ``finished(_:)``.
    /// Healthy ones first; when none is, the one cooled down longest ago, since trying beats refusing.
    func take(_ id: String, excluding tried: Set<Int>) -> Deployment? {
        guard let candidates = deployments[id]?.filter({ !tried.contains($0.index) }), !candidates.isEmpty else { return nil }
        let now = ContinuousClock.now
        return board.health.withLock { board in
            var (health, lastChosen) = (board.deployments, board.lastChosen)
            defer { board = (health, lastChosen) }
            func ready(_ deployment: Deployment) -> Bool {
                let state = health[deployment.index]
                return state.answering && (state.cooledUntil.map { $0 <= now } ?? true)
            }
            func load(_ deployment: Deployment) -> Double {
                Double(health[deployment.index].outstanding) / Double(max(1, deployment.upstream.weight))
            }
            let healthy = candidates.filter(ready)
            var chosen: Deployment?
            if healthy.isEmpty {
                chosen = candidates.min { (health[$0.index].cooledUntil ?? now) < (health[$1.index].cooledUntil ?? now) }
            } else {
                // Among the least loaded, the one after the last chosen: idle deployments take turns.
                let least = healthy.map(load).min()!
                let tied = healthy.filter { load($0) == least }
                chosen = tied.first { $0.index > lastChosen } ?? tied.first
            }
            if let chosen {
                health[chosen.index].outstanding += 1
                lastChosen = chosen.index
            }
            return chosen
        }
    }

    /// Ends a request taken with ``take(_:excluding:)``; a failed one cools its deployment down.
    func finished(_ deployment: Deployment, failed: Bool = false) {
        board.health.withLock { board in
            board.deployments[deployment.index].outstanding -= 1
            if failed { board.deployments[deployment.index].cooledUntil = .now + Self.cooldown }
        }
    }

    /// Whether `upstream` answers `GET /models` within two seconds.
    private static func answers(_ upstream: Upstream) async -> Bool {
        var request = HTTPClientRequest(url: upstream.baseURL.appendingPathComponent("models").absoluteString)
        if let key = upstream.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 4 << 20)
            return (200..<300).contains(response.status.code)
        } catch {
            return false
        }
    }
}
